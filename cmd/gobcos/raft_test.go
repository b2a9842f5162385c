package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/node"
)

func TestChainBuildRaft(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "chain")
	out, err := runChain(t, "build", "--consensus", "raft", "--nodes", "3", "--dir", dir, "--p2p-port", "31100", "--rpc-port", "9200")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3-node raft chain", "Raft with 3 voters tolerates 1 crashed"} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %q:\n%s", want, out)
		}
	}
	m, err := chainbuild.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := node.LoadConfig(filepath.Join(dir, m.Nodes[0].Name, node.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	g, err := node.LoadGenesis(cfg.Path(cfg.Genesis))
	if err != nil {
		t.Fatal(err)
	}
	if g.Consensus != node.ConsensusRaft || len(g.Sealers) != 3 || g.LeaderPeriod != 0 || g.ConsensusTimeoutMs != node.RaftConsensusTimeoutMs ||
		g.MinSealIntervalMs != node.ChainMinSealIntervalMs {
		t.Fatalf("genesis: consensus %q, %d sealers, leader period %d, timeout %d, seal interval %d", g.Consensus, len(g.Sealers), g.LeaderPeriod, g.ConsensusTimeoutMs, g.MinSealIntervalMs)
	}
}
