package node_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
)

// A dev node with [executor] workers = 2 and parallel = "chunks" executes
// its blocks in chunks: concurrent senders all writing one contract's
// slots (every block conflicts) get their receipts and the contract counts
// every call.
func TestExecutorChunksConfig(t *testing.T) {
	cfg := nodetest.DevConfig(t, crypto.NameECDSA, nil)
	cfg.Executor = node.ExecutorConfig{Workers: 2, Parallel: executor.ParallelChunks}
	n := runConfig(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const senders, perSender = 4, 15
	l := runStoreLoad(t, ctx, n, senders, perSender)
	defer l.client.Close()
	client, hashes := l.client, l.hashes
	perBlock := map[uint64]int{}
	for _, h := range hashes {
		r, err := client.WaitReceipt(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 1 {
			t.Fatalf("tx %s failed: %+v", h, r)
		}
		perBlock[r.BlockNumber]++
	}
	t.Logf("%d txs in %d blocks", len(hashes), len(perBlock))
	c := client.Contract(l.addr, l.store.ABI)
	if out, err := c.Call(ctx, l.deployer.Address(), "count"); err != nil || out[0].(*big.Int).Int64() != senders*perSender {
		t.Fatalf("count() = %v, %v; want %d", out, err, senders*perSender)
	}
}
