package node

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Config is one node's configuration file (config.toml). Chain-wide
// parameters live in the genesis file instead, which every node of a chain
// shares.
type Config struct {
	// DataDir holds the node's database. Relative paths are resolved
	// against the directory of the config file.
	DataDir string `toml:"data_dir" comment:"Directory of the node's database (relative to this file)."`
	// Genesis is the chain's genesis file.
	Genesis string `toml:"genesis" comment:"The chain's genesis file (relative to this file)."`
	// KeyFile holds the node's private key, hex encoded.
	KeyFile string `toml:"key_file" comment:"The node's private key file, hex (relative to this file)."`

	RPC    RPCConfig    `toml:"rpc"`
	TxPool TxPoolConfig `toml:"txpool"`
	Log    LogConfig    `toml:"log"`

	dir string // directory of the config file, for relative paths
}

// RPCConfig configures the JSON-RPC server (HTTP and WebSocket on one port).
type RPCConfig struct {
	Listen       string   `toml:"listen" comment:"Address of the JSON-RPC server, HTTP and WebSocket on one port."`
	CORSOrigins  []string `toml:"cors_origins" comment:"Origins browsers may call from; [\"*\"] allows all."`
	MaxBodyBytes int64    `toml:"max_body_bytes" comment:"Largest request body accepted, in bytes."`
	MaxBatch     int      `toml:"max_batch" comment:"Most requests accepted in one batch."`
}

// TxPoolConfig bounds the transaction pool.
type TxPoolConfig struct {
	MaxTxs       int `toml:"max_txs" comment:"Most transactions held in the pool."`
	MaxBytes     int `toml:"max_bytes" comment:"Most bytes of transactions held in the pool."`
	MaxPerSender int `toml:"max_per_sender" comment:"Most pool transactions of one sender."`
	Workers      int `toml:"verify_workers" comment:"Signature verification workers; 0 uses every core."`
}

// LogConfig configures logging.
type LogConfig struct {
	Level  string `toml:"level" comment:"debug, info, warn or error."`
	Format string `toml:"format" comment:"text or json."`
}

// DefaultConfig is the configuration of a node in dir.
func DefaultConfig() Config {
	return Config{
		DataDir: "data",
		Genesis: "genesis.json",
		KeyFile: "node.key",
		RPC: RPCConfig{
			Listen:       "127.0.0.1:8545",
			CORSOrigins:  []string{"*"},
			MaxBodyBytes: 5 << 20,
			MaxBatch:     1000,
		},
		TxPool: TxPoolConfig{MaxTxs: 200_000, MaxBytes: 256 << 20, MaxPerSender: 20_000},
		Log:    LogConfig{Level: "info", Format: "text"},
	}
}

// ErrConfig marks configuration errors.
var ErrConfig = errors.New("invalid configuration")

// Validate checks every value and says which key is wrong.
func (c *Config) Validate() error {
	var errs []string
	bad := func(key, why string) { errs = append(errs, fmt.Sprintf("%s: %s", key, why)) }
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if c.Genesis == "" {
		bad("genesis", "must not be empty")
	}
	if c.KeyFile == "" {
		bad("key_file", "must not be empty")
	}
	if _, _, err := net.SplitHostPort(c.RPC.Listen); err != nil {
		bad("rpc.listen", fmt.Sprintf("%q is not host:port (%v)", c.RPC.Listen, err))
	}
	if c.RPC.MaxBodyBytes < 1024 {
		bad("rpc.max_body_bytes", "must be at least 1024")
	}
	if c.RPC.MaxBatch < 1 {
		bad("rpc.max_batch", "must be at least 1")
	}
	if c.TxPool.MaxTxs < 1 {
		bad("txpool.max_txs", "must be at least 1")
	}
	if c.TxPool.MaxBytes < 1<<20 {
		bad("txpool.max_bytes", "must be at least 1048576")
	}
	if c.TxPool.MaxPerSender < 1 {
		bad("txpool.max_per_sender", "must be at least 1")
	}
	if c.TxPool.Workers < 0 {
		bad("txpool.verify_workers", "must not be negative")
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		bad("log.level", err.Error())
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", fmt.Sprintf("%q is neither text nor json", c.Log.Format))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrConfig, strings.Join(errs, "; "))
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not one of debug, info, warn, error", s)
	}
	return l, nil
}

// LoadConfig reads a config file strictly: unknown keys and bad values are
// errors naming the key. Keys absent from the file keep their defaults.
func LoadConfig(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg := DefaultConfig()
	dec := toml.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		var sm *toml.StrictMissingError
		if errors.As(err, &sm) {
			return Config{}, fmt.Errorf("%w: %s: unknown key(s):\n%s", ErrConfig, path, sm.String())
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			if k := de.Key(); len(k) > 0 {
				return Config{}, fmt.Errorf("%w: %s:%d:%d: key %s: %v", ErrConfig, path, row, col, strings.Join(k, "."), de)
			}
			return Config{}, fmt.Errorf("%w: %s:%d:%d: %v", ErrConfig, path, row, col, de)
		}
		return Config{}, fmt.Errorf("%w: %s: %v", ErrConfig, path, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	abs, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return Config{}, err
	}
	cfg.dir = abs
	return cfg, nil
}

// WriteConfig writes cfg as commented TOML.
func WriteConfig(path string, cfg Config) error {
	b, err := toml.Marshal(cfg)
	if err != nil {
		return err
	}
	head := "# gobcos node configuration. Every key is documented in docs/configuration.md.\n\n"
	return os.WriteFile(path, append([]byte(head), b...), 0o644)
}

// Path resolves a path of the config relative to the config file's directory.
func (c *Config) Path(p string) string {
	if filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

// SetDir sets the directory relative paths are resolved against.
func (c *Config) SetDir(dir string) { c.dir = dir }
