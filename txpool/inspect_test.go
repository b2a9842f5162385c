package txpool

import (
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

// Inspect splits the pool at nonce gaps, in arrival order, and follows
// the gap filling.
func TestInspect(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	p := newTestPool(t, suite, testConfig(), chain)
	a, n := cryptotest.Key(t, suite), cryptotest.Key(t, suite)
	chain.setNonce(a.Address(), 5)
	a6, n1, a5, a8 := ethTx(t, a, 6), nativeTx(t, suite, n, 1, 20), ethTx(t, a, 5), ethTx(t, a, 8)
	mustAdd(t, p, a6, n1, a5, a8)
	exec, queued := p.Inspect()
	sameOrder(t, exec, []*types.Transaction{a6, n1, a5})
	sameOrder(t, queued, []*types.Transaction{a8})

	a7 := ethTx(t, a, 7)
	mustAdd(t, p, a7)
	exec, queued = p.Inspect()
	sameOrder(t, exec, []*types.Transaction{a6, n1, a5, a8, a7})
	if len(queued) != 0 {
		t.Fatalf("queued after the gap filled: %v", hashes(queued))
	}
}
