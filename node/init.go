package node

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gobcos/gobcos/crypto"
)

// InitOptions are the choices for a new single-node chain directory.
type InitOptions struct {
	Suite   string // "ecdsa" or "sm"
	RPCAddr string // host:port of the JSON-RPC server
	ChainID uint64 // 0 keeps the default
}

// ConfigFile is the name of a node's configuration file inside its directory.
const ConfigFile = "config.toml"

// IsInitialized reports whether dir already holds a node configuration.
func IsInitialized(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ConfigFile))
	return err == nil
}

// InitDir creates a single-node development chain in dir: a node key, a
// genesis naming the node as the only sealer, and a config.toml. It refuses
// to overwrite an existing configuration.
func InitDir(dir string, opts InitOptions) error {
	if IsInitialized(dir) {
		return fmt.Errorf("%s already holds a node configuration", dir)
	}
	suite, err := crypto.ByName(opts.Suite)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	key, err := suite.GenerateKey()
	if err != nil {
		return err
	}
	cfg := DefaultConfig()
	if opts.RPCAddr != "" {
		cfg.RPC.Listen = opts.RPCAddr
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, cfg.KeyFile), []byte(hex.EncodeToString(key.Bytes())+"\n"), 0o600); err != nil {
		return err
	}
	g := DefaultGenesis(suite.Name(), key.PublicKey())
	g.Timestamp = uint64(time.Now().Unix())
	if opts.ChainID != 0 {
		g.ChainID = opts.ChainID
	}
	if err := WriteGenesis(filepath.Join(dir, cfg.Genesis), g); err != nil {
		return err
	}
	// The config is written last: its presence marks a complete directory.
	return WriteConfig(filepath.Join(dir, ConfigFile), cfg)
}

// LoadKey reads a hex private key file for the given suite.
func LoadKey(path string, suite crypto.Suite) (crypto.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read node key: %w", err)
	}
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(string(raw)), "0x"))
	if err != nil {
		return nil, fmt.Errorf("node key %s: not hex: %w", path, err)
	}
	k, err := suite.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("node key %s: %w", path, err)
	}
	return k, nil
}

var errStopped = errors.New("node stopped")
