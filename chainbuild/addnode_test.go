package chainbuild

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/network"
	"github.com/gobcos/gobcos/node"
)

func TestAddNode(t *testing.T) {
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(suite.Name(), func(t *testing.T) { testAddNode(t, suite) })
	}
}

func testAddNode(t *testing.T, suite crypto.Suite) {
	dir := filepath.Join(t.TempDir(), "chain")
	o := buildOpts(dir, suite.Name())
	o.Orgs = 2
	if _, err := Build(o); err != nil {
		t.Fatal(err)
	}
	before := map[string][]byte{}
	for i := range 4 {
		p := filepath.Join(dir, "node"+string(rune('0'+i)), node.ConfigFile)
		before[p] = readFile(t, p)
	}
	master := readFile(t, filepath.Join(dir, GenesisFile))

	res, err := AddNode(AddOptions{Dir: dir, Org: "org2"})
	if err != nil {
		t.Fatal(err)
	}
	e := res.Node
	if e.Name != "node4" || e.Org != "org2" || e.Role != RoleObserver || e.P2PPort != 30304 || e.RPCPort != 8549 || e.Host != "127.0.0.1" {
		t.Fatalf("added %+v", e)
	}
	if len(res.Updated) != 0 || !strings.Contains(res.AllowLine, e.NodeID) {
		t.Fatalf("result %+v", res)
	}
	for p, b := range before {
		if !sameBytes(readFile(t, p), b) {
			t.Fatalf("%s changed without --update-allow-lists", p)
		}
	}
	m, err := ReadManifest(dir)
	if err != nil || len(m.Nodes) != 5 || m.Nodes[4] != e {
		t.Fatalf("manifest %+v, %v", m, err)
	}
	nn := loadNode(t, dir, e)
	if !sameBytes(readFile(t, nn.cfg.Path(nn.cfg.Genesis)), master) {
		t.Fatal("the new node's genesis differs")
	}
	if nn.genesis.InNodeList(nn.key.PublicKey()) {
		t.Fatal("the new node is in the genesis node list")
	}
	if nn.mat.Node.Issuer.Subject.CommonName != "org2" || strings.TrimSpace(string(readFile(t, filepath.Join(res.NodeDir, NodeIDFile)))) != e.NodeID {
		t.Fatal("wrong issuer or node.id")
	}
	if len(nn.cfg.Network.Peers) != 4 || nn.cfg.Network.Peers[0] != "127.0.0.1:30300" || nn.cfg.RPC.Listen != "127.0.0.1:8549" {
		t.Fatalf("config %+v / %s", nn.cfg.Network, nn.cfg.RPC.Listen)
	}
	// The new node admits the sealers; a sealer refuses it until allowed.
	n0 := loadNode(t, dir, m.Nodes[0])
	if _, err := nn.admission(t).Admit(n0.presented()); err != nil {
		t.Fatalf("new node refuses node0: %v", err)
	}
	if _, err := n0.admission(t).Admit(nn.presented()); !errors.Is(err, network.ErrNotInNodeList) {
		t.Fatalf("node0 admits the new node without an allow-list entry: %v", err)
	}
	// The printed allow line, pasted into node0's [network] section, admits it.
	cfgPath := filepath.Join(dir, "node0", node.ConfigFile)
	edited := strings.Replace(string(readFile(t, cfgPath)), "allow = []", res.AllowLine, 1)
	if err := os.WriteFile(cfgPath, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	n0 = loadNode(t, dir, m.Nodes[0])
	if _, err := n0.admission(t).Admit(nn.presented()); err != nil {
		t.Fatalf("node0 with the allow line: %v", err)
	}
	if _, _, err := handshake(t, nn, n0); err != nil {
		t.Fatalf("handshake new node -> node0: %v", err)
	}

	// A second node with --update-allow-lists: every earlier node allows it,
	// and it allows the earlier observer.
	res2, err := AddNode(AddOptions{Dir: dir, Org: "org1", UpdateAllowLists: true})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Node.Name != "node5" || len(res2.Updated) != 5 {
		t.Fatalf("second add: %+v", res2)
	}
	m, _ = ReadManifest(dir)
	for _, old := range m.Nodes[:5] {
		ln := loadNode(t, dir, old)
		if !slices.Contains(ln.cfg.Network.Allow, res2.Node.NodeID) {
			t.Fatalf("%s does not allow node5", old.Name)
		}
		if _, err := ln.admission(t).Admit(loadNode(t, dir, res2.Node).presented()); err != nil {
			t.Fatalf("%s refuses node5: %v", old.Name, err)
		}
		if _, err := os.Stat(filepath.Join(dir, old.Name, node.ConfigFile+".bak")); err != nil {
			t.Fatalf("%s: no backup: %v", old.Name, err)
		}
	}
	// node0 keeps the line added by hand, once.
	n0 = loadNode(t, dir, m.Nodes[0])
	if len(n0.cfg.Network.Allow) != 2 {
		t.Fatalf("node0 allow-list %v", n0.cfg.Network.Allow)
	}
	n5 := loadNode(t, dir, m.Nodes[5])
	if !slices.Equal(n5.cfg.Network.Allow, []string{e.NodeID}) || len(n5.cfg.Network.Peers) != 5 {
		t.Fatalf("node5 network %+v", n5.cfg.Network)
	}
}

func TestAddNodeHostsAndPorts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "chain")
	o := buildOpts(dir, crypto.NameECDSA)
	o.Hosts = []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}
	if _, err := Build(o); err != nil {
		t.Fatal(err)
	}
	// A new machine gets the base ports; the only org is the default.
	res, err := AddNode(AddOptions{Dir: dir, Host: "10.0.0.5"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Node.P2PAddr() != "10.0.0.5:30300" || res.Node.RPCAddr() != "10.0.0.5:8545" || res.Node.Org != "org1" {
		t.Fatalf("added %+v", res.Node)
	}
	// A machine that already runs a node gets the next ports.
	if res, err = AddNode(AddOptions{Dir: dir, Host: "10.0.0.2"}); err != nil {
		t.Fatal(err)
	}
	if res.Node.P2PAddr() != "10.0.0.2:30301" || res.Node.RPCAddr() != "10.0.0.2:8546" {
		t.Fatalf("added %+v", res.Node)
	}
	// Explicit ports, checked against the host's nodes.
	if _, err := AddNode(AddOptions{Dir: dir, Host: "10.0.0.2", P2PPort: 8546}); !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), "node5's RPC port") {
		t.Fatalf("port clash: %v", err)
	}
	if res, err = AddNode(AddOptions{Dir: dir, Host: "10.0.0.2", P2PPort: 31000, RPCPort: 9000}); err != nil {
		t.Fatal(err)
	}
	if res.Node.P2PAddr() != "10.0.0.2:31000" || res.Node.RPCAddr() != "10.0.0.2:9000" {
		t.Fatalf("added %+v", res.Node)
	}
	if _, err := AddNode(AddOptions{Dir: dir, RPCPort: 70000}); !errors.Is(err, ErrOptions) {
		t.Fatalf("bad port: %v", err)
	}
	if _, err := AddNode(AddOptions{Dir: dir, Host: "a b"}); !errors.Is(err, ErrOptions) {
		t.Fatalf("bad host: %v", err)
	}
	m, _ := ReadManifest(dir)
	if len(m.Nodes) != 7 {
		t.Fatalf("%d nodes after 3 additions and 3 refusals", len(m.Nodes))
	}
}

func TestAddNodeErrors(t *testing.T) {
	tmp := t.TempDir()
	if _, err := AddNode(AddOptions{Dir: tmp, Org: "org1"}); !errors.Is(err, ErrNotChainDir) {
		t.Fatalf("empty dir: %v", err)
	}
	dir := filepath.Join(tmp, "chain")
	o := buildOpts(dir, crypto.NameSM)
	o.Orgs = 2
	if _, err := Build(o); err != nil {
		t.Fatal(err)
	}
	if _, err := AddNode(AddOptions{Dir: dir, Org: "org3"}); !errors.Is(err, ErrUnknownOrg) || !strings.Contains(err.Error(), "org1, org2") {
		t.Fatalf("unknown org: %v", err)
	}
	if _, err := AddNode(AddOptions{Dir: dir}); !errors.Is(err, ErrUnknownOrg) {
		t.Fatalf("no org with two orgs: %v", err)
	}
	// A node directory the manifest does not know is skipped, not overwritten.
	if err := os.Mkdir(filepath.Join(dir, "node4"), 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := AddNode(AddOptions{Dir: dir, Org: "org1"})
	if err != nil || res.Node.Name != "node5" {
		t.Fatalf("%+v, %v", res, err)
	}
	// --update-allow-lists changes nothing when one config is broken.
	broken := filepath.Join(dir, "node1", node.ConfigFile)
	if err := os.WriteFile(broken, []byte("[network]\nlisten = 'x'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	n0 := readFile(t, filepath.Join(dir, "node0", node.ConfigFile))
	if _, err := AddNode(AddOptions{Dir: dir, Org: "org1", UpdateAllowLists: true}); err == nil || !strings.Contains(err.Error(), "network.listen") {
		t.Fatalf("broken config: %v", err)
	}
	if !sameBytes(readFile(t, filepath.Join(dir, "node0", node.ConfigFile)), n0) {
		t.Fatal("node0's config changed although the update failed")
	}
	m, _ := ReadManifest(dir)
	if len(m.Nodes) != 5 {
		t.Fatalf("a failed add-node changed the manifest: %d nodes", len(m.Nodes))
	}
}
