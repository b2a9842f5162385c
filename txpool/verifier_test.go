package txpool

import (
	"context"
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/txverify"
	"github.com/gobcos/gobcos/types"
)

// TestSharedVerifier: the pool verifies through the verifier it is given,
// so the node's other users of that verifier find admitted txs known.
func TestSharedVerifier(t *testing.T) {
	suite := crypto.ECDSA()
	v, err := txverify.New(suite, testChainID, testGroup, txverify.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Verifier = v
	p := newTestPool(t, suite, cfg, newFakeChain(0))
	key := cryptotest.Key(t, suite)
	txs := []*types.Transaction{ethTx(t, key, 0), ethTx(t, key, 1), signNative(t, suite, key, nativeOpts{nonce: 9})}
	for i, err := range p.Add(context.Background(), txs) {
		if err != nil {
			t.Fatalf("tx %d: %v", i, err)
		}
	}
	if got := v.Stats().Checks; got != uint64(len(txs)) {
		t.Fatalf("%d checks at admission, want %d", got, len(txs))
	}
	again := make([]*types.Transaction, len(txs))
	for i, tx := range txs {
		if again[i], err = types.DecodeTx(suite, tx.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	for i, err := range v.VerifyBatch(context.Background(), again) {
		if err != nil || again[i].Sender() != key.Address() {
			t.Fatalf("tx %d: %v", i, err)
		}
	}
	if st := v.Stats(); st.Checks != uint64(len(txs)) || st.CacheHits != uint64(len(txs)) {
		t.Fatalf("stats %+v: admitted txs were checked again", st)
	}
}
