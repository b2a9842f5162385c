package e2e

import (
	"context"
	"math/big"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/internal/govtest"
	"github.com/gobcos/gobcos/internal/proctest"
	gnode "github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// TestUpgradeOldAndNewBinaries builds a second gobcos binary that supports
// compatibility versions up to 0.1.0 only (-ldflags -X), lays out a
// 4-sealer PBFT chain with it (so its genesis is at 0.1.0), and runs two
// sealers on it and two on the current binary. The new rule (the
// SystemInfo.compatibilityVersion() function) is absent before the upgrade;
// the committee raises the version; the old processes log that they halt,
// no node goes past the upgrade's block and all agree; an old binary
// refuses to start again; restarted on the new binary, the chain goes on
// under the new rule with the same blocks everywhere.
func TestUpgradeOldAndNewBinaries(t *testing.T) {
	skipShort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	old := filepath.Join(t.TempDir(), "gobcos-old")
	if err := proctest.Build(old, "../../cmd/gobcos", "-ldflags", "-X github.com/gobcos/gobcos/node.compatibilityVersion="+precompiled.CompatV0_1); err != nil {
		t.Fatalf("build the old binary: %v", err)
	}

	dir := filepath.Join(t.TempDir(), "chain")
	base := freeBase(t, 8)
	if out, err := execCombined(old, "chain", "build", "--nodes", "4", "--dir", dir, "--crypto", crypto.NameECDSA,
		"--rpc-port", itoa(base), "--p2p-port", itoa(base+4), "--metrics-port", "0"); err != nil {
		t.Fatalf("chain build with the old binary: %v\n%s", err, out)
	}
	g, err := gnode.LoadGenesis(filepath.Join(dir, "node0", chainbuild.GenesisFile))
	if err != nil {
		t.Fatal(err)
	}
	if g.CompatibilityVersion != precompiled.CompatV0_1 {
		t.Fatalf("the old binary wrote a genesis at %q", g.CompatibilityVersion)
	}
	c := newCluster(t, dir, 4)
	c.nodes[0].bin, c.nodes[1].bin = old, old
	for _, nd := range c.nodes {
		nd.start()
	}
	admin := govtest.OrgAdmin(t, dir, "org1", crypto.ECDSA())
	dial := func(i int) *sdk.Client {
		t.Helper()
		cl, err := sdk.Dial(ctx, c.nodes[i].rpcURL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return cl
	}
	sel := ethcrypto.Keccak256([]byte("compatibilityVersion()"))[:4]
	callCompat := func(via int) *sdk.Receipt {
		t.Helper()
		r, err := dial(via).SendNativeWait(ctx, admin, &precompiled.SystemInfoAddress, nil, sel, 100_000)
		if r == nil {
			t.Fatalf("via node%d: %v", via, err)
		}
		return r
	}

	r := callCompat(2)
	if r.Succeeded() {
		t.Fatal("compatibilityVersion() answered at 0.1.0")
	}
	waitHeight(t, c.nodes, r.BlockNumber, 60*time.Second, "before the upgrade")
	sameChain(t, c.nodes, r.BlockNumber)

	if _, err := govtest.New(t, dial(0), admin).Contract().Transact(ctx, admin, "proposeUpgrade", precompiled.CompatV0_2, uint64(0)); err == nil ||
		!strings.Contains(err.Error(), "supports versions up to 0.1.0") {
		t.Fatalf("upgrade proposal through an old node: %v", err)
	}
	p := govtest.New(t, dial(2), admin).Pass(ctx, "proposeUpgrade", precompiled.CompatV0_2, uint64(0)).BlockNumber
	for _, nd := range c.nodes[:2] {
		if !nd.waitLog(0, 60*time.Second, "node halted") || nd.logSince(0, "supports versions up to 0.1.0") != nil {
			t.Fatalf("old node%d did not log its halt", nd.idx)
		}
	}
	waitHeight(t, c.nodes, p, 60*time.Second, "the upgrade's block")
	for _, nd := range c.nodes {
		if h, err := nd.height(); err != nil || h > p {
			t.Fatalf("node%d at %d (err %v): past the upgrade's block %d with half the sealers halted", nd.idx, h, err, p)
		}
	}
	sameChain(t, c.nodes, p)

	for _, nd := range c.nodes[:2] {
		nd.stop()
		sctx, scancel := context.WithTimeout(ctx, 60*time.Second)
		out, err := exec.CommandContext(sctx, old, "node", "--config", filepath.Join(nd.dir, "config.toml")).CombinedOutput()
		scancel()
		if err == nil || !strings.Contains(string(out), "not supported by this binary") {
			t.Fatalf("old binary restarted on node%d: %v\n%s", nd.idx, err, out)
		}
		nd.bin = ""
		nd.start()
	}
	r = callCompat(0)
	if !r.Succeeded() || r.BlockNumber <= p || len(r.Output) < 64 {
		t.Fatalf("compatibilityVersion() after the upgrade: %+v", r)
	}
	if n := new(big.Int).SetBytes(r.Output[32:64]).Uint64(); string(r.Output[64:64+n]) != precompiled.CompatV0_2 {
		t.Fatalf("compatibilityVersion() = %q", r.Output[64:64+n])
	}
	waitHeight(t, c.nodes, r.BlockNumber, 60*time.Second, "after the restart")
	sameChain(t, c.nodes, r.BlockNumber)
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }
