package txpool

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

// checkExpiry fails unless the expiry heap holds exactly the pooled native
// txs, each at the place it records, in heap order.
func checkExpiry(t *testing.T, p *Pool) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if got, want := p.expiry.Len(), len(p.nativeNonces); got != want {
		t.Fatalf("expiry heap holds %d entries, the pool %d native txs", got, want)
	}
	for i, e := range p.expiry {
		if e.expiryIdx != i {
			t.Fatalf("heap entry %d records place %d", i, e.expiryIdx)
		}
		if e.removed || p.nativeNonces[e.nonceKey] != e {
			t.Fatalf("heap entry %d (%s) is not pooled", i, e.hash)
		}
		if i > 0 && p.expiry.Less(i, (i-1)/2) {
			t.Fatalf("heap order broken at %d", i)
		}
	}
}

// TestCommittedNativeTxsLeaveExpiry: a native tx leaves the expiry heap
// with the pool, however it leaves (committed, its nonce used by another
// committed tx, expired), so the heap never keeps a committed tx alive
// until its block limit, up to BlockLimitWindow blocks later. (The heap
// once dropped entries only when it popped them, and a node with a large
// window held every native tx it had committed.)
func TestCommittedNativeTxsLeaveExpiry(t *testing.T) {
	suite := crypto.SM()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain) // BlockLimitWindow 100
	rng := rand.New(rand.NewPCG(7, 7))
	key := cryptotest.Key(t, suite)
	nonce := int64(0)
	var pooled []*types.Transaction
	for round := range 30 {
		var add []*types.Transaction
		for range 1 + rng.IntN(8) {
			nonce++
			limit := chain.Height() + 1 + uint64(rng.IntN(100))
			add = append(add, nativeTx(t, suite, key, nonce, limit))
		}
		mustAdd(t, p, add...)
		pooled = append(pooled, add...)
		checkExpiry(t, p)

		// Commit a random share of the pooled txs, now and then with a
		// stranger's tx that reuses the nonce of one still pooled.
		var block []*types.Transaction
		rest := pooled[:0]
		for _, tx := range pooled {
			if p.Has(tx.Hash()) && rng.IntN(2) == 0 {
				block = append(block, tx)
			} else if p.Has(tx.Hash()) {
				rest = append(rest, tx)
			}
		}
		pooled = rest
		if round%5 == 4 && len(pooled) > 0 {
			reuse := nativeTx(t, suite, cryptotest.Key(t, suite), pooled[0].Native().Nonce.Int64(), chain.Height()+50)
			if _, err := reuse.Verify(suite, testChainID, testGroup); err != nil {
				t.Fatal(err)
			}
			block = append(block, reuse)
		}
		p.OnCommitted(chain.commit(t, block...))
		checkExpiry(t, p)
	}
	// Every block limit passes: nothing is left.
	for range 101 {
		p.OnCommitted(chain.commit(t))
	}
	checkExpiry(t, p)
	if p.expiry.Len() != 0 {
		t.Fatalf("%d entries left in the expiry heap", p.expiry.Len())
	}
}

// TestCommittedNativeTxsNotRetained: committed native txs whose block
// limits lie far ahead are garbage once the pool has heard of their block.
func TestCommittedNativeTxsNotRetained(t *testing.T) {
	suite := crypto.SM()
	chain := newFakeChain(10)
	cfg := testConfig()
	cfg.BlockLimitWindow = 100_000
	p := newTestPool(t, suite, cfg, chain)
	key := cryptotest.Key(t, suite)
	const n = 200
	txs := make([]*types.Transaction, n)
	for i := range txs {
		txs[i] = nativeTx(t, suite, key, int64(i+1), chain.Height()+90_000)
	}
	mustAdd(t, p, txs...)
	// Watch the committed txs: each cleanup runs once nothing holds its tx.
	collected := make(chan struct{}, n)
	for _, tx := range txs {
		runtime.AddCleanup(tx, func(c chan struct{}) { c <- struct{}{} }, collected)
	}
	p.OnCommitted(chain.commit(t, txs...))
	txs = nil
	got := 0
	deadline := time.Now().Add(10 * time.Second)
	for got < n && time.Now().Before(deadline) {
		runtime.GC()
		for drained := false; !drained; {
			select {
			case <-collected:
				got++
			default:
				drained = true
			}
		}
		if got < n {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if got < n {
		t.Fatalf("%d of %d committed native txs still reachable after their block was committed", n-got, n)
	}
	runtime.KeepAlive(p)
}
