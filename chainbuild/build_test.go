package chainbuild

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/network"
	"github.com/gobcos/gobcos/network/certs"
	"github.com/gobcos/gobcos/node"
)

func buildOpts(dir, suite string) Options {
	o := DefaultOptions()
	o.Dir, o.Crypto = dir, suite
	return o
}

// TestBuildFourNodesTwoOrgs reads every generated node back as a node
// would and checks configs, genesis, keys, certificates and admission.
func TestBuildFourNodesTwoOrgs(t *testing.T) {
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(suite.Name(), func(t *testing.T) { testBuild(t, suite) })
	}
}

func testBuild(t *testing.T, suite crypto.Suite) {
	dir := filepath.Join(t.TempDir(), "chain")
	o := buildOpts(dir, suite.Name())
	o.Orgs, o.ChainID, o.GroupID = 2, 777, "g1"
	res, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Nodes) != 4 || len(m.Orgs) != 2 || m.CryptoSuite != suite.Name() || m.Consensus != node.ConsensusPBFT || m.ChainID != 777 {
		t.Fatalf("manifest %+v", m)
	}
	master := readFile(t, filepath.Join(dir, GenesisFile))
	g, err := node.LoadGenesis(filepath.Join(dir, GenesisFile))
	if err != nil {
		t.Fatal(err)
	}
	if g.Hash() != res.Genesis.Hash() || g.ChainID != 777 || g.GroupID != "g1" || g.Consensus != node.ConsensusPBFT ||
		len(g.Sealers) != 4 || g.PBFTLeaderPeriod() != 1 || g.PBFTConsensusTimeout() != 3*time.Second ||
		g.MinSealIntervalMs != node.ChainMinSealIntervalMs {
		t.Fatalf("genesis %+v", g)
	}

	// Organisations: certificate fingerprint and admin account in genesis.
	for i, org := range m.Orgs {
		od := filepath.Join(dir, OrgsDir, org.Name)
		if org.Name != fmt.Sprintf("org%d", i+1) {
			t.Fatalf("org %d named %q", i, org.Name)
		}
		oc, err := certs.ReadCertsFile(filepath.Join(od, OrgCertFile))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(oc[0].Raw)
		if g.Organisations[i].Name != org.Name || !sameBytes(g.Organisations[i].CertSHA256, sum[:]) {
			t.Fatalf("genesis organisation %d: %+v", i, g.Organisations[i])
		}
		admin, err := node.LoadKey(filepath.Join(od, AdminKeyFile), suite)
		if err != nil {
			t.Fatal(err)
		}
		c := g.Committee[i]
		if c.Address != admin.Address() || c.Weight != 1 || c.Org != org.Name || org.Admin != admin.Address() {
			t.Fatalf("committee %d: %+v, admin %s", i, c, admin.Address())
		}
		if got := strings.TrimSpace(string(readFile(t, filepath.Join(od, AdminAddrFile)))); got != admin.Address().Hex() {
			t.Fatalf("admin.address %q", got)
		}
		for _, f := range []string{AdminKeyFile, OrgKeyFile} {
			if mode := fileMode(t, filepath.Join(od, f)); mode != 0o600 {
				t.Errorf("%s/%s mode %v", org.Name, f, mode)
			}
		}
	}
	if mode := fileMode(t, filepath.Join(dir, CADir, CAKeyFile)); mode != 0o600 || !res.CAGenerated {
		t.Errorf("ca.key mode %v, generated %v", mode, res.CAGenerated)
	}
	caCerts, err := certs.ReadCertsFile(filepath.Join(dir, CADir, CACertFile))
	if err != nil {
		t.Fatal(err)
	}

	nodes := make([]*loadedNode, len(m.Nodes))
	for i, e := range m.Nodes {
		n := loadNode(t, dir, e)
		nodes[i] = n
		if e.Name != fmt.Sprintf("node%d", i) || e.Role != RoleSealer {
			t.Fatalf("node %d: %+v", i, e)
		}
		// Identical genesis everywhere.
		if !sameBytes(readFile(t, n.cfg.Path(n.cfg.Genesis)), master) || n.genesis.Hash() != g.Hash() {
			t.Fatalf("%s: genesis differs", e.Name)
		}
		// The consensus key is sealer i, its id is in node.id and the manifest.
		if !sameBytes(n.key.PublicKey(), g.Sealers[i]) {
			t.Fatalf("%s: key is not sealer %d", e.Name, i)
		}
		id, _ := network.ParseNodeID(n.key.PublicKey())
		if e.NodeID != id.String() || strings.TrimSpace(string(readFile(t, filepath.Join(dir, e.Name, NodeIDFile)))) != id.String() {
			t.Fatalf("%s: node id mismatch", e.Name)
		}
		if mode := fileMode(t, n.cfg.Path(n.cfg.KeyFile)); mode != 0o600 {
			t.Errorf("%s: node.key mode %v", e.Name, mode)
		}
		// The TLS certificate binds the consensus key, signed by the node's org.
		bound, err := certs.VerifyBinding(n.mat.Node.Cert, suite)
		if err != nil || !sameBytes(bound, n.key.PublicKey()) {
			t.Fatalf("%s: binding %x, %v", e.Name, bound, err)
		}
		wantOrg := fmt.Sprintf("org%d", i%2+1)
		if e.Org != wantOrg || n.mat.Node.Issuer.Subject.CommonName != wantOrg {
			t.Fatalf("%s: org %q / issuer %q, want %s", e.Name, e.Org, n.mat.Node.Issuer.Subject.CommonName, wantOrg)
		}
		if suite.Name() == crypto.NameSM && n.mat.Node.EncCert == nil {
			t.Fatalf("%s: no TLCP encryption certificate", e.Name)
		}
		// The trusted CA is the chain CA.
		if len(n.mat.TrustedCAs) != 1 || !sameBytes(n.mat.TrustedCAs[0].Raw, caCerts[0].Raw) {
			t.Fatalf("%s: trusted CAs differ from ca/ca.crt", e.Name)
		}
		// Ports: loopback layout.
		if n.cfg.RPC.Listen != fmt.Sprintf("127.0.0.1:%d", 8545+i) || n.cfg.Network.Listen != fmt.Sprintf("0.0.0.0:%d", 30300+i) {
			t.Fatalf("%s: rpc %s, p2p %s", e.Name, n.cfg.RPC.Listen, n.cfg.Network.Listen)
		}
		var peers []string
		for j := range 4 {
			if j != i {
				peers = append(peers, fmt.Sprintf("127.0.0.1:%d", 30300+j))
			}
		}
		if strings.Join(n.cfg.Network.Peers, ",") != strings.Join(peers, ",") {
			t.Fatalf("%s: peers %v, want %v", e.Name, n.cfg.Network.Peers, peers)
		}
	}
	// Every node admits every other one.
	for _, a := range nodes {
		adm := a.admission(t)
		for _, b := range nodes {
			got, err := adm.Admit(b.presented())
			if err != nil {
				t.Fatalf("%s refuses %s: %v", a.entry.Name, b.entry.Name, err)
			}
			if got.NodeID.String() != b.entry.NodeID || got.Name != b.entry.Name || got.Org != b.entry.Org {
				t.Fatalf("%s sees %s as %+v", a.entry.Name, b.entry.Name, got)
			}
		}
	}
	// A real handshake over the chain's TLS stack.
	cs, ss, err := handshake(t, nodes[0], nodes[1])
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if cs.NodeID.String() != nodes[1].entry.NodeID || ss.NodeID.String() != nodes[0].entry.NodeID {
		t.Fatalf("handshake identities %v / %v", cs.NodeID.Short(), ss.NodeID.Short())
	}

	// Another chain's nodes are refused: different CA.
	other := filepath.Join(t.TempDir(), "other")
	if _, err := Build(buildOpts(other, suite.Name())); err != nil {
		t.Fatal(err)
	}
	om, _ := ReadManifest(other)
	stranger := loadNode(t, other, om.Nodes[0])
	if _, err := nodes[0].admission(t).Admit(stranger.presented()); !errors.Is(err, network.ErrUntrustedCA) {
		t.Fatalf("a node of another chain: %v", err)
	}
	if _, _, err := handshake(t, stranger, nodes[0]); err == nil {
		t.Fatal("a handshake with a node of another chain succeeded")
	}
	// No staging directory is left behind.
	ents, _ := os.ReadDir(filepath.Dir(dir))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

func TestBuildHostsLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "chain")
	o := buildOpts(dir, crypto.NameECDSA)
	o.Hosts = []string{"10.0.0.1", "10.0.0.2", "10.0.0.2", "node4.example.com"}
	o.P2PPort, o.RPCPort = 40000, 9000
	if _, err := Build(o); err != nil {
		t.Fatal(err)
	}
	m, _ := ReadManifest(dir)
	want := []struct{ p2p, rpc, listen string }{
		{"10.0.0.1:40000", "10.0.0.1:9000", "0.0.0.0:40000"},
		{"10.0.0.2:40000", "10.0.0.2:9000", "0.0.0.0:40000"},
		{"10.0.0.2:40001", "10.0.0.2:9001", "0.0.0.0:40001"},
		{"node4.example.com:40000", "node4.example.com:9000", "0.0.0.0:40000"},
	}
	for i, e := range m.Nodes {
		cfg, err := node.LoadConfig(filepath.Join(dir, e.Name, node.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		if e.P2PAddr() != want[i].p2p || cfg.RPC.Listen != want[i].rpc || cfg.Network.Listen != want[i].listen {
			t.Errorf("node%d: p2p %s rpc %s listen %s, want %+v", i, e.P2PAddr(), cfg.RPC.Listen, cfg.Network.Listen, want[i])
		}
		for _, p := range cfg.Network.Peers {
			if p == want[i].p2p {
				t.Errorf("node%d dials itself", i)
			}
		}
		if len(cfg.Network.Peers) != 3 {
			t.Errorf("node%d peers %v", i, cfg.Network.Peers)
		}
	}
	// IPv6 hosts listen on all IPv6 interfaces.
	dir6 := filepath.Join(t.TempDir(), "v6")
	o = buildOpts(dir6, crypto.NameECDSA)
	o.Nodes, o.Hosts = 1, []string{"fd00::1"}
	o.Consensus = node.ConsensusSolo
	if _, err := Build(o); err != nil {
		t.Fatal(err)
	}
	cfg, err := node.LoadConfig(filepath.Join(dir6, "node0", node.ConfigFile))
	if err != nil || cfg.Network.Listen != "[::]:30300" || cfg.RPC.Listen != "[fd00::1]:8545" {
		t.Fatalf("ipv6: %+v %v", cfg.Network, err)
	}
}

func TestLayoutPortErrors(t *testing.T) {
	cases := []struct {
		hosts     []string
		n         int
		p2p, rpc  int
		wantInErr string
	}{
		{nil, 2, 8544, 8545, "overlap"},      // node1's P2P 8545 is node0's RPC
		{nil, 1, 8545, 8545, "overlap"},      // same port
		{nil, 3, 65534, 8545, "--p2p-port"},  // 65536
		{nil, 3, 30300, 65534, "--rpc-port"}, // 65536
		{nil, 1, 0, 8545, "--p2p-port"},
		{nil, 1, 30300, 70000, "--rpc-port"},
	}
	for _, c := range cases {
		_, err := layout(c.hosts, c.n, c.p2p, c.rpc)
		if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), c.wantInErr) {
			t.Errorf("%+v: %v", c, err)
		}
	}
	// Distinct hosts may share ports.
	if _, err := layout([]string{"a", "b"}, 2, 8545, 8546); err != nil {
		t.Error(err)
	}
}

func TestBuildOptionErrors(t *testing.T) {
	tmp := t.TempDir()
	ca, err := certs.GenerateCA(certs.SM2, "sm ca", certs.ValidFor(time.Now().Add(-time.Hour), 24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	smCert, smKey := filepath.Join(tmp, "sm.crt"), filepath.Join(tmp, "sm.key")
	if err := ca.WriteFiles(smCert, smKey); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(o *Options){
		"--nodes":     func(o *Options) { o.Nodes = 0 },
		"--orgs 0":    func(o *Options) { o.Orgs = 0 },
		"--orgs 5":    func(o *Options) { o.Orgs = 5 },
		"--crypto":    func(o *Options) { o.Crypto = "rsa" },
		"--consensus": func(o *Options) { o.Consensus = "pow" },
		"solo":        func(o *Options) { o.Consensus = "solo" },
		"--hosts":     func(o *Options) { o.Hosts = []string{"a", "b"} },
		"entry 2":     func(o *Options) { o.Hosts = []string{"a", "b:80", "c", "d"} },
		"dial":        func(o *Options) { o.Hosts = []string{"a", "b", "0.0.0.0", "d"} },
		"--p2p-port":  func(o *Options) { o.P2PPort = 0 },
		"--rpc-port":  func(o *Options) { o.RPCPort = 65535 },
		"--chain-id":  func(o *Options) { o.ChainID = 0 },
		"--group":     func(o *Options) { o.GroupID = "a b" },
		"go together": func(o *Options) { o.CACert = smCert },
		"SM2 key":     func(o *Options) { o.CACert, o.CAKey = smCert, smKey }, // ecdsa chain, SM2 CA
		"--dir":       func(o *Options) { o.Dir = "" },
	}
	for want, brk := range cases {
		dir := filepath.Join(tmp, "out")
		o := buildOpts(dir, crypto.NameECDSA)
		brk(&o)
		_, err := Build(o)
		if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s: the output directory was created", want)
		}
	}
}

func TestBuildWithGivenCA(t *testing.T) {
	tmp := t.TempDir()
	ca, err := certs.GenerateCA(certs.SM2, "operator CA", certs.ValidFor(time.Now().Add(-time.Hour), 30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	caCert, caKey := filepath.Join(tmp, "op.crt"), filepath.Join(tmp, "op.key")
	if err := ca.WriteFiles(caCert, caKey); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "chain")
	o := buildOpts(dir, crypto.NameSM)
	o.CACert, o.CAKey = caCert, caKey
	res, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	if res.CAGenerated || res.CAKeyPath != caKey {
		t.Fatalf("result %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, CADir, CAKeyFile)); err == nil {
		t.Fatal("the operator's CA key was copied into the chain directory")
	}
	if !sameBytes(readFile(t, filepath.Join(dir, CADir, CACertFile)), readFile(t, caCert)) {
		t.Fatal("ca/ca.crt is not the given CA")
	}
	m, _ := ReadManifest(dir)
	a, b := loadNode(t, dir, m.Nodes[0]), loadNode(t, dir, m.Nodes[3])
	if _, err := a.admission(t).Admit(b.presented()); err != nil {
		t.Fatal(err)
	}
	// Certificates do not outlive the CA.
	if b.mat.Node.Cert.NotAfter.After(ca.Cert.NotAfter) {
		t.Fatalf("node certificate valid until %v, CA until %v", b.mat.Node.Cert.NotAfter, ca.Cert.NotAfter)
	}

	// A CA key inside what --force replaces is refused, except ca/ca.key.
	inside := filepath.Join(dir, "node0", "op.key")
	if err := os.WriteFile(inside, readFile(t, caKey), 0o600); err != nil {
		t.Fatal(err)
	}
	o.Force, o.CAKey = true, inside
	if _, err := Build(o); !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), "node0") {
		t.Fatalf("CA key inside node0: %v", err)
	}
	own := filepath.Join(dir, CADir, CAKeyFile)
	if err := os.WriteFile(own, readFile(t, caKey), 0o600); err != nil {
		t.Fatal(err)
	}
	o.CAKey = own
	if res, err = Build(o); err != nil {
		t.Fatal(err)
	}
	if _, err := certs.LoadAuthority(filepath.Join(dir, CADir, CACertFile), own); err != nil || res.CAKeyPath != own {
		t.Fatalf("ca/ca.key was not kept: %v", err)
	}
	// An expired CA is refused.
	old, _ := certs.GenerateCA(certs.SM2, "old CA", certs.ValidFor(time.Now().Add(-48*time.Hour), time.Hour))
	if err := old.WriteFiles(caCert, caKey); err != nil {
		t.Fatal(err)
	}
	o = buildOpts(filepath.Join(tmp, "chain2"), crypto.NameSM)
	o.CACert, o.CAKey = caCert, caKey
	if _, err := Build(o); !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), "not now") {
		t.Fatalf("expired CA: %v", err)
	}
}

func TestBuildRefusesToOverwrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "chain")
	// An existing empty directory is fine.
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	o := buildOpts(dir, crypto.NameECDSA)
	o.Nodes = 5
	if _, err := Build(o); err != nil {
		t.Fatal(err)
	}
	id0 := readFile(t, filepath.Join(dir, "node0", NodeIDFile))
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.Nodes = 4
	if _, err := Build(o); !errors.Is(err, ErrExists) {
		t.Fatalf("second build: %v", err)
	}
	if !sameBytes(readFile(t, filepath.Join(dir, "node0", NodeIDFile)), id0) {
		t.Fatal("a refused build changed node0")
	}
	o.Force = true
	if _, err := Build(o); err != nil {
		t.Fatal(err)
	}
	if sameBytes(readFile(t, filepath.Join(dir, "node0", NodeIDFile)), id0) {
		t.Fatal("--force kept the old node0")
	}
	if _, err := os.Stat(filepath.Join(dir, "node4")); err == nil {
		t.Fatal("--force left the old node4 behind")
	}
	if string(readFile(t, notes)) != "mine" {
		t.Fatal("--force touched a file it did not generate")
	}
}

// TestBuildSoloRuns: a one-node solo chain from chain build runs as a
// node today (its [network] section is read and validated).
func TestBuildSoloRuns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "solo")
	o := buildOpts(dir, crypto.NameECDSA)
	o.Nodes, o.Consensus = 1, node.ConsensusSolo
	if _, err := Build(o); err != nil {
		t.Fatal(err)
	}
	cfg, err := node.LoadConfig(filepath.Join(dir, "node0", node.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Network == nil || len(cfg.Network.Peers) != 0 {
		t.Fatalf("network %+v", cfg.Network)
	}
	g, err := node.LoadGenesis(cfg.Path(cfg.Genesis))
	if err != nil || g.Consensus != node.ConsensusSolo || g.LeaderPeriod != 0 || g.MinSealIntervalMs != node.ChainMinSealIntervalMs || len(g.Committee) != 1 {
		t.Fatalf("genesis %+v, %v", g, err)
	}
	cfg.RPC.Listen = "127.0.0.1:0"
	n, err := node.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Stop()
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
}
