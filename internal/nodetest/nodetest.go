package nodetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// DevConfig initialises a single-node development chain of the crypto
// suite (crypto.NameECDSA or NameSM) in a new temporary directory, its
// RPC on a free loopback port, and returns the node's config. edit, when
// not nil, changes the genesis before the node first starts.
func DevConfig(t testing.TB, suite string, edit func(*node.Genesis)) node.Config {
	t.Helper()
	dir := t.TempDir()
	if err := node.InitDir(dir, node.InitOptions{Suite: suite, RPCAddr: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := node.LoadConfig(filepath.Join(dir, node.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		g, err := node.LoadGenesis(cfg.Path(cfg.Genesis))
		if err != nil {
			t.Fatal(err)
		}
		edit(g)
		if err := node.WriteGenesis(cfg.Path(cfg.Genesis), g); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// Start runs a node of cfg until the test ends.
func Start(t testing.TB, cfg node.Config) *node.Node {
	t.Helper()
	n, err := node.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n
}

// Dev starts a single-node development chain (DevConfig) until the test
// ends.
func Dev(t testing.TB, suite string, edit func(*node.Genesis)) *node.Node {
	t.Helper()
	return Start(t, DevConfig(t, suite, edit))
}

// Dial connects an SDK client to n's RPC over WebSocket; the client is
// closed when the test ends.
func Dial(t testing.TB, ctx context.Context, n *node.Node) *sdk.Client {
	t.Helper()
	c, err := sdk.Dial(ctx, "ws://"+n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
