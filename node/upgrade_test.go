package node_test

import (
	"context"
	"errors"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// Binaries of a rolling upgrade, as the highest compatibility version
// they support: "old" knows only 0.1.0, "new" is this code (the latest).
const (
	oldBinary = precompiled.CompatV0_1
	newBinary = ""
)

// upgradeChain is a 4-sealer PBFT chain created at compatibility version
// 0.1.0, whose nodes run old or new binaries.
type upgradeChain struct {
	*pbftChain
	admin crypto.PrivateKey
}

func buildUpgradeChain(t *testing.T) *upgradeChain {
	t.Helper()
	c := buildChain(t, "pbft", "ecdsa", 4)
	c.editGenesis(func(g *node.Genesis) {
		g.CompatibilityVersion = precompiled.CompatV0_1
		g.ConsensusTimeoutMs = 1000 // view changes while the chain waits stay short
	})
	admin, err := node.LoadKey(filepath.Join(c.dir, chainbuild.OrgsDir, "org1", chainbuild.AdminKeyFile), crypto.ECDSA())
	if err != nil {
		t.Fatal(err)
	}
	return &upgradeChain{pbftChain: c, admin: admin}
}

// config is node i's configuration running the given binary.
func (c *upgradeChain) config(i int, binary string) node.Config {
	c.t.Helper()
	cfg, err := node.LoadConfig(filepath.Join(c.dir, c.names[i], node.ConfigFile))
	if err != nil {
		c.t.Fatal(err)
	}
	cfg.TestMaxCompatibility = binary
	if c.tweak != nil {
		c.tweak(i, &cfg)
	}
	return cfg
}

// startAs starts node i on the given binary.
func (c *upgradeChain) startAs(i int, binary string) {
	c.t.Helper()
	c.nodes[i] = runNode(c.t, c.config(i, binary), i)
}

func (c *upgradeChain) client(ctx context.Context, i int) *sdk.Client {
	c.t.Helper()
	client, err := sdk.Dial(ctx, "ws://"+c.nodes[i].RPCAddr())
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(client.Close)
	return client
}

var selCompatibilityVersion = ethcrypto.Keccak256([]byte("compatibilityVersion()"))[:4]

// callCompat sends, through node via, a tx calling
// SystemInfo.compatibilityVersion(), the function 0.2.0 adds.
func (c *upgradeChain) callCompat(ctx context.Context, via int) *sdk.Receipt {
	c.t.Helper()
	r, err := c.client(ctx, via).SendNativeWait(ctx, c.admin, &precompiled.SystemInfoAddress, nil, selCompatibilityVersion, 100_000)
	if r == nil { // a failed receipt comes with an error too
		c.t.Fatalf("via node %d: %v", via, err)
	}
	return r
}

// upgrade proposes compatibility version 0.2.0 through node via (one
// organisation: its admin's proposal executes at once) and returns the
// block that executed it.
func (c *upgradeChain) upgrade(ctx context.Context, via int) uint64 {
	c.t.Helper()
	return c.upgradeTo(ctx, via, precompiled.CompatV0_2)
}

// upgradeTo proposes compatibility version v through node via, as
// upgrade does.
func (c *upgradeChain) upgradeTo(ctx context.Context, via int, v string) uint64 {
	c.t.Helper()
	a, _ := precompiled.ABI(precompiled.CommitteeAddress)
	r, err := c.client(ctx, via).Contract(precompiled.CommitteeAddress, a).Transact(ctx, c.admin, "proposeUpgrade", v, uint64(0))
	if err != nil || !r.Succeeded() {
		c.t.Fatalf("proposeUpgrade(%s) via node %d: %v %+v", v, via, err, r)
	}
	return r.BlockNumber
}

// checkCompatResult requires a successful call answering "0.2.0".
func checkCompatResult(t *testing.T, r *sdk.Receipt) {
	t.Helper()
	if !r.Succeeded() || len(r.Output) < 64 {
		t.Fatalf("compatibilityVersion() at block %d: %+v", r.BlockNumber, r)
	}
	n := new(big.Int).SetBytes(r.Output[32:64]).Uint64()
	if got := string(r.Output[64 : 64+n]); got != precompiled.CompatV0_2 {
		t.Fatalf("compatibilityVersion() = %q", got)
	}
}

// TestMixedVersionsUpgrade runs two nodes of the old binary (0.1.0 only)
// and two of the new one (0.2.0) in one PBFT chain. Before the upgrade all
// four follow the 0.1.0 rules and agree. The committee raises the version
// to 0.2.0, effective at H: the old nodes halt at H with a clear error
// instead of executing it under rules they do not know, so no block H is
// made by anyone while fewer than a quorum of sealers can run it (no
// fork). The old nodes cannot start again on their binary; restarted on
// the new one, the chain goes on from H under the 0.2.0 rules, on all
// four nodes alike.
func TestMixedVersionsUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := buildUpgradeChain(t)
	for i, bin := range []string{oldBinary, oldBinary, newBinary, newBinary} {
		c.startAs(i, bin)
	}
	c.waitPeers()

	// Before: the function 0.2.0 adds does not exist, on new nodes either.
	r := c.callCompat(ctx, 2)
	if r.Succeeded() || !strings.Contains(r.ErrorMessage, "unknown function selector") {
		t.Fatalf("compatibilityVersion() before the upgrade: %+v", r)
	}
	c.waitHeight(r.BlockNumber)
	c.checkSame(ctx, r.BlockNumber)

	// An old node refuses to send a proposal its binary could not follow.
	a, _ := precompiled.ABI(precompiled.CommitteeAddress)
	if _, err := c.client(ctx, 0).Contract(precompiled.CommitteeAddress, a).Transact(ctx, c.admin, "proposeUpgrade", precompiled.CompatV0_2, uint64(0)); err == nil ||
		!strings.Contains(err.Error(), "supports versions up to 0.1.0") {
		t.Fatalf("upgrade proposal through an old node: %v", err)
	}

	p := c.upgrade(ctx, 2)
	h := p + 1
	for _, i := range []int{0, 1} {
		deadline := time.Now().Add(60 * time.Second)
		for c.nodes[i].Halted() == nil {
			if time.Now().After(deadline) {
				t.Fatalf("old node %d did not halt at height %d (at %d)", i, h, c.nodes[i].Height())
			}
			time.Sleep(20 * time.Millisecond)
		}
		err := c.nodes[i].Halted()
		if !errors.Is(err, executor.ErrUnsupportedVersion) || !strings.Contains(err.Error(), "compatibility version 0.2.0") ||
			!strings.Contains(err.Error(), "supports versions up to 0.1.0") {
			t.Fatalf("old node %d halted with: %v", i, err)
		}
	}
	var info struct {
		MaxCompatibility string `json:"maxCompatibilityVersion"`
		Halted           string `json:"halted"`
	}
	if err := c.client(ctx, 1).RPC().CallContext(ctx, &info, "bcos_getNodeInfo"); err != nil || info.MaxCompatibility != oldBinary ||
		!strings.Contains(info.Halted, "supports versions up to 0.1.0") {
		t.Fatalf("bcos_getNodeInfo of a halted node: %+v %v", info, err)
	}
	for i := range 4 {
		if i >= 2 && c.nodes[i].Halted() != nil {
			t.Fatalf("new node %d halted: %v", i, c.nodes[i].Halted())
		}
	}
	c.waitHeight(p)
	// Safety: two sealers of four are not a quorum, so H is not decided
	// by anyone: no node is past P, and all agree up to P.
	for i, n := range c.nodes {
		if n.Height() > p {
			t.Fatalf("node %d committed block %d while half the sealers cannot run the rules of %d", i, n.Height(), h)
		}
	}
	c.checkSame(ctx, p)
	to := precompiled.SystemInfoAddress
	waiting, err := c.client(ctx, 3).SendNative(ctx, c.admin, &to, nil, selCompatibilityVersion, 100_000)
	if err != nil {
		t.Fatal(err)
	}

	// The old binary cannot start again; the new one takes over.
	for _, i := range []int{0, 1} {
		c.stop(i)
		if n, err := node.New(c.config(i, oldBinary), nil); err == nil {
			n.Stop()
			t.Fatalf("node %d started on the old binary at compatibility version 0.2.0", i)
		} else if !errors.Is(err, node.ErrUnsupportedChain) {
			t.Fatalf("node %d on the old binary: %v", i, err)
		}
		c.startAs(i, newBinary)
	}
	c.waitPeers()
	r, err = c.client(ctx, 3).WaitReceipt(ctx, waiting)
	if err != nil {
		t.Fatal(err)
	}
	if r.BlockNumber < h || !r.Succeeded() { // eth_getTransactionReceipt carries no output
		t.Fatalf("the waiting tx: %+v (H = %d)", r, h)
	}
	r2 := c.callCompat(ctx, 0)
	checkCompatResult(t, r2)
	top := max(r.BlockNumber, r2.BlockNumber)
	c.waitHeight(top)
	c.checkSame(ctx, top)
	t.Logf("upgrade executed in block %d; old nodes halted at %d; the chain resumed to %d once they ran the new binary", p, h, top)
}

// TestRollingUpgrade restarts the four sealers of a 0.1.0 chain one by
// one onto the new binary while the chain runs, then raises the version
// by proposal: the new rule applies from the upgrade's height on every
// node, nobody halts, and all agree.
func TestRollingUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := buildUpgradeChain(t)
	for i := range 4 {
		c.startAs(i, oldBinary)
	}
	c.waitPeers()
	user, _ := crypto.ECDSA().GenerateKey()
	send := func(via int) uint64 {
		t.Helper()
		to := common.Address{0x42}
		r, err := c.client(ctx, via).SendNativeWait(ctx, user, &to, nil, []byte("rolling"), 100_000)
		if err != nil {
			t.Fatalf("via node %d: %v", via, err)
		}
		return r.BlockNumber
	}
	h := send(0)
	for i := range 4 {
		c.stop(i)
		c.startAs(i, newBinary)
		c.waitPeers()
		h = send((i + 1) % 4)
		c.waitHeight(h)
		c.checkSame(ctx, h)
		// Until the upgrade, new binaries keep the 0.1.0 rules.
		if r := c.callCompat(ctx, i); r.Succeeded() {
			t.Fatalf("compatibilityVersion() answered before the upgrade, on a chain of %d new nodes", i+1)
		}
	}
	p := c.upgrade(ctx, 1)
	r := c.callCompat(ctx, 3)
	if r.BlockNumber <= p {
		t.Fatalf("call in block %d, upgrade in %d", r.BlockNumber, p)
	}
	checkCompatResult(t, r)
	c.waitHeight(r.BlockNumber)
	c.checkSame(ctx, r.BlockNumber)
	for i, n := range c.nodes {
		if err := n.Halted(); err != nil {
			t.Fatalf("node %d halted: %v", i, err)
		}
	}
}
