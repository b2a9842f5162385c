package explorer_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/explorer"
	"github.com/gobcos/gobcos/internal/testports"
	"github.com/gobcos/gobcos/node"
)

// testChain is a running in-process PBFT chain.
type testChain struct {
	dir      string // the chain directory (organisations' admin keys under orgs/)
	manifest *chainbuild.Manifest
	nodes    []*node.Node
}

// freeBase finds a base port with 2n consecutive free ports.
func freeBase(t *testing.T, n int) int { return testports.Base(t, 2*n) }

// startChain builds and starts an n-node PBFT chain; node 0 serves the
// explorer on a free port. The chain stops when the test ends.
func startChain(t *testing.T, n int) *testChain {
	t.Helper()
	base := freeBase(t, n)
	opts := chainbuild.DefaultOptions()
	opts.Dir, opts.Nodes, opts.Crypto, opts.Consensus = filepath.Join(t.TempDir(), "chain"), n, "ecdsa", "pbft"
	opts.P2PPort, opts.RPCPort = base, base+n
	opts.MetricsPort = 0 // fixed ports would clash across test packages
	opts.Orgs = min(n, 2)
	res, err := chainbuild.Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	c := &testChain{dir: res.Dir, manifest: res.Manifest, nodes: make([]*node.Node, n)}
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			if nd != nil {
				nd.Stop()
			}
		}
	})
	for i, e := range res.Manifest.Nodes {
		cfg, err := node.LoadConfig(filepath.Join(res.Dir, e.Name, node.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			cfg.Explorer.Listen = "127.0.0.1:0"
		}
		nd, err := node.New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := nd.Start(); err != nil {
			nd.Stop()
			t.Fatal(err)
		}
		c.nodes[i] = nd
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok := true
		for _, nd := range c.nodes {
			ok = ok && nd.PeerCount() == n-1
		}
		if ok {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatal("the nodes did not connect to each other")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// endpoints are the chain's JSON-RPC URLs with their node ids.
func (c *testChain) endpoints() []explorer.Endpoint {
	eps := make([]explorer.Endpoint, len(c.nodes))
	for i, nd := range c.nodes {
		eps[i] = explorer.Endpoint{URL: "http://" + nd.RPCAddr(), NodeID: "0x04" + c.manifest.Nodes[i].NodeID, Name: c.manifest.Nodes[i].Name, Org: c.manifest.Nodes[i].Org}
	}
	return eps
}

// heights are the nodes' current heights, lowest and highest.
func (c *testChain) heights() (lo, hi uint64) {
	lo = ^uint64(0)
	for _, nd := range c.nodes {
		if nd == nil {
			continue
		}
		h := nd.Height()
		lo, hi = min(lo, h), max(hi, h)
	}
	return lo, hi
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
