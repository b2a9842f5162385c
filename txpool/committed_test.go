package txpool

import (
	"testing"

	"github.com/gobcos/gobcos/crypto"
)

// An Ethereum tx at or above its sender's committed nonce cannot be on the
// chain: the pool asks the chain for its hash only when it may be.
func TestEthCommittedLookupOnlyWhenPossible(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	key := genKey(t, suite)
	a0, a1, a2, a3 := ethTx(t, key, 0), ethTx(t, key, 1), ethTx(t, key, 2), ethTx(t, key, 3)

	// A new sender: its nonce was just read, so no lookup.
	mustAdd(t, p, a0)
	if n := chain.txLookups(); n != 0 {
		t.Fatalf("%d lookups for a new sender's next tx, want 0", n)
	}
	// The pool was never told of block 10: the sender's record may be stale.
	mustAdd(t, p, a1)
	if n := chain.txLookups(); n != 1 {
		t.Fatalf("%d lookups before the pool saw the head, want 1", n)
	}

	// Committed, and the pool told: a fresh nonce needs no lookup; a used
	// one is refused as committed (not merely as a low nonce).
	p.OnCommitted(chain.commit(t, a0))
	mustAdd(t, p, a2)
	if n := chain.txLookups(); n != 1 {
		t.Fatalf("%d lookups with the pool up to date, want 1", n)
	}
	wantErr(t, addOne(t, p, a0), ErrAlreadyCommitted)
	if n := chain.txLookups(); n != 2 {
		t.Fatalf("%d lookups, want 2 after a used nonce", n)
	}

	// Committed but the pool not yet told (the sealer is between the
	// ledger's commit and OnCommitted): the chain is asked, and refuses.
	b := chain.commit(t, a1, a2)
	mustAdd(t, p, a3)
	if n := chain.txLookups(); n != 3 {
		t.Fatalf("%d lookups, want 3 once the chain is ahead of the pool", n)
	}
	p.OnCommitted(b)
	if !p.Has(a3.Hash()) || p.Has(a1.Hash()) || p.Has(a2.Hash()) {
		t.Fatal("after catching up, want only a3 pooled")
	}
}

// A committed tx resent after the pool dropped its sender is refused.
func TestEthCommittedRefusedForFreshSender(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	key := genKey(t, suite)
	a0 := ethTx(t, key, 0)
	mustAdd(t, p, a0)
	p.OnCommitted(chain.commit(t, a0))
	if n, _ := p.Stats(); n != 0 {
		t.Fatalf("%d txs pooled after the commit", n)
	}
	wantErr(t, addOne(t, p, a0), ErrAlreadyCommitted)
}
