package txpool

import (
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

func TestPendingInterleavesByArrival(t *testing.T) {
	suite := crypto.ECDSA()
	p := newTestPool(t, suite, testConfig(), newFakeChain(10))
	a, b, n := cryptotest.Key(t, suite), cryptotest.Key(t, suite), cryptotest.Key(t, suite)
	a1 := ethTx(t, a, 1) // queued: nonce 0 missing
	n1 := nativeTx(t, suite, n, 1, 20)
	a0 := ethTx(t, a, 0)
	b0 := ethTx(t, b, 0)
	a3 := ethTx(t, a, 3) // queued: nonce 2 missing
	n2 := nativeTx(t, suite, n, 2, 20)
	for _, tx := range []*types.Transaction{a1, n1, a0, b0, a3, n2} {
		mustAdd(t, p, tx)
	}
	// a1 arrived first but waits for a0; once a0 is taken, a1 is the oldest
	// executable tx. a3 stays queued.
	sameOrder(t, p.Pending(0), []*types.Transaction{n1, a0, a1, b0, n2})
	sameOrder(t, p.Pending(3), []*types.Transaction{n1, a0, a1})
	sameOrder(t, p.Pending(2), []*types.Transaction{n1, a0})
	// Pending does not remove anything and is repeatable.
	sameOrder(t, p.Pending(100), []*types.Transaction{n1, a0, a1, b0, n2})
	sameOrder(t, p.Content(), []*types.Transaction{a1, n1, a0, b0, a3, n2})
	if got := p.PendingNonce(a.Address()); got != 2 {
		t.Fatalf("PendingNonce(a) = %d, want 2", got)
	}
	if got := p.PendingNonce(b.Address()); got != 1 {
		t.Fatalf("PendingNonce(b) = %d, want 1", got)
	}
}

func TestFutureNoncePromotion(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	key := cryptotest.Key(t, suite)
	chain.setNonce(key.Address(), 5)
	tx5, tx6, tx7, tx9 := ethTx(t, key, 5), ethTx(t, key, 6), ethTx(t, key, 7), ethTx(t, key, 9)

	mustAdd(t, p, tx7, tx9)
	if drain(p.Notify()) {
		t.Fatal("notified for queued txs only")
	}
	if got := p.Pending(0); len(got) != 0 {
		t.Fatalf("queued txs are pending: %v", hashes(got))
	}
	if got := p.PendingNonce(key.Address()); got != 5 {
		t.Fatalf("PendingNonce = %d, want 5", got)
	}

	mustAdd(t, p, tx5)
	if !drain(p.Notify()) {
		t.Fatal("no notification for an executable tx")
	}
	sameOrder(t, p.Pending(0), []*types.Transaction{tx5})

	mustAdd(t, p, tx6) // fills the gap: 5, 6, 7 executable in nonce order
	sameOrder(t, p.Pending(0), []*types.Transaction{tx5, tx6, tx7})
	if got := p.PendingNonce(key.Address()); got != 8 {
		t.Fatalf("PendingNonce = %d, want 8", got)
	}
	if n, _ := p.Stats(); n != 4 {
		t.Fatalf("pool holds %d txs, want 4", n)
	}
}

func TestPendingNonceUnknownAccount(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	key := cryptotest.Key(t, suite)
	chain.setNonce(key.Address(), 12)
	if got := p.PendingNonce(key.Address()); got != 12 {
		t.Fatalf("PendingNonce = %d, want the committed 12", got)
	}
}

func TestNotifyCoalesces(t *testing.T) {
	suite := crypto.SM()
	p := newTestPool(t, suite, testConfig(), newFakeChain(10))
	key := cryptotest.Key(t, suite)
	for i := range 5 {
		mustAdd(t, p, nativeTx(t, suite, key, int64(i+1), 20))
	}
	if !drain(p.Notify()) {
		t.Fatal("no notification")
	}
	if drain(p.Notify()) {
		t.Fatal("notifications did not coalesce")
	}
	// A rejected tx does not notify.
	if err := addOne(t, p, nativeTx(t, suite, key, 1, 20)); err == nil {
		t.Fatal("duplicate accepted")
	}
	if drain(p.Notify()) {
		t.Fatal("notified for a rejected tx")
	}
}
