package chainbuild

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/node"
)

// Options are the choices of Build; each field is a flag of `gobcos chain
// build`, named in errors.
type Options struct {
	Dir       string   // --dir: output directory
	Nodes     int      // --nodes: number of nodes (all sealers)
	Orgs      int      // --orgs: organisations; nodes are assigned round-robin
	Crypto    string   // --crypto: "ecdsa" or "sm"
	Consensus string   // --consensus: "pbft", "raft" or "solo"
	P2PPort   int      // --p2p-port: base P2P port
	RPCPort   int      // --rpc-port: base JSON-RPC port
	Hosts     []string // --hosts: one host per node (empty: all on 127.0.0.1)
	CACert    string   // --ca-cert: an existing chain CA certificate (with CAKey)
	CAKey     string   // --ca-key: its PKCS#8 PEM private key
	ChainID   uint64   // --chain-id
	GroupID   string   // --group
	Force     bool     // --force: replace a chain generated in Dir
	// MetricsPort is --metrics-port: base port of the nodes' Prometheus
	// endpoints, node i on a shared host at base+i (0: metrics off).
	MetricsPort int

	// Validity of generated certificates (0: DefaultValidity), clamped to
	// the issuer's.
	Validity time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Defaults of Options.
const (
	DefaultNodes    = 4
	DefaultP2PPort  = 30300
	DefaultRPCPort  = 8545
	DefaultChainID  = 20200
	DefaultGroupID  = "group0"
	DefaultValidity = 10 * 365 * 24 * time.Hour
	// MaxNodes bounds --nodes.
	MaxNodes = 1000
	// loopback is the host of nodes when no hosts are given.
	loopback = "127.0.0.1"
	// clockSkew back-dates certificates so peers with slightly slow clocks
	// accept them at once.
	clockSkew = time.Hour
)

// DefaultMetricsPort is the base port of the nodes' /metrics.
const DefaultMetricsPort = 9100

// DefaultOptions is a 4-node, 1-organisation ECDSA PBFT chain in ./chain.
func DefaultOptions() Options {
	return Options{
		Dir: "chain", Nodes: DefaultNodes, Orgs: 1, Crypto: crypto.NameECDSA, Consensus: node.ConsensusPBFT,
		P2PPort: DefaultP2PPort, RPCPort: DefaultRPCPort, MetricsPort: DefaultMetricsPort, ChainID: DefaultChainID, GroupID: DefaultGroupID,
	}
}

func badOption(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrOptions, fmt.Sprintf(format, args...))
}

// check validates the options and returns the suite.
func (o *Options) check() (crypto.Suite, error) {
	if o.Dir == "" {
		return nil, badOption("--dir must name the output directory")
	}
	if o.Nodes < 1 || o.Nodes > MaxNodes {
		return nil, badOption("--nodes %d: must be between 1 and %d", o.Nodes, MaxNodes)
	}
	if o.Orgs < 1 {
		return nil, badOption("--orgs %d: at least one organisation is required", o.Orgs)
	}
	if o.Orgs > o.Nodes {
		return nil, badOption("--orgs %d is more than --nodes %d: every organisation needs a node", o.Orgs, o.Nodes)
	}
	if o.Crypto != crypto.NameECDSA && o.Crypto != crypto.NameSM {
		return nil, badOption("--crypto %q: want ecdsa (secp256k1 + Keccak-256) or sm (SM2 + SM3)", o.Crypto)
	}
	suite, err := crypto.ByName(o.Crypto)
	if err != nil {
		return nil, badOption("--crypto %q: %v", o.Crypto, err)
	}
	switch o.Consensus {
	case node.ConsensusPBFT, node.ConsensusRaft:
	case node.ConsensusSolo:
		if o.Nodes != 1 {
			return nil, badOption("--consensus solo has exactly one sealer: use --nodes 1, or pbft for %d nodes", o.Nodes)
		}
	default:
		return nil, badOption("--consensus %q: want pbft, raft or solo", o.Consensus)
	}
	if o.ChainID == 0 {
		return nil, badOption("--chain-id must be a positive integer")
	}
	if o.GroupID == "" || len(o.GroupID) > 64 || !node.ValidOrgName(o.GroupID) {
		return nil, badOption("--group %q: 1 to 64 characters from A-Z a-z 0-9 . _ -", o.GroupID)
	}
	if len(o.Hosts) != 0 && len(o.Hosts) != o.Nodes {
		return nil, badOption("--hosts lists %d host(s) for %d node(s): give one host per node (repeat a host to put several nodes on it)", len(o.Hosts), o.Nodes)
	}
	for i, h := range o.Hosts {
		if err := checkHost(h); err != nil {
			return nil, badOption("--hosts entry %d: %v", i+1, err)
		}
	}
	if (o.CACert == "") != (o.CAKey == "") {
		return nil, badOption("--ca-cert and --ca-key go together: give both or neither")
	}
	if o.Validity < 0 {
		return nil, badOption("certificate validity must be positive")
	}
	return suite, nil
}

// checkHost accepts an IP address or a DNS name, without a port.
func checkHost(h string) error {
	if h == "" {
		return fmt.Errorf("empty host")
	}
	if ip := net.ParseIP(h); ip != nil {
		if ip.IsUnspecified() {
			return fmt.Errorf("%q is not an address other nodes can dial; give the machine's address", h)
		}
		return nil
	}
	if len(h) > 253 {
		return fmt.Errorf("%q is too long for a host name", h)
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%q is neither an IP address nor a host name (a port does not belong here)", h)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("%q is neither an IP address nor a host name (a port does not belong here)", h)
			}
		}
	}
	return nil
}

// checkPort checks a base port flag.
func checkPort(flag string, p int) error {
	if p < 1 || p > 65535 {
		return badOption("%s %d: not a TCP port (1-65535)", flag, p)
	}
	return nil
}

// placement is where one node runs.
type placement struct {
	host             string
	p2pPort, rpcPort int
}

// layout places n nodes: node i on hosts[i] (loopback without hosts), the
// k-th node on a host at the base ports plus k. It refuses ports beyond
// 65535 and a P2P port equal to an RPC port on one host.
func layout(hosts []string, n, p2pBase, rpcBase int) ([]placement, error) {
	if err := checkPort("--p2p-port", p2pBase); err != nil {
		return nil, err
	}
	if err := checkPort("--rpc-port", rpcBase); err != nil {
		return nil, err
	}
	perHost := map[string]int{}
	used := map[string]string{} // host:port -> what
	out := make([]placement, n)
	for i := range n {
		h := loopback
		if len(hosts) > 0 {
			h = hosts[i]
		}
		k := perHost[h]
		perHost[h]++
		pl := placement{host: h, p2pPort: p2pBase + k, rpcPort: rpcBase + k}
		if pl.p2pPort > 65535 {
			return nil, badOption("--p2p-port %d: node%d would need port %d, beyond 65535", p2pBase, i, pl.p2pPort)
		}
		if pl.rpcPort > 65535 {
			return nil, badOption("--rpc-port %d: node%d would need port %d, beyond 65535", rpcBase, i, pl.rpcPort)
		}
		for _, p := range []struct {
			what string
			port int
		}{{"P2P", pl.p2pPort}, {"RPC", pl.rpcPort}} {
			key := net.JoinHostPort(h, fmt.Sprint(p.port))
			if other, clash := used[key]; clash {
				return nil, badOption("node%d's %s port %s is also %s: choose --p2p-port and --rpc-port ranges that do not overlap", i, p.what, key, other)
			}
			used[key] = fmt.Sprintf("node%d's %s port", i, p.what)
		}
		out[i] = pl
	}
	return out, nil
}
