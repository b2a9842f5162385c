package node_test

import (
	"context"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/internal/contracttest"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// A dev node with [executor] workers = 2 and parallel = "chunks" executes
// its blocks in chunks: concurrent senders all writing one contract's
// slots (every block conflicts) get their receipts and the contract counts
// every call.
func TestExecutorChunksConfig(t *testing.T) {
	cfg := nodetest.DevConfig(t, crypto.NameECDSA, nil)
	cfg.Executor = node.ExecutorConfig{Workers: 2, Parallel: executor.ParallelChunks}
	n, err := node.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Stop()
		t.Fatal(err)
	}
	defer n.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	client, err := sdk.Dial(ctx, "ws://"+n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	store := contracttest.Load(t, "Store")
	deployer := cryptotest.Key(t, client.Suite())
	addr, _, err := client.Deploy(ctx, deployer, store.ABI, store.Bin, big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	const senders, perSender = 4, 15
	var (
		mu     sync.Mutex
		hashes []common.Hash
		wg     sync.WaitGroup
	)
	for s := range senders {
		wg.Go(func() {
			key, err := client.Suite().GenerateKey()
			if err != nil {
				t.Error(err)
				return
			}
			for i := range perSender {
				input, err := store.ABI.Pack("set", big.NewInt(int64(1000*s+i+1)))
				if err != nil {
					t.Error(err)
					return
				}
				h, err := client.SendNative(ctx, key, &addr, big.NewInt(0), input, 0)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				hashes = append(hashes, h)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
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
	c := client.Contract(addr, store.ABI)
	if out, err := c.Call(ctx, deployer.Address(), "count"); err != nil || out[0].(*big.Int).Int64() != senders*perSender {
		t.Fatalf("count() = %v, %v; want %d", out, err, senders*perSender)
	}
}
