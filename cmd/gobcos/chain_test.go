package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/node"
)

func runChain(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"chain"}, args...))
	err := root.Execute()
	return out.String(), err
}

func TestChainBuildAndAddNode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "chain")
	out, err := runChain(t, "build", "--nodes", "4", "--orgs", "2", "--crypto", "sm", "--dir", dir, "--p2p-port", "31000", "--rpc-port", "9100", "--metrics-port", "9200", "--chain-id", "99", "--group", "g7")
	if err != nil {
		t.Fatal(err)
	}
	m, err := chainbuild.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"4-node pbft chain (sm)", "chain id 99, group g7", "tolerates 1 faulty", "org1", "org2", "127.0.0.1:31003", "127.0.0.1:9103", "keep it offline", "docs/chain-build.md", "port 9200+i", "prometheus.yml"} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %q:\n%s", want, out)
		}
	}
	for _, n := range m.Nodes {
		if !strings.Contains(out, n.NodeID) {
			t.Errorf("build output lacks %s's node id", n.Name)
		}
		cfg, err := node.LoadConfig(filepath.Join(dir, n.Name, node.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := node.LoadGenesis(cfg.Path(cfg.Genesis)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := runChain(t, "build", "--dir", dir); !errors.Is(err, chainbuild.ErrExists) {
		t.Fatalf("overwrite: %v", err)
	}

	out, err = runChain(t, "add-node", "--dir", dir, "--org", "org2")
	if err != nil {
		t.Fatal(err)
	}
	m, _ = chainbuild.ReadManifest(dir)
	added := m.Nodes[4]
	for _, want := range []string{"added node4 (organisation org2)", "observer", "allow = ['" + added.NodeID + "']", "127.0.0.1:31004", "--update-allow-lists"} {
		if !strings.Contains(out, want) {
			t.Errorf("add-node output lacks %q:\n%s", want, out)
		}
	}
	out, err = runChain(t, "add-node", "--dir", dir, "--org", "org1", "--update-allow-lists", "--host", "10.1.1.1", "--rpc-port", "9999")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, filepath.Join(dir, "node3", node.ConfigFile)) || !strings.Contains(out, "10.1.1.1:9999") {
		t.Errorf("add-node output:\n%s", out)
	}
}

func TestChainFlagErrors(t *testing.T) {
	tmp := t.TempDir()
	cases := map[string][]string{
		"--nodes":        {"build", "--nodes", "0"},
		"--orgs 3":       {"build", "--nodes", "2", "--orgs", "3"},
		"--crypto":       {"build", "--crypto", "rsa"},
		"--consensus":    {"build", "--consensus", "hotstuff"},
		"--hosts":        {"build", "--hosts", "10.0.0.1,10.0.0.2"},
		"--p2p-port":     {"build", "--p2p-port", "70000"},
		"--rpc-port":     {"build", "--rpc-port", "-1"},
		"invalid syntax": {"build", "--nodes", "four"},
		"--ca-key":       {"build", "--ca-cert", "x.crt"},
		"chain.json":     {"add-node", "--org", "org1"},
	}
	for want, args := range cases {
		args = append(args, "--dir", filepath.Join(tmp, "out"))
		_, err := runChain(t, args...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: %v", args, err)
		}
	}
	if _, err := os.Stat(filepath.Join(tmp, "out")); err == nil {
		t.Error("a refused command created its output directory")
	}
}

func TestFollowRPCPort(t *testing.T) {
	for _, tc := range []struct{ def, rpc, want int }{
		{8080, 8545, 8080}, {8080, 8600, 8135}, {9100, 8700, 9255}, {30300, 8600, 30355},
		{9100, 8500, 9055}, {8080, 100, 8080}, {30300, 65535, 30300},
	} {
		if got := followRPCPort(tc.def, tc.rpc); got != tc.want {
			t.Errorf("followRPCPort(%d, %d) = %d, want %d", tc.def, tc.rpc, got, tc.want)
		}
	}
}
