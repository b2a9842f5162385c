package ledger

import (
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

func TestSubscribe(t *testing.T) {
	suite := crypto.ECDSA()
	l := openLedger(t, storage.NewMemory(), suite)
	c := newChain(t, suite)

	slow, _ := l.Subscribe(2)
	fast, unsubFast := l.Subscribe(10)
	gone, unsubGone := l.Subscribe(1)
	unsubGone()
	unsubGone() // harmless
	if _, open := <-gone; open {
		t.Fatal("unsubscribed channel is not closed")
	}

	var blocks []*types.Block
	for i := range 3 {
		b, rs := c.next(i + 2)
		mustCommit(t, l, b, rs, nil)
		blocks = append(blocks, b)
	}
	// fast saw every block, with filled receipts.
	for _, b := range blocks {
		ev := <-fast
		if ev.Block != b || ev.Hash != b.Header.Hash(suite) || len(ev.Receipts) != len(b.Txs) {
			t.Fatalf("event for block %d: %+v", b.Header.Number, ev)
		}
		var cum uint64
		for i, r := range ev.Receipts {
			cum += r.GasUsed
			from, _ := b.Txs[i].CachedSender()
			if r.TxHash != b.Txs[i].Hash() || r.BlockNumber != b.Header.Number || r.BlockHash != ev.Hash ||
				r.TxIndex != uint64(i) || r.CumulativeGasUsed != cum || r.From != from {
				t.Fatalf("event receipt %d of block %d: %+v", i, b.Header.Number, r)
			}
		}
	}
	// slow had room for two events and was dropped at the third.
	for i := range 2 {
		ev, ok := <-slow
		if !ok || ev.Block != blocks[i] {
			t.Fatalf("slow subscriber event %d: %v %v", i, ev, ok)
		}
	}
	if _, ok := <-slow; ok {
		t.Fatal("a subscriber that fell behind was not dropped")
	}

	unsubFast()
	if _, ok := <-fast; ok {
		t.Fatal("fast channel open after unsubscribe")
	}
	b, rs := c.next(1)
	mustCommit(t, l, b, rs, nil) // no subscribers: nothing blocks

	last, unsubLast := l.Subscribe(0)
	l.Close()
	if _, ok := <-last; ok {
		t.Fatal("Close left a subscription open")
	}
	unsubLast() // after Close: harmless
	after, _ := l.Subscribe(1)
	if _, ok := <-after; ok {
		t.Fatal("subscribing to a closed ledger gave an open channel")
	}
}
