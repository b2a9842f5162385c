package txpool

import (
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

// One account may send both kinds of tx. A committed native tx advances its
// sender's account nonce (the executor counts it as go-ethereum counts any
// executed tx), so the pool's record of the sender's Ethereum txs must
// follow even when the block holds none of them.

// A queued Ethereum tx whose gap a committed native tx filled becomes
// executable.
func TestOnCommittedNativeTxPromotesQueuedEth(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	key := cryptotest.Key(t, suite)
	n := nativeTx(t, suite, key, 7, 50)
	e1 := ethTx(t, key, 1) // sent counting n, which will take nonce 0
	mustAdd(t, p, n, e1)
	if n.Sender() != e1.Sender() {
		t.Fatalf("native sender %s, Ethereum sender %s", n.Sender(), e1.Sender())
	}
	sameOrder(t, p.Pending(0), []*types.Transaction{n})
	drain(p.Notify())

	p.OnCommitted(chain.commit(t, n))
	if got, _ := chain.AccountNonce(key.Address()); got != 1 {
		t.Fatalf("chain nonce %d after the native tx, want 1", got)
	}
	sameOrder(t, p.Pending(0), []*types.Transaction{e1})
	if !drain(p.Notify()) {
		t.Fatal("no notification after the native tx filled the gap")
	}
	if got := p.PendingNonce(key.Address()); got != 2 {
		t.Fatalf("PendingNonce = %d, want 2", got)
	}
	exec, queued := p.Inspect()
	if len(exec) != 1 || len(queued) != 0 {
		t.Fatalf("Inspect: %d executable, %d queued; want 1, 0", len(exec), len(queued))
	}
}

// A pooled Ethereum tx whose nonce a committed native tx took is dropped,
// not proposed to fail at execution; the next one is executable.
func TestOnCommittedNativeTxDropsStaleEth(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	key := cryptotest.Key(t, suite)
	e0, e1 := ethTx(t, key, 0), ethTx(t, key, 1)
	mustAdd(t, p, e0, e1)
	// A native tx of the same account, sent to another node, commits first.
	n := nativeTx(t, suite, key, 7, 50)
	if _, err := n.Verify(suite, testChainID, testGroup); err != nil {
		t.Fatal(err)
	}
	p.OnCommitted(chain.commit(t, n))
	if p.Has(e0.Hash()) {
		t.Fatal("Ethereum tx whose nonce the native tx used is still pooled")
	}
	sameOrder(t, p.Pending(0), []*types.Transaction{e1})
	if got := p.PendingNonce(key.Address()); got != 2 {
		t.Fatalf("PendingNonce = %d, want 2", got)
	}
	// A new tx with the used nonce is refused at admission.
	wantErr(t, addOne(t, p, signEth(t, key, 0, ethTxOpts{value: 1})), ErrNonceTooLow)

	// Committing e1 empties the pool and its indexes.
	p.OnCommitted(chain.commit(t, e1))
	if n, _ := p.Stats(); n != 0 || len(p.accounts) != 0 || len(p.perSender) != 0 {
		t.Fatalf("%d txs, %d accounts, %d senders left", n, len(p.accounts), len(p.perSender))
	}
}

// Native txs of senders with no Ethereum tx pooled cost no state read at
// commit; one whose sender has some costs one.
func TestOnCommittedNativeTxNonceReads(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	mixed := cryptotest.Key(t, suite)
	e1 := ethTx(t, mixed, 1)
	var natives []*types.Transaction
	for i := range 8 {
		natives = append(natives, nativeTx(t, suite, cryptotest.Key(t, suite), int64(100+i), 50))
	}
	mustAdd(t, p, natives...)
	mustAdd(t, p, e1)

	before := chain.accountNonceReads()
	p.OnCommitted(chain.commit(t, natives...))
	if got := chain.accountNonceReads() - before; got != 0 {
		t.Fatalf("%d account nonce reads for a block of native txs of senders with no Ethereum tx pooled", got)
	}

	n := nativeTx(t, suite, mixed, 200, 50)
	n2 := nativeTx(t, suite, mixed, 201, 50)
	mustAdd(t, p, n, n2)
	before = chain.accountNonceReads()
	p.OnCommitted(chain.commit(t, n, n2))
	if got := chain.accountNonceReads() - before; got != 1 {
		t.Fatalf("%d account nonce reads for two native txs of one sender with Ethereum txs pooled, want 1", got)
	}
	// Two native txs took nonces 0 and 1: e1 is stale.
	if n, _ := p.Stats(); n != 0 {
		t.Fatalf("%d txs left", n)
	}
}
