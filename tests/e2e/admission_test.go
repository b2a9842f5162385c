package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/internal/proctest"
)

// TestAdmission runs a 4-sealer chain and two nodes it must refuse: one
// with a certificate from another chain's CA, and one with a certificate
// from this chain's organisation whose node id is in neither the node list
// nor an allow-list (made by `chain add-node` without --update-allow-lists).
// Both dial every sealer; the sealers log each refusal with its reason and
// keep exactly their 3 legitimate peers.
func TestAdmission(t *testing.T) { forSuites(t, testAdmission) }

func testAdmission(t *testing.T, suite string) {
	c := startCluster(t, 4, suite)
	m, err := chainbuild.ReadManifest(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	var peers, ids []string
	for _, e := range m.Nodes {
		peers = append(peers, "'"+e.P2PAddr()+"'")
		ids = append(ids, "'"+e.NodeID+"'")
	}
	peerLine := "peers = [" + strings.Join(peers, ", ") + "]"

	// A node of another chain, pointed at this chain's sealers. It trusts
	// this chain's CA besides its own and allows the sealers' node ids, so
	// its TLS client accepts the sealers and presents its own certificate:
	// the refusal is theirs. (Otherwise it would abort the handshake itself
	// before the sealers see its certificate.)
	other := filepath.Join(t.TempDir(), "other")
	buildChain(t, other, 1, suite)
	foreign := extraNode(t, filepath.Join(other, "node0"), 10)
	caPEM, err := os.ReadFile(filepath.Join(c.dir, "ca", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign.dir, "victim-ca.crt"), caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	rewriteConfig(t, foreign.dir, map[string]string{
		`(?m)^peers = .*$`:    peerLine,
		`(?m)^ca_certs = .*$`: "ca_certs = ['ca.crt', 'victim-ca.crt']",
		`(?m)^allow = .*$`:    "allow = [" + strings.Join(ids, ", ") + "]",
	})

	// A node of this chain's organisation that nobody admitted.
	base := freeBase(t, 2)
	out, err := runGobcos("chain", "add-node", "--dir", c.dir, "--org", "org1",
		"--p2p-port", fmt.Sprint(base), "--rpc-port", fmt.Sprint(base+1))
	if err != nil {
		t.Fatalf("chain add-node: %v\n%s", err, out)
	}
	stranger := extraNode(t, filepath.Join(c.dir, "node4"), 11)

	foreign.start()
	stranger.start()

	want := []string{"reason=" + "untrusted_ca", "reason=" + "not_in_node_list"}
	deadline := time.Now().Add(60 * time.Second)
	for _, nd := range c.nodes {
		for _, w := range want {
			for nd.logSince(0, w) != nil {
				if time.Now().After(deadline) {
					t.Fatalf("node%d never logged a refusal with %s", nd.idx, w)
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
	// The refusals keep coming (the refused nodes redial with back-off);
	// meanwhile every sealer counts exactly its 3 peers.
	for range 5 {
		for _, nd := range c.nodes {
			var n string
			if err := nd.rpcCall(&n, "net_peerCount"); err != nil {
				t.Fatalf("node%d net_peerCount: %v", nd.idx, err)
			}
			if n != "0x3" {
				t.Fatalf("node%d counts %s peers with two unadmitted nodes dialling it, want 0x3", nd.idx, n)
			}
		}
		for _, nd := range []*node{foreign, stranger} {
			var n string
			if err := nd.rpcCall(&n, "net_peerCount"); err != nil {
				t.Fatalf("node%d net_peerCount: %v", nd.idx, err)
			}
			if n != "0x0" {
				t.Fatalf("refused node%d counts %s peers, want 0x0", nd.idx, n)
			}
		}
		time.Sleep(time.Second)
	}
	// The chain still commits: a transaction through node0 is confirmed.
	l := startLoad(t, c, 1)
	grows(t, c, c.maxHeight(), 1, 60*time.Second, "chain with refused nodes around")
	l.stop()
	// Show one refusal of each kind, as the operator sees it.
	for _, w := range want {
		for _, line := range strings.Split(c.nodes[0].logs.String(), "\n") {
			if strings.Contains(line, "peer refused") && strings.Contains(line, w) {
				t.Logf("node0: %s", line)
				break
			}
		}
	}
}

func runGobcos(args ...string) ([]byte, error) {
	return execCombined(binary, args...)
}

// extraNode is a node outside a cluster; idx only names it in logs.
func extraNode(t *testing.T, dir string, idx int) *node {
	nd := &node{t: t, idx: idx, dir: dir, logs: new(proctest.Log)}
	t.Cleanup(func() {
		nd.kill()
		if t.Failed() {
			t.Logf("===== node%d (%s) log =====\n%s", idx, dir, tail(nd.logs.String(), 200))
		}
	})
	return nd
}

// rewriteConfig replaces regexp matches in dir/config.toml.
func rewriteConfig(t *testing.T, dir string, repl map[string]string) {
	t.Helper()
	path := filepath.Join(dir, "config.toml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for re, with := range repl {
		r := regexp.MustCompile(re)
		if !r.MatchString(s) {
			t.Fatalf("%s: no line matches %s", path, re)
		}
		s = r.ReplaceAllLiteralString(s, with)
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
