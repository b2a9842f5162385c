package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/internal/testports"
	"github.com/gobcos/gobcos/node"
)

// freePorts finds a base port with n consecutive free ports.
func freePorts(t *testing.T, n int) int { return testports.Base(t, n) }

func runRoot(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// gobcos status on a 4-node PBFT chain with one node down: three rows with
// heights, the fourth marked unreachable.
func TestStatusCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node chain")
	}
	base := freePorts(t, 8)
	dir := filepath.Join(t.TempDir(), "chain")
	opts := chainbuild.DefaultOptions()
	opts.Dir, opts.Nodes, opts.Orgs, opts.Crypto, opts.Consensus = dir, 4, 2, "ecdsa", "pbft"
	opts.P2PPort, opts.RPCPort = base, base+4
	opts.MetricsPort = 0 // fixed ports would clash across test packages
	res, err := chainbuild.Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []*node.Node
	t.Cleanup(func() {
		for _, n := range nodes {
			n.Stop()
		}
	})
	for _, e := range res.Manifest.Nodes[:3] {
		cfg, err := node.LoadConfig(filepath.Join(dir, e.Name, node.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		n, err := node.New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err != nil {
			n.Stop()
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		if nodes[0].PeerCount() == 2 && nodes[1].PeerCount() == 2 && nodes[2].PeerCount() == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the nodes did not connect")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Through one URL only: the node list comes from it, the other nodes
	// have no RPC address.
	out, err := runRoot(t, "status", "--rpc", nodes[0].RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "nodes 4 (1 answered)") || !strings.Contains(out, "NOT CONNECTED (no RPC address)") ||
		strings.Count(out, "connected (no RPC address)") != 2 {
		t.Fatalf("status through one node:\n%s", out)
	}

	// With the manifest: every node's row; node3 is down.
	out, err = runRoot(t, "status", "--dir", dir, "--timeout", "3s")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "group group0  chain 20200  consensus pbft  height 0  nodes 4 (3 answered)") {
		t.Fatalf("status header:\n%s", out)
	}
	lines := strings.Split(out, "\n")
	for i, e := range res.Manifest.Nodes {
		var row string
		for _, l := range lines {
			if strings.HasPrefix(l, e.Name+" ") {
				row = l
			}
		}
		fields := strings.Fields(row)
		if len(fields) < 9 || fields[1] != e.Org || fields[2] != "sealer" {
			t.Fatalf("row of %s: %q\n%s", e.Name, row, out)
		}
		if i < 3 {
			// NODE ORG ROLE [(leader)] HEIGHT VIEW PEERS POOL ...
			rest := fields[3:]
			if rest[0] == "(leader)" {
				rest = rest[1:]
			}
			if rest[0] != "0" || rest[2] != "2" || rest[3] != "0" || !strings.HasSuffix(row, "ok") {
				t.Fatalf("row of %s: %q", e.Name, row)
			}
		} else if !strings.Contains(row, "UNREACHABLE") || !strings.Contains(out, e.Name+": json-rpc") {
			t.Fatalf("row of the stopped %s: %q\n%s", e.Name, row, out)
		}
	}
	if _, err := runRoot(t, "status", "--rpc", "http://127.0.0.1:1", "--timeout", "2s"); err == nil || !strings.Contains(err.Error(), "no node answered") {
		t.Fatalf("status with no node: %v", err)
	}
	if _, err := runRoot(t, "status"); err == nil || !strings.Contains(err.Error(), "--rpc") {
		t.Fatalf("status without a node: %v", err)
	}
}
