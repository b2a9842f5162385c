package node_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// soloGovNode makes a solo node directory whose genesis has one governor
// (its proposals execute at once) and the given compatibility version.
func soloGovNode(t *testing.T, compat string) (node.Config, crypto.PrivateKey) {
	t.Helper()
	gov := cryptotest.Key(t, crypto.ECDSA())
	cfg := nodetest.DevConfig(t, crypto.NameECDSA, func(g *node.Genesis) {
		g.Committee = []node.CommitteeMember{{Address: gov.Address(), Weight: 1}}
		g.CompatibilityVersion = compat
	})
	return cfg, gov
}

// propose sends a committee proposal through client and requires success.
func propose(ctx context.Context, t *testing.T, client *sdk.Client, gov crypto.PrivateKey, method string, args ...any) *sdk.Receipt {
	t.Helper()
	a, _ := precompiled.ABI(precompiled.CommitteeAddress)
	r, err := client.Contract(precompiled.CommitteeAddress, a).Transact(ctx, gov, method, args...)
	if err != nil || !r.Succeeded() {
		t.Fatalf("%s: %v %+v", method, err, r)
	}
	return r
}

// waitConfig waits until bcos_getSystemConfig reports key = want.
func waitConfig(ctx context.Context, t *testing.T, client *sdk.Client, key, want string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var out struct{ Value string }
		if err := client.RPC().CallContext(ctx, &out, "bcos_getSystemConfig", key); err != nil {
			t.Fatal(err)
		}
		if out.Value == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still %q, want %q", key, out.Value, want)
		}
	}
}

// TestSystemConfigApplies changes tx_count_limit and tx_gas_limit by
// proposal on a running node: blocks hold no more txs than the limit in
// force, and the pool refuses a tx over the gas limit with a clear
// JSON-RPC error.
func TestSystemConfigApplies(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cfg, gov := soloGovNode(t, "")
	g, err := node.LoadGenesis(cfg.Path(cfg.Genesis))
	if err != nil {
		t.Fatal(err)
	}
	g.MinSealIntervalMs = 200 // let txs gather in the pool between blocks
	if err := node.WriteGenesis(cfg.Path(cfg.Genesis), g); err != nil {
		t.Fatal(err)
	}
	n := runConfig(t, cfg)
	client := nodetest.Dial(t, ctx, n)

	propose(ctx, t, client, gov, "proposeConfig", precompiled.KeyTxCountLimit, "2", uint64(0))
	waitConfig(ctx, t, client, precompiled.KeyTxCountLimit, "2")
	user, _ := crypto.ECDSA().GenerateKey()
	to := common.Address{0x51}
	var hashes []common.Hash
	for range 7 {
		h, err := client.SendNative(ctx, user, &to, nil, nil, 50_000)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	blocks := map[uint64]bool{}
	for _, h := range hashes {
		r, err := client.WaitReceipt(ctx, h)
		if err != nil || !r.Succeeded() {
			t.Fatalf("receipt: %+v %v", r, err)
		}
		blocks[r.BlockNumber] = true
	}
	for b := range blocks {
		var blk struct {
			Transactions []common.Hash `json:"transactions"`
		}
		if err := client.RPC().CallContext(ctx, &blk, "eth_getBlockByNumber", hexutil.EncodeUint64(b), false); err != nil {
			t.Fatal(err)
		}
		if len(blk.Transactions) > 2 {
			t.Fatalf("block %d holds %d txs, tx_count_limit is 2", b, len(blk.Transactions))
		}
	}

	propose(ctx, t, client, gov, "proposeConfig", precompiled.KeyTxGasLimit, "100000", uint64(0))
	waitConfig(ctx, t, client, precompiled.KeyTxGasLimit, "100000")
	var info struct {
		TxGasLimit hexutil.Uint64 `json:"txGasLimit"`
	}
	if err := client.RPC().CallContext(ctx, &info, "bcos_getChainInfo"); err != nil || info.TxGasLimit != 100_000 {
		t.Fatalf("bcos_getChainInfo txGasLimit %d, %v", info.TxGasLimit, err)
	}
	if _, err := client.SendNative(ctx, user, &to, nil, nil, 100_001); err == nil || !strings.Contains(err.Error(), "tx_gas_limit is 100000") {
		t.Fatalf("tx over tx_gas_limit: %v", err)
	}
	if r, err := client.SendNativeWait(ctx, user, &to, nil, nil, 100_000); err != nil || !r.Succeeded() {
		t.Fatalf("tx at tx_gas_limit: %+v %v", r, err)
	}
}

// TestUnsupportedVersionRefused: a node whose binary supports only 0.1.0
// refuses a client's proposal to upgrade to 0.2.0, and refuses to start on
// a chain already at 0.2.0; a node that supports 0.2.0 starts on it.
func TestUnsupportedVersionRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg, gov := soloGovNode(t, precompiled.CompatV0_1)
	cfg.TestMaxCompatibility = precompiled.CompatV0_1
	n := runConfig(t, cfg)
	client, err := sdk.Dial(ctx, "ws://"+n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := precompiled.ABI(precompiled.CommitteeAddress)
	_, err = client.Contract(precompiled.CommitteeAddress, a).Transact(ctx, gov, "proposeUpgrade", precompiled.CompatV0_2, uint64(0))
	if err == nil || !strings.Contains(err.Error(), "supports versions up to 0.1.0") {
		t.Fatalf("upgrade proposal to an unsupported version: %v", err)
	}
	client.Close()
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}

	// The chain moves to 0.2.0 (through a node that supports it).
	cfg.TestMaxCompatibility = ""
	n = runConfig(t, cfg)
	if client, err = sdk.Dial(ctx, "ws://"+n.RPCAddr()); err != nil {
		t.Fatal(err)
	}
	propose(ctx, t, client, gov, "proposeUpgrade", precompiled.CompatV0_2, uint64(0))
	waitConfig(ctx, t, client, precompiled.KeyCompatibilityVersion, precompiled.CompatV0_2)
	client.Close()
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}

	cfg.TestMaxCompatibility = precompiled.CompatV0_1
	if old, err := node.New(cfg, nil); err == nil {
		old.Stop()
		t.Fatal("a node supporting only 0.1.0 started on a chain at 0.2.0")
	} else if !errors.Is(err, node.ErrUnsupportedChain) || !strings.Contains(err.Error(), "supports versions up to 0.1.0") {
		t.Fatalf("start refused with: %v", err)
	}
	cfg.TestMaxCompatibility = "9.9.9"
	if _, err := node.New(cfg, nil); !errors.Is(err, node.ErrConfig) {
		t.Fatalf("unknown TestMaxCompatibility: %v", err)
	}
}

// TestGenesisCompatibilityVersion: new genesis files name the binary's
// version; an unknown one is refused; an absent one means 0.1.0.
func TestGenesisCompatibilityVersion(t *testing.T) {
	if g := node.DefaultGenesis(crypto.NameECDSA, nil); g.CompatibilityVersion != node.CompatibilityVersion() || g.Compatibility() != precompiled.LatestCompatibility() {
		t.Fatalf("default genesis at %q", g.CompatibilityVersion)
	}
	if g := (node.Genesis{}); g.Compatibility() != precompiled.CompatV0_1 {
		t.Fatalf("absent version means %q", g.Compatibility())
	}
	cfg, _ := soloGovNode(t, "0.9.0")
	if _, err := node.LoadGenesis(cfg.Path(cfg.Genesis)); !errors.Is(err, node.ErrGenesis) || !strings.Contains(err.Error(), "compatibilityVersion") {
		t.Fatalf("unknown version: %v", err)
	}
}
