package node

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/pelletier/go-toml/v2"

	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/network"
	"github.com/gobcos/gobcos/network/certs"
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
	// Executor tunes block execution.
	Executor ExecutorConfig `toml:"executor"`
	Log      LogConfig      `toml:"log"`
	// Metrics is the Prometheus endpoint; off when Listen is empty.
	Metrics MetricsConfig `toml:"metrics"`
	// Network is the P2P section; nil (no [network] section) for a
	// single-node chain that talks to no peer.
	Network *NetworkConfig `toml:"network,omitempty"`
	// Explorer is the block explorer web UI this node serves.
	Explorer ExplorerConfig `toml:"explorer"`
	// Solo tunes the Solo engine of a single-node chain.
	Solo SoloConfig `toml:"solo"`
	// PBFT tunes the PBFT engine of a PBFT chain.
	PBFT PBFTConfig `toml:"pbft"`
	// State chooses what of the state the node keeps.
	State StateConfig `toml:"state"`

	// TestMaxCompatibility lowers the highest chain compatibility version
	// this node supports below its binary's, so that tests can run nodes
	// of "old" and "new" binaries in one process. It is not read from the
	// config file; "" keeps the binary's (CompatibilityVersion).
	TestMaxCompatibility string `toml:"-"`
	// TestDropTxGossip makes the node ignore the txs peers gossip to it,
	// as if gossip to it were lost: its pool holds only the txs clients
	// send it, and it must fetch the others to vote. Not read from the
	// config file.
	TestDropTxGossip bool `toml:"-"`

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
	Workers      int `toml:"verify_workers" comment:"Signature verification workers of the node (admission, proposals, blocks); 0 uses every core."`
	// Journal keeps the pool's txs in data_dir/txpool.journal (journal.go).
	Journal bool `toml:"journal" comment:"Keep the txs clients send, and what the pool holds, in data_dir/txpool.journal, so that a node killed before committing them offers them again when it restarts."`
}

// ExecutorConfig tunes how the node executes blocks (executor.Config).
// The results are the same whatever it says; only the speed differs.
type ExecutorConfig struct {
	// Workers is executor.Config.Workers: 0 or 1 executes a block's
	// transactions serially (the default), n > 1 on n goroutines, a
	// negative value on one per core for blocks of 16 or more.
	Workers int `toml:"workers" comment:"Goroutines executing a block's transactions: 0 or 1 serially (the default), n in parallel, negative one per core (blocks of 16 txs or more)."`
	// Parallel is executor.Config.Parallel: "chunks" (the default here:
	// the faster of the two in every benchmark, BENCHMARKS.md) or
	// "blockstm" (also when empty).
	Parallel string `toml:"parallel" comment:"Parallel execution strategy when workers is not 0 or 1: \"chunks\" (one run of consecutive txs per worker, for blocks whose txs seldom conflict) or \"blockstm\" (per-transaction re-execution); see BENCHMARKS.md."`
}

// ExplorerConfig configures the block explorer web UI (package explorer).
type ExplorerConfig struct {
	Listen string `toml:"listen" comment:"Address of the block explorer web UI, e.g. \"127.0.0.1:8080\"; \"\" (the default) serves none."`
}

// SoloConfig tunes the Solo engine (single-node chains; ignored by others).
type SoloConfig struct {
	// OverlapCommit executes the next block while the previous one is
	// being committed (fsync) instead of after it. Off by default: on a
	// 2-core machine at full load it gave fewer TPS (smaller blocks, more
	// CPU per tx) and lower tail latency (BENCHMARKS.md); it is for
	// machines where the disk, not the CPU, bounds the block rate.
	OverlapCommit bool `toml:"overlap_commit" comment:"Execute the next block while the previous one commits (fsync); off by default, see BENCHMARKS.md."`
}

// History values of StateConfig.
const (
	// StateHistoryAll keeps every block's state writes by block, so that
	// state queries and calls can ask for any past block.
	StateHistoryAll = "all"
	// StateHistoryNone keeps only the latest state: past blocks' state is
	// refused (the blocks, receipts and logs stay queryable).
	StateHistoryNone = "none"
)

// StateConfig chooses what of the state the node keeps.
type StateConfig struct {
	// History is StateHistoryAll (the default; "" means it) or
	// StateHistoryNone. A node that ran with "none" answers no past state
	// even after going back to "all": the keys written meanwhile have no
	// past entries.
	History string `toml:"history" comment:"\"all\" keeps the state of every block for queries at past blocks (the default); \"none\" keeps only the latest state, writing about half the state keys per block."`
}

// PBFTConfig tunes the PBFT engine (PBFT chains; ignored by others).
type PBFTConfig struct {
	// Window is 2 (the default; 0 means 2) to order block X while X-1
	// executes, from compatibility version 0.4.0 and within one sealer
	// configuration, or 1 to order X only after X-1 is committed. It is
	// this sealer's own choice: sealers of one chain may differ.
	Window int `toml:"window" comment:"2 (default) orders the next block while the previous one executes (chains at compatibility version 0.4.0 or later); 1 never does."`
	// Fetching the tx bodies of proposals with tx hashes (compatibility
	// version 0.3.0 on; consensus/pbft/engine doc, "Proposals with tx
	// hashes"). 0 means the engine's default.
	FetchTimeoutMs         int `toml:"fetch_timeout_ms" comment:"How long to wait for a sealer's answer to a tx fetch before asking the next one (ms)."`
	FetchCacheTxs          int `toml:"fetch_cache_txs" comment:"Tx bodies kept by hash for resolving and serving proposals."`
	FetchRequestsPerSecond int `toml:"fetch_requests_per_second" comment:"Fetch requests one peer may make per second (burst: two seconds' worth); more are dropped."`
	FetchBytesPerSecond    int `toml:"fetch_bytes_per_second" comment:"Tx body bytes sent to one peer per second in fetch answers (burst: two seconds' worth)."`
}

// pbftWindow is the PBFT core window the configuration asks for.
func (c PBFTConfig) pbftWindow() uint64 {
	if c.Window == 0 {
		return 2
	}
	return uint64(c.Window)
}

// LogConfig configures logging.
type LogConfig struct {
	Level  string `toml:"level" comment:"debug, info, warn or error."`
	Format string `toml:"format" comment:"text or json."`
	// TxFlowSample logs the flow of one transaction in this many, chosen
	// by hash; 0 logs none.
	TxFlowSample int `toml:"tx_flow_sample" comment:"Log one tx in this many (chosen by hash) from its arrival in the pool to its commit, at debug level; 0 logs none."`
}

// MetricsConfig configures the node's Prometheus endpoint.
type MetricsConfig struct {
	Listen string `toml:"listen" comment:"Address of the Prometheus /metrics endpoint, host:port; \"\" turns it off."`
	Pprof  bool   `toml:"pprof" comment:"Also serve the Go profiler (/debug/pprof/) on the metrics address; keep off in production."`
}

// NetworkConfig configures the node's P2P endpoint: mutual TLS with its
// certificate, the peers it dials and who may connect.
type NetworkConfig struct {
	Listen   string   `toml:"listen" comment:"P2P address to accept peers on, host:port (e.g. \"0.0.0.0:30300\"); \"\" only dials."`
	Peers    []string `toml:"peers" comment:"Addresses (host:port) of peers to dial and keep connected."`
	CertDir  string   `toml:"cert_dir" comment:"Directory of the node's TLS certificate and key: node.crt, node.key (+ enc.crt, enc.key on sm chains), relative to this file."`
	CACerts  []string `toml:"ca_certs" comment:"Trusted CA certificate files (PEM); peers must chain to one of them. Several allowed."`
	CRLFiles []string `toml:"crl_files" comment:"Certificate revocation lists (PEM or DER) of the CA or the organisations."`
	Allow    []string `toml:"allow" comment:"Node ids (hex public keys) admitted besides the group's sealers and observers, e.g. nodes that only sync."`
	Deny     []string `toml:"deny" comment:"Node ids always refused, whatever else admits them."`
	// MaxFrameSize bounds one P2P message.
	MaxFrameSize int `toml:"max_frame_size" comment:"Largest P2P message accepted or sent, in bytes."`
	// SendQueueSize bounds the messages queued for one peer.
	SendQueueSize int `toml:"send_queue_size" comment:"Messages queued per peer; more are dropped."`
	// KeepaliveIdleMs and KeepaliveTimeoutMs detect peers that stopped
	// answering; RecheckIntervalMs is how often open connections are
	// verified again (certificate validity, CRL files, node list, deny).
	KeepaliveIdleMs    int `toml:"keepalive_idle_ms" comment:"Ping a peer silent this long, milliseconds; 0 uses the default (5000)."`
	KeepaliveTimeoutMs int `toml:"keepalive_timeout_ms" comment:"Disconnect a peer silent this long (it is then redialed with back-off), milliseconds; more than keepalive_idle_ms; 0 uses the default (15000)."`
	RecheckIntervalMs  int `toml:"recheck_interval_ms" comment:"How often open connections are verified again and changed CRL files reloaded, milliseconds; 0 uses the default (5000)."`
}

// DefaultNetworkConfig is the [network] section's defaults: keys absent
// from a present section take these values.
func DefaultNetworkConfig() NetworkConfig {
	return NetworkConfig{
		Listen:        "0.0.0.0:30300",
		CertDir:       "tls",
		CACerts:       []string{"ca.crt"},
		MaxFrameSize:  network.DefaultMaxFrameSize,
		SendQueueSize: 1024,

		KeepaliveIdleMs:    int(network.DefaultKeepaliveIdle / time.Millisecond),
		KeepaliveTimeoutMs: int(network.DefaultKeepaliveTimeout / time.Millisecond),
		RecheckIntervalMs:  defaultRecheckMs,
	}
}

// Limits of the [network] section.
const (
	maxFrameSizeLimit = 1 << 30
	maxSendQueueSize  = 1 << 20
	maxNetworkListLen = 10_000
	defaultRecheckMs  = 5000
	minIntervalMs     = 100
	maxKeepaliveMs    = 600_000
	maxRecheckMs      = 3_600_000
)

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
		TxPool:   TxPoolConfig{MaxTxs: 200_000, MaxBytes: 256 << 20, MaxPerSender: 20_000, Journal: true},
		Executor: ExecutorConfig{Parallel: executor.ParallelChunks},
		Log:      LogConfig{Level: "info", Format: "text", TxFlowSample: 100},
		PBFT: PBFTConfig{Window: 2, FetchTimeoutMs: 1000, FetchCacheTxs: 50_000,
			FetchRequestsPerSecond: 50, FetchBytesPerSecond: 16 << 20},
		State: StateConfig{History: StateHistoryAll},
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
	if c.Metrics.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Metrics.Listen); err != nil {
			bad("metrics.listen", fmt.Sprintf("%q is not host:port (%v); use \"\" to turn metrics off", c.Metrics.Listen, err))
		}
	} else if c.Metrics.Pprof {
		bad("metrics.pprof", "pprof is served on the metrics address: set metrics.listen too")
	}
	if c.Log.TxFlowSample < 0 {
		bad("log.tx_flow_sample", "must not be negative (0 logs no tx flow)")
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
	switch c.Executor.Parallel {
	case "", executor.ParallelBlockSTM, executor.ParallelChunks:
	default:
		bad("executor.parallel", fmt.Sprintf("%q is neither %q nor %q", c.Executor.Parallel, executor.ParallelChunks, executor.ParallelBlockSTM))
	}
	switch c.State.History {
	case "", StateHistoryAll, StateHistoryNone:
	default:
		bad("state.history", fmt.Sprintf("%q is neither %q nor %q", c.State.History, StateHistoryAll, StateHistoryNone))
	}
	if c.PBFT.Window < 0 || c.PBFT.Window > 2 {
		bad("pbft.window", fmt.Sprintf("%d: must be 1 (no pipelining) or 2 (0 means 2)", c.PBFT.Window))
	}
	for _, f := range []struct {
		key string
		v   int
	}{{"pbft.fetch_timeout_ms", c.PBFT.FetchTimeoutMs}, {"pbft.fetch_cache_txs", c.PBFT.FetchCacheTxs},
		{"pbft.fetch_requests_per_second", c.PBFT.FetchRequestsPerSecond}, {"pbft.fetch_bytes_per_second", c.PBFT.FetchBytesPerSecond}} {
		if f.v < 0 {
			bad(f.key, fmt.Sprintf("%d: must not be negative (0 means the default)", f.v))
		}
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		bad("log.level", err.Error())
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", fmt.Sprintf("%q is neither text nor json", c.Log.Format))
	}
	if c.Network != nil {
		c.Network.validate(bad)
	}
	if c.Explorer.Listen != "" {
		if err := checkHostPort(c.Explorer.Listen, true); err != nil {
			bad("explorer.listen", err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrConfig, strings.Join(errs, "; "))
	}
	return nil
}

// validate checks the [network] section; keys are named "network.<key>".
func (n *NetworkConfig) validate(bad func(key, why string)) {
	if n.Listen != "" {
		if err := checkHostPort(n.Listen, true); err != nil {
			bad("network.listen", err.Error())
		}
	}
	seenPeer := make(map[string]bool, len(n.Peers))
	for i, p := range n.Peers {
		key := fmt.Sprintf("network.peers[%d]", i)
		if err := checkHostPort(p, false); err != nil {
			bad(key, err.Error())
		} else if seenPeer[p] {
			bad(key, fmt.Sprintf("%q is listed twice", p))
		}
		seenPeer[p] = true
	}
	if n.CertDir == "" {
		bad("network.cert_dir", "must name the directory of the node's TLS certificate and key")
	}
	if len(n.CACerts) == 0 {
		bad("network.ca_certs", "at least one trusted CA certificate file is required")
	}
	for i, f := range n.CACerts {
		if strings.TrimSpace(f) == "" {
			bad(fmt.Sprintf("network.ca_certs[%d]", i), "must not be empty")
		}
	}
	for i, f := range n.CRLFiles {
		if strings.TrimSpace(f) == "" {
			bad(fmt.Sprintf("network.crl_files[%d]", i), "must not be empty")
		}
	}
	for _, l := range []struct {
		key string
		ids []string
	}{{"network.allow", n.Allow}, {"network.deny", n.Deny}} {
		if len(l.ids) > maxNetworkListLen {
			bad(l.key, fmt.Sprintf("at most %d node ids", maxNetworkListLen))
			continue
		}
		for i, s := range l.ids {
			if _, err := network.NodeIDFromHex(s); err != nil {
				bad(fmt.Sprintf("%s[%d]", l.key, i), fmt.Sprintf("%q is not a node id (128 hex digits of the public key, optionally 0x04-prefixed)", s))
			}
		}
	}
	if n.MaxFrameSize < network.MinMaxFrameSize || n.MaxFrameSize > maxFrameSizeLimit {
		bad("network.max_frame_size", fmt.Sprintf("must be between %d and %d", network.MinMaxFrameSize, maxFrameSizeLimit))
	}
	if n.SendQueueSize < 1 || n.SendQueueSize > maxSendQueueSize {
		bad("network.send_queue_size", fmt.Sprintf("must be between 1 and %d", maxSendQueueSize))
	}
	for _, d := range []struct {
		key      string
		v, limit int
	}{
		{"network.keepalive_idle_ms", n.KeepaliveIdleMs, maxKeepaliveMs},
		{"network.keepalive_timeout_ms", n.KeepaliveTimeoutMs, maxKeepaliveMs},
		{"network.recheck_interval_ms", n.RecheckIntervalMs, maxRecheckMs},
	} {
		if d.v != 0 && (d.v < minIntervalMs || d.v > d.limit) {
			bad(d.key, fmt.Sprintf("must be 0 (the default) or between %d and %d", minIntervalMs, d.limit))
		}
	}
	if idle, timeout := n.Keepalive(); timeout <= idle {
		bad("network.keepalive_timeout_ms", fmt.Sprintf("must exceed keepalive_idle_ms (%d)", idle.Milliseconds()))
	}
}

// Keepalive is the section's keepalive idle time and timeout, defaults
// applied for zero values. A zero timeout with a custom idle time is at
// least twice the idle time.
func (n *NetworkConfig) Keepalive() (idle, timeout time.Duration) {
	idle, timeout = network.DefaultKeepaliveIdle, network.DefaultKeepaliveTimeout
	if n.KeepaliveIdleMs > 0 {
		idle = time.Duration(n.KeepaliveIdleMs) * time.Millisecond
		timeout = max(timeout, 2*idle)
	}
	if n.KeepaliveTimeoutMs > 0 {
		timeout = time.Duration(n.KeepaliveTimeoutMs) * time.Millisecond
	}
	return idle, timeout
}

// RecheckInterval is how often open connections are verified again.
func (n *NetworkConfig) RecheckInterval() time.Duration {
	if n.RecheckIntervalMs > 0 {
		return time.Duration(n.RecheckIntervalMs) * time.Millisecond
	}
	return defaultRecheckMs * time.Millisecond
}

// checkHostPort checks a host:port address; the host may be empty (all
// interfaces) only for listen addresses, and the port 0 (any) likewise.
func checkHostPort(addr string, listen bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (%v)", addr, err)
	}
	if host == "" && !listen {
		return fmt.Errorf("%q has no host", addr)
	}
	if strings.ContainsAny(host, " \t/") {
		return fmt.Errorf("%q: bad host %q", addr, host)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 || (p == 0 && !listen) {
		return fmt.Errorf("%q: port %q is not a TCP port (1-65535)", addr, port)
	}
	return nil
}

// NodeIDs parses a list of hex node ids (the allow or deny list); the
// config's validation already checked them.
func NodeIDs(list []string) ([]network.NodeID, error) {
	out := make([]network.NodeID, 0, len(list))
	for _, s := range list {
		id, err := network.NodeIDFromHex(s)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// NetworkMaterial is what the [network] section's files hold: the node's
// TLS identity, the trusted CAs, the CRLs and the parsed allow and deny
// lists.
type NetworkMaterial struct {
	Node       *certs.NodeCert
	TrustedCAs []*smx509.Certificate
	CRLs       []*smx509.RevocationList
	// CRLFiles are the paths CRLs were read from, in order, for the
	// admission to reload when they change.
	CRLFiles    []string
	Allow, Deny []network.NodeID
}

// LoadNetworkMaterial reads the files named by the [network] section,
// relative to the config file. It fails if the section is absent.
func (c *Config) LoadNetworkMaterial() (*NetworkMaterial, error) {
	n := c.Network
	if n == nil {
		return nil, fmt.Errorf("%w: no [network] section", ErrConfig)
	}
	m := &NetworkMaterial{}
	var err error
	if m.Node, err = certs.LoadNodeCert(c.Path(n.CertDir)); err != nil {
		return nil, fmt.Errorf("network.cert_dir: %w", err)
	}
	for _, f := range n.CACerts {
		cs, err := certs.ReadCertsFile(c.Path(f))
		if err != nil {
			return nil, fmt.Errorf("network.ca_certs: %w", err)
		}
		m.TrustedCAs = append(m.TrustedCAs, cs...)
	}
	for _, f := range n.CRLFiles {
		rl, err := certs.ReadCRLFile(c.Path(f))
		if err != nil {
			return nil, fmt.Errorf("network.crl_files: %w", err)
		}
		m.CRLs = append(m.CRLs, rl)
		m.CRLFiles = append(m.CRLFiles, c.Path(f))
	}
	if m.Allow, err = NodeIDs(n.Allow); err != nil {
		return nil, fmt.Errorf("network.allow: %w", err)
	}
	if m.Deny, err = NodeIDs(n.Deny); err != nil {
		return nil, fmt.Errorf("network.deny: %w", err)
	}
	return m, nil
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
	if hasSection(raw, "network") {
		// Keys absent from a present [network] section keep their defaults.
		def := DefaultNetworkConfig()
		cfg.Network = &def
	}
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

// hasSection reports whether the TOML document defines the top-level table
// name. A document that does not parse reports false; the strict decoder
// then reports the error.
func hasSection(raw []byte, name string) bool {
	var probe map[string]any
	if err := toml.Unmarshal(raw, &probe); err != nil {
		return false
	}
	_, ok := probe[name]
	return ok
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
