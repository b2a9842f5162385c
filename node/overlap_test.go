package node_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/sdk"
)

// A dev node with [solo] overlap_commit executes blocks on top of the one
// being committed. Under concurrent load every tx gets a receipt, every
// receipt is provable against its block, contract state is right, and
// everything is still there after a restart.
func TestSoloOverlapCommit(t *testing.T) {
	cfg := nodetest.DevConfig(t, crypto.NameECDSA, nil)
	cfg.Solo.OverlapCommit = true
	n := runConfig(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const senders, perSender = 4, 40
	l := runStoreLoad(t, ctx, n, senders, perSender)
	client, hashes, addr, store, deployer := l.client, l.hashes, l.addr, l.store, l.deployer
	blocks := map[uint64]bool{}
	var last *sdk.Receipt
	for _, h := range hashes {
		r, err := client.WaitReceipt(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 1 {
			t.Fatalf("tx %s failed: %+v", h, r)
		}
		if err := client.VerifyTxProof(ctx, h); err != nil {
			t.Fatalf("tx %s: %v", h, err)
		}
		blocks[r.BlockNumber] = true
		if last == nil || r.BlockNumber > last.BlockNumber || (r.BlockNumber == last.BlockNumber && r.TxIndex > last.TxIndex) {
			last = r
		}
	}
	t.Logf("%d txs in %d blocks", len(hashes), len(blocks))
	c := client.Contract(addr, store.ABI)
	out, err := c.Call(ctx, deployer.Address(), "get")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := c.Call(ctx, deployer.Address(), "count"); err != nil || out[0].(*big.Int).Int64() != senders*perSender {
		t.Fatalf("count() = %v, %v; want %d", out, err, senders*perSender)
	}
	// The value is the one the last tx in chain order set.
	lastTx, err := client.TransactionReceipt(ctx, last.TxHash)
	if err != nil || lastTx == nil {
		t.Fatalf("receipt of the last tx: %v", err)
	}
	ev, err := c.ParseEvent("ValueSet", lastTx.Logs[0])
	if err != nil {
		t.Fatal(err)
	}
	if got, wantV := out[0].(*big.Int), ev["newValue"].(*big.Int); got.Cmp(wantV) != 0 {
		t.Fatalf("get() = %v, want %v (set by the last tx in chain order)", got, wantV)
	}
	if err := n.CheckStateCache(); err != nil {
		t.Fatal(err)
	}
	if st := n.StateCacheStats(); st.Hits == 0 {
		t.Fatalf("state cache: %+v, no hits", st)
	}
	height := n.Height()
	client.Close()
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}

	// Restart: the chain and every receipt are still there.
	n2 := runConfig(t, cfg)
	if n2.Height() < height {
		t.Fatalf("height %d after a restart, was %d", n2.Height(), height)
	}
	client2 := nodetest.Dial(t, ctx, n2)
	for _, h := range hashes {
		if err := client2.VerifyTxProof(ctx, h); err != nil {
			t.Fatalf("after a restart, tx %s: %v", h, err)
		}
	}
}
