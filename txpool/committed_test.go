package txpool

import (
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
)

// A committed tx resent after the pool dropped its sender is refused.
func TestEthCommittedRefusedForFreshSender(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	key := cryptotest.Key(t, suite)
	a0 := ethTx(t, key, 0)
	mustAdd(t, p, a0)
	p.OnCommitted(chain.commit(t, a0))
	if n, _ := p.Stats(); n != 0 {
		t.Fatalf("%d txs pooled after the commit", n)
	}
	wantErr(t, addOne(t, p, a0), ErrAlreadyCommitted)
}

// An Ethereum tx committed with a failed pre-check (its value above the
// sender's balance, say) leaves the sender's nonce where it was. Its nonce
// is then not below the committed one, yet resending it must be refused:
// admitting it would put one tx hash twice on the chain.
func TestEthCommittedWithUnusedNonceRefused(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	key := cryptotest.Key(t, suite)
	a0 := ethTx(t, key, 0)
	mustAdd(t, p, a0)
	b := chain.commit(t, a0)
	chain.setNonce(a0.Sender(), 0) // the pre-check failed: nonce not consumed
	p.OnCommitted(b)
	if n, _ := p.Stats(); n != 0 {
		t.Fatalf("%d txs pooled after the commit", n)
	}
	wantErr(t, addOne(t, p, a0), ErrAlreadyCommitted)
}
