package chainbuild

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gobcos/gobcos/network/certs"
	"github.com/gobcos/gobcos/node"
)

// AddOptions are the choices of AddNode; each field is a flag of `gobcos
// chain add-node`.
type AddOptions struct {
	Dir  string // --dir: the chain directory made by Build
	Org  string // --org: the organisation issuing the node's certificate
	Host string // --host: where the node runs ("" = 127.0.0.1)
	// P2PPort, RPCPort and MetricsPort (0: the chain's base port plus the
	// number of nodes already on the host, skipping used ports; no metrics
	// when the chain has none and MetricsPort is 0).
	P2PPort, RPCPort, MetricsPort int
	// UpdateAllowLists adds the new node id to the allow-list of every
	// existing node's config.toml.
	UpdateAllowLists bool
	// Validity of the node certificate (0: DefaultValidity), clamped to
	// the organisation's.
	Validity time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// AddResult describes the added node.
type AddResult struct {
	Node    NodeEntry
	NodeDir string // absolute
	// AllowLine is the [network] allow line that admits the node, for the
	// config.toml of each existing node.
	AllowLine string
	// Updated lists the config files whose allow-list now holds the node
	// (with UpdateAllowLists); each previous version is kept as .bak.
	Updated []string
}

// AddNode issues one more node for the chain in opts.Dir: a consensus key,
// a certificate from the organisation, and nodeN/ with the chain's genesis
// and a config dialing every existing node. The genesis does not change:
// the node is an observer that syncs, admitted by existing nodes through
// their local allow-lists. It is recorded in chain.json with role
// "observer".
func AddNode(opts AddOptions) (*AddResult, error) {
	if opts.Dir == "" {
		return nil, badOption("--dir must name the chain directory")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	orgName := opts.Org
	if orgName == "" && len(m.Orgs) == 1 {
		orgName = m.Orgs[0].Name
	}
	if _, ok := m.org(orgName); !ok {
		names := make([]string, len(m.Orgs))
		for i, o := range m.Orgs {
			names[i] = o.Name
		}
		return nil, fmt.Errorf("%w: --org %q: the chain's organisations are %s", ErrUnknownOrg, orgName, strings.Join(names, ", "))
	}
	g, err := node.LoadGenesis(filepath.Join(dir, GenesisFile))
	if err != nil {
		return nil, err
	}
	if g.CryptoSuite != m.CryptoSuite {
		return nil, fmt.Errorf("%w: %s names suite %q but the genesis %q", ErrNotChainDir, ManifestFile, m.CryptoSuite, g.CryptoSuite)
	}
	genesisJSON, err := os.ReadFile(filepath.Join(dir, GenesisFile))
	if err != nil {
		return nil, err
	}
	od := filepath.Join(dir, OrgsDir, orgName)
	org, err := certs.LoadAuthority(filepath.Join(od, OrgCertFile), filepath.Join(od, OrgKeyFile))
	if err != nil {
		return nil, fmt.Errorf("organisation %s: %w", orgName, err)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, CADir, CACertFile))
	if err != nil {
		return nil, fmt.Errorf("chain CA certificate: %w", err)
	}
	if _, err := certs.ParseCertsPEM(caPEM); err != nil {
		return nil, fmt.Errorf("chain CA certificate: %w", err)
	}

	host := opts.Host
	if host == "" {
		host = loopback
	}
	if err := checkHost(host); err != nil {
		return nil, badOption("--host: %v", err)
	}
	taken := map[int]string{}
	for _, n := range m.Nodes {
		if n.Host == host {
			taken[n.P2PPort] = n.Name + "'s P2P port"
			taken[n.RPCPort] = n.Name + "'s RPC port"
			if n.MetricsPort != 0 {
				taken[n.MetricsPort] = n.Name + "'s metrics port"
			}
		}
	}
	p2p, err := pickPort("--p2p-port", opts.P2PPort, m.P2PPort, host, taken)
	if err != nil {
		return nil, err
	}
	taken[p2p] = "the new node's P2P port"
	rpc, err := pickPort("--rpc-port", opts.RPCPort, m.RPCPort, host, taken)
	if err != nil {
		return nil, err
	}
	taken[rpc] = "the new node's RPC port"
	metricsPort := 0
	if opts.MetricsPort != 0 || m.MetricsPort != 0 {
		if metricsPort, err = pickPort("--metrics-port", opts.MetricsPort, max(m.MetricsPort, 1), host, taken); err != nil {
			return nil, err
		}
	}
	name, err := freeNodeName(dir, m)
	if err != nil {
		return nil, err
	}

	var cfgs []pendingConfig
	if opts.UpdateAllowLists {
		if cfgs, err = loadConfigs(dir, m); err != nil {
			return nil, err
		}
	}

	now := time.Now()
	if opts.Now != nil {
		now = opts.Now()
	}
	validity := opts.Validity
	if validity <= 0 {
		validity = DefaultValidity
	}
	suite := g.Suite()
	n, err := newNode(suite, org, name, now, validity)
	if err != nil {
		return nil, err
	}
	n.entry.Role, n.entry.Host, n.entry.P2PPort, n.entry.RPCPort = RoleObserver, host, p2p, rpc
	n.entry.MetricsPort = metricsPort

	// Dial every node; admit the earlier observers, which the genesis
	// node list does not name.
	var peers, allow []string
	for _, e := range m.Nodes {
		peers = append(peers, e.P2PAddr())
		if e.Role == RoleObserver {
			allow = append(allow, e.NodeID)
		}
	}
	cfg, err := nodeConfig(n.entry, peers, allow)
	if err != nil {
		return nil, err
	}
	staging, err := os.MkdirTemp(dir, ".add-node-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(staging)
	if err := writeNodeDir(filepath.Join(staging, name), n, cfg, genesisJSON, caPEM); err != nil {
		return nil, err
	}
	nodeDir := filepath.Join(dir, name)
	if err := os.Rename(filepath.Join(staging, name), nodeDir); err != nil {
		return nil, err
	}
	m.Nodes = append(m.Nodes, n.entry)
	if err := m.write(dir); err != nil {
		return nil, fmt.Errorf("%s was written but %s was not updated: %w", nodeDir, ManifestFile, err)
	}
	if err := writePrometheusConfig(dir, m); err != nil {
		return nil, fmt.Errorf("%s was added but %s was not updated: %w", nodeDir, PrometheusFile, err)
	}

	res := &AddResult{Node: n.entry, NodeDir: nodeDir, AllowLine: fmt.Sprintf("allow = ['%s']", n.entry.NodeID)}
	for _, pc := range cfgs {
		if slices.Contains(pc.cfg.Network.Allow, n.entry.NodeID) {
			continue
		}
		pc.cfg.Network.Allow = append(pc.cfg.Network.Allow, n.entry.NodeID)
		if err := rewriteConfig(pc.path, pc.cfg); err != nil {
			return res, fmt.Errorf("updating the allow-list of %s: %w", pc.path, err)
		}
		res.Updated = append(res.Updated, pc.path)
	}
	return res, nil
}

// pickPort returns the wanted port if given and free on the host, else the
// first free port from base.
func pickPort(flag string, want, base int, host string, taken map[int]string) (int, error) {
	if want != 0 {
		if err := checkPort(flag, want); err != nil {
			return 0, err
		}
		if what, used := taken[want]; used {
			return 0, badOption("%s %d: already %s on %s", flag, want, what, host)
		}
		return want, nil
	}
	for p := base; p <= 65535; p++ {
		if _, used := taken[p]; !used {
			return p, nil
		}
	}
	return 0, badOption("%s: no free port from %d on %s; give one", flag, base, host)
}

// freeNodeName is the first nodeN neither in the manifest nor on disk.
func freeNodeName(dir string, m *Manifest) (string, error) {
	inManifest := map[string]bool{}
	for _, n := range m.Nodes {
		inManifest[n.Name] = true
	}
	for i := len(m.Nodes); i < len(m.Nodes)+MaxNodes; i++ {
		name := fmt.Sprintf("node%d", i)
		if inManifest[name] {
			continue
		}
		if _, err := os.Lstat(filepath.Join(dir, name)); errors.Is(err, fs.ErrNotExist) {
			return name, nil
		}
	}
	return "", fmt.Errorf("no free node directory name in %s", dir)
}

// pendingConfig is an existing node's config to update.
type pendingConfig struct {
	path string
	cfg  node.Config
}

// loadConfigs loads every existing node's config, so that no file is
// changed unless all of them can be.
func loadConfigs(dir string, m *Manifest) ([]pendingConfig, error) {
	out := make([]pendingConfig, 0, len(m.Nodes))
	for _, n := range m.Nodes {
		path := filepath.Join(dir, n.Name, node.ConfigFile)
		cfg, err := node.LoadConfig(path)
		if err != nil {
			return nil, fmt.Errorf("--update-allow-lists: %w", err)
		}
		if cfg.Network == nil {
			return nil, fmt.Errorf("--update-allow-lists: %s has no [network] section", path)
		}
		out = append(out, pendingConfig{path: path, cfg: cfg})
	}
	return out, nil
}

// rewriteConfig keeps the current file as .bak and writes cfg.
func rewriteConfig(path string, cfg node.Config) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+".bak", old, 0o644); err != nil {
		return err
	}
	return node.WriteConfig(path, cfg)
}
