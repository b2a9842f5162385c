package engine

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// countingKV counts the batches committed, synced or not, to the store it
// wraps.
type countingKV struct {
	storage.KV
	commits *atomic.Int64
}

func (k countingKV) NewBatch() storage.Batch { return countingBatch{k.KV.NewBatch(), k.commits} }

type countingBatch struct {
	storage.Batch
	commits *atomic.Int64
}

func (b countingBatch) Commit() error {
	b.commits.Add(1)
	return b.Batch.Commit()
}

func (b countingBatch) CommitNoSync() error {
	b.commits.Add(1)
	return b.Batch.CommitNoSync()
}

// TestQueuedMessagesOneWrite: messages that wait in a driver's inbox are
// stepped together before their Ready is handled, so the votes and
// decisions they lead to are persisted in one write, not one per
// message. Sealer 2 is down while the others order and commit a block;
// the messages they sent it (proposal, prepares, commits, checkpoints)
// are queued in its inbox before it starts, and it then commits that
// block from them with three writes: its initial state at start,
// one for the proposal and the decision the queued messages lead to, and
// one after the execution (its checkpoint and the certified block). With
// a Ready per message it made five.
func TestQueuedMessagesOneWrite(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	var (
		mu       sync.Mutex
		captured []inbound
	)
	c.setFilter(func(from, to int, data []byte) bool {
		if to != 2 {
			return false
		}
		mu.Lock()
		captured = append(captured, inbound{from: from, data: append([]byte(nil), data...)})
		mu.Unlock()
		return true
	})
	for _, i := range []int{0, 1, 3} {
		c.Start(i)
	}
	txs := []*types.Transaction{c.NewTx(500)}
	c.Submit(txs, 0, 1, 3)
	c.WaitCommitted(txs, 0, 1, 3)
	for _, i := range []int{0, 1, 3} {
		c.Stop(i)
	}
	mu.Lock()
	queued := captured
	mu.Unlock()

	var commits atomic.Int64
	d := c.Build(2, func(p *Params) { p.KV = countingKV{KV: p.KV, commits: &commits} })
	for _, m := range queued {
		d.Deliver(m.from, m.data)
	}
	if err := d.Start(c.Ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = d.Stop() }()
	deadline := time.Now().Add(10 * time.Second)
	for c.Nodes[2].Ledger.Height() < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("sealer 2 did not commit block 1 from %d queued messages", len(queued))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := commits.Load(); n > 3 {
		t.Fatalf("%d store writes to commit block 1 from %d queued messages; want at most 3", n, len(queued))
	}
}
