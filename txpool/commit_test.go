package txpool

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

func TestOnCommittedRemovesBlockTxs(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	a, n := cryptotest.Key(t, suite), cryptotest.Key(t, suite)
	a0, a1, a2 := ethTx(t, a, 0), ethTx(t, a, 1), ethTx(t, a, 2)
	n1, n2 := nativeTx(t, suite, n, 1, 50), nativeTx(t, suite, n, 2, 50)
	mustAdd(t, p, a0, a1, a2, n1, n2)
	drain(p.Notify())

	p.OnCommitted(chain.commit(t, a0, a1, n1))
	sameOrder(t, p.Pending(0), []*types.Transaction{a2, n2})
	for _, tx := range []*types.Transaction{a0, a1, n1} {
		if p.Has(tx.Hash()) {
			t.Fatalf("committed tx %s still pooled", tx.Hash())
		}
	}
	if n, size := p.Stats(); n != 2 || size != a2.Size()+n2.Size() {
		t.Fatalf("Stats = %d, %d", n, size)
	}
	if got := p.PendingNonce(a.Address()); got != 3 {
		t.Fatalf("PendingNonce = %d, want 3", got)
	}
	if !drain(p.Notify()) {
		t.Fatal("no notification while executable txs remain")
	}
	// Resubmitting a committed tx is refused.
	wantErr(t, addOne(t, p, a0), ErrAlreadyCommitted)

	p.OnCommitted(chain.commit(t, a2, n2))
	if n, size := p.Stats(); n != 0 || size != 0 {
		t.Fatalf("Stats = %d, %d after committing everything", n, size)
	}
	if drain(p.Notify()) {
		t.Fatal("notified with an empty pool")
	}
	if len(p.accounts) != 0 || len(p.perSender) != 0 || len(p.nativeNonces) != 0 {
		t.Fatalf("indexes not empty: %d accounts, %d senders, %d nonces", len(p.accounts), len(p.perSender), len(p.nativeNonces))
	}
}

func TestOnCommittedPromotesQueued(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	key := cryptotest.Key(t, suite)
	// The pool never saw nonce 0 (it was sent to another node); 1 and 2 wait.
	other := ethTx(t, key, 0)
	if _, err := other.Verify(suite, testChainID, testGroup); err != nil {
		t.Fatal(err)
	}
	tx1, tx2 := ethTx(t, key, 1), ethTx(t, key, 2)
	mustAdd(t, p, tx1, tx2)
	if len(p.Pending(0)) != 0 || drain(p.Notify()) {
		t.Fatal("queued txs are executable")
	}
	p.OnCommitted(chain.commit(t, other))
	if !drain(p.Notify()) {
		t.Fatal("no notification after promotion")
	}
	sameOrder(t, p.Pending(0), []*types.Transaction{tx1, tx2})
}

func TestOnCommittedUnverifiedBlockTx(t *testing.T) {
	// A block from a peer may hold txs this node never verified: the pool
	// learns their sender itself.
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	key := cryptotest.Key(t, suite)
	tx1 := ethTx(t, key, 1)
	mustAdd(t, p, tx1)
	fresh := ethTx(t, key, 0)
	chain.setNonce(key.Address(), 1)
	p.OnCommitted(&types.Block{Header: &types.Header{Number: 11}, Txs: []*types.Transaction{fresh}})
	sameOrder(t, p.Pending(0), []*types.Transaction{tx1})
}

func TestOnCommittedDropsStaleNonce(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	key := cryptotest.Key(t, suite)
	mine0, mine1 := ethTx(t, key, 0), ethTx(t, key, 1)
	mustAdd(t, p, mine0, mine1)
	// Another node committed a different tx with nonce 0.
	theirs0 := signEth(t, key, 0, ethTxOpts{value: 77})
	if _, err := theirs0.Verify(suite, testChainID, testGroup); err != nil {
		t.Fatal(err)
	}
	p.OnCommitted(chain.commit(t, theirs0))
	if p.Has(mine0.Hash()) {
		t.Fatal("tx with a used nonce kept")
	}
	sameOrder(t, p.Pending(0), []*types.Transaction{mine1})
	sameOrder(t, p.Content(), []*types.Transaction{mine1})
}

func TestOnCommittedChainErrorUsesBlockNonce(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	key := cryptotest.Key(t, suite)
	tx0, tx1, tx2 := ethTx(t, key, 0), ethTx(t, key, 1), ethTx(t, key, 2)
	mustAdd(t, p, tx0, tx1, tx2)
	b := chain.commit(t, tx0)
	chain.setErr(errors.New("unavailable"))
	p.OnCommitted(b)
	sameOrder(t, p.Pending(0), []*types.Transaction{tx1, tx2})
}

func TestOnCommittedExpiresNative(t *testing.T) {
	suite := crypto.SM()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	key := cryptotest.Key(t, suite)
	soon := nativeTx(t, suite, key, 1, 11)
	later := nativeTx(t, suite, key, 2, 12)
	committed := nativeTx(t, suite, key, 3, 12)
	mustAdd(t, p, soon, later, committed)

	// Block 11 includes committed; soon (limit 11) could still have been in
	// it but no longer in block 12: it expires now.
	p.OnCommitted(chain.commit(t, committed))
	sameOrder(t, p.Content(), []*types.Transaction{later})
	p.OnCommitted(chain.commit(t))
	if n, _ := p.Stats(); n != 0 {
		t.Fatalf("%d txs left after every block limit passed", n)
	}
	if p.expiry.Len() != 0 {
		t.Fatalf("expiry heap holds %d entries", p.expiry.Len())
	}
	// The expired nonce is free again in the pool; the chain still knows committed's.
	wantErr(t, addOne(t, p, nativeTx(t, suite, key, 3, 20)), ErrNativeNonceUsed)
	mustAdd(t, p, nativeTx(t, suite, key, 1, 20))
}

func TestOnCommittedDropsReusedNativeNonce(t *testing.T) {
	suite := crypto.SM()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	mine := nativeTx(t, suite, cryptotest.Key(t, suite), 42, 30)
	theirs := nativeTx(t, suite, cryptotest.Key(t, suite), 42, 30)
	mustAdd(t, p, mine)
	if _, err := theirs.Verify(suite, testChainID, testGroup); err != nil {
		t.Fatal(err) // a block's txs are verified before it commits
	}
	p.OnCommitted(chain.commit(t, theirs))
	if p.Has(mine.Hash()) {
		t.Fatal("tx reusing a committed native nonce kept")
	}
}

func TestOnCommittedNilBlock(t *testing.T) {
	p := newTestPool(t, crypto.ECDSA(), testConfig(), newFakeChain(10))
	p.OnCommitted(nil)
	p.OnCommitted(&types.Block{})
}

// committingChain commits its tx (by hash and native nonce) right after the
// pool first asks whether the tx is committed: a block committed between
// the pool's two checks.
type committingChain struct {
	*fakeChain
	tx *types.Transaction
}

func (c *committingChain) TxCommitted(h common.Hash) (bool, error) {
	ok, err := c.fakeChain.TxCommitted(h)
	c.mu.Lock()
	c.committed[c.tx.Hash()] = true
	c.nativeUsed[nonceKey(c.tx.Native().Nonce)] = true
	c.mu.Unlock()
	return ok, err
}

// TestNativeTxCommittedDuringAdmission: a native tx that a block commits
// while the pool admits it is refused as already committed, not as
// reusing a nonce (its own).
func TestNativeTxCommittedDuringAdmission(t *testing.T) {
	suite := crypto.ECDSA()
	key := cryptotest.Key(t, suite)
	tx := nativeTx(t, suite, key, 7, 10)
	chain := &committingChain{fakeChain: newFakeChain(1), tx: tx}
	p := newTestPool(t, suite, testConfig(), chain)
	if err := addOne(t, p, tx); !errors.Is(err, ErrAlreadyCommitted) {
		t.Fatalf("tx committed during its admission: %v, want %v", err, ErrAlreadyCommitted)
	}
}
