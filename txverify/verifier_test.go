package txverify

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

func TestCachedTxNotVerifiedAgain(t *testing.T) {
	for _, name := range []string{crypto.NameECDSA, crypto.NameSM} {
		t.Run(name, func(t *testing.T) {
			base, err := crypto.ByName(name)
			if err != nil {
				t.Fatal(err)
			}
			suite := &cryptotest.CountingSuite{Suite: base}
			v := newVerifier(t, suite, Config{Workers: 2})
			key := cryptotest.Key(t, base)
			txs := make([]*types.Transaction, 40)
			for i := range txs {
				txs[i] = nativeTx(t, base, key, int64(i+1))
			}
			for i, err := range v.VerifyBatch(context.Background(), txs) {
				if err != nil {
					t.Fatalf("tx %d: %v", i, err)
				}
			}
			if got := suite.Calls(); got != int64(len(txs)) {
				t.Fatalf("admission: %d suite checks, want %d", got, len(txs))
			}
			// The same txs decoded again, as from a proposal, a block to
			// execute and a synced block: no check, same senders.
			for round := range 3 {
				again := make([]*types.Transaction, len(txs))
				for i, tx := range txs {
					again[i] = fresh(t, suite, tx)
				}
				for i, err := range v.VerifyBatch(context.Background(), again) {
					if err != nil {
						t.Fatalf("round %d tx %d: %v", round, i, err)
					}
					if again[i].Sender() != key.Address() {
						t.Fatalf("round %d tx %d: sender %s, want %s", round, i, again[i].Sender(), key.Address())
					}
				}
				one := fresh(t, suite, txs[round])
				if a, err := v.Verify(one); err != nil || a != key.Address() {
					t.Fatalf("Verify: %s, %v", a, err)
				}
			}
			if got := suite.Calls(); got != int64(len(txs)) {
				t.Fatalf("after re-verifying: %d suite checks, want still %d", got, len(txs))
			}
			st := v.Stats()
			if st.Checks != uint64(len(txs)) || st.CacheHits != uint64(3*len(txs)+3) || st.Cached != len(txs) {
				t.Fatalf("stats %+v, want %d checks, %d hits, %d cached", st, len(txs), 3*len(txs)+3, len(txs))
			}
		})
	}
}

func TestEthTxCheckedOnce(t *testing.T) {
	v := newVerifier(t, crypto.ECDSA(), Config{})
	key := cryptotest.Key(t, crypto.ECDSA())
	tx := ethTx(t, key, testChainID, 0)
	for range 5 {
		if a, err := v.Verify(fresh(t, crypto.ECDSA(), tx)); err != nil || a != key.Address() {
			t.Fatalf("Verify: %s, %v", a, err)
		}
	}
	if st := v.Stats(); st.Checks != 1 || st.CacheHits != 4 {
		t.Fatalf("stats %+v, want 1 check and 4 hits", st)
	}
}

// TestTamperedTxNotValid: a tx whose signature or signed fields were
// changed after a valid copy was cached is checked in full and refused.
func TestTamperedTxNotValid(t *testing.T) {
	suite := crypto.ECDSA()
	v := newVerifier(t, suite, Config{})
	key := cryptotest.Key(t, suite)

	native := nativeTx(t, suite, key, 7)
	eth := ethTx(t, key, testChainID, 3)
	for _, tx := range []*types.Transaction{native, eth} {
		if _, err := v.Verify(fresh(t, suite, tx)); err != nil {
			t.Fatal(err)
		}
	}

	tampered := map[string]*types.Transaction{}
	{ // native: another value under the same signature and public key
		n := *native.Native()
		n.Value = big.NewInt(1000)
		tampered["native value"] = types.NewNativeTx(suite, &n)
	}
	{ // native: a flipped bit in the signature
		n := *native.Native()
		n.Signature = append([]byte(nil), n.Signature...)
		n.Signature[5] ^= 1
		tampered["native signature"] = types.NewNativeTx(suite, &n)
	}
	{ // native: another signer's public key
		n := *native.Native()
		n.PublicKey = cryptotest.Key(t, suite).PublicKey()
		tampered["native public key"] = types.NewNativeTx(suite, &n)
	}
	{ // eth: a flipped bit in s, re-encoded
		b := append([]byte(nil), eth.Bytes()...)
		b[len(b)-3] ^= 1
		tx, err := types.DecodeTx(suite, b)
		if err != nil {
			t.Fatal(err)
		}
		tampered["eth signature"] = tx
	}
	for name, tx := range tampered {
		if tx.Hash() == native.Hash() || tx.Hash() == eth.Hash() {
			t.Fatalf("%s: tampered tx has the original's hash", name)
		}
		checks := v.Stats().Checks
		a, err := v.Verify(tx)
		if v.Stats().Checks != checks+1 {
			t.Fatalf("%s: answered from the cache", name)
		}
		if err == nil && a == key.Address() {
			t.Fatalf("%s: accepted as sent by the original signer", name)
		}
		if name != "eth signature" && err == nil { // a changed s may recover another address
			t.Fatalf("%s: accepted (sender %s)", name, a)
		}
	}
	// The originals stay valid and cached.
	if _, err := v.Verify(fresh(t, suite, native)); err != nil {
		t.Fatal(err)
	}
}

// TestCacheBoundToChain: a verifier of another chain or group does not
// take a tx another verifier accepted; only successes are remembered.
func TestCacheBoundToChain(t *testing.T) {
	suite := crypto.ECDSA()
	key := cryptotest.Key(t, suite)
	ok := newVerifier(t, suite, Config{})
	other, err := New(suite, testChainID+1, "other", Config{})
	if err != nil {
		t.Fatal(err)
	}
	tx := nativeTx(t, suite, key, 1)
	if _, err := ok.Verify(fresh(t, suite, tx)); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(fresh(t, suite, tx)); !errors.Is(err, types.ErrWrongChainID) {
		t.Fatalf("other chain: %v, want ErrWrongChainID", err)
	}
	// A failure is not remembered: it is checked (and refused) each time.
	for range 2 {
		if _, err := other.Verify(fresh(t, suite, tx)); err == nil {
			t.Fatal("accepted on the other chain")
		}
	}
	if st := other.Stats(); st.Checks != 3 || st.CacheHits != 0 || st.Cached != 0 {
		t.Fatalf("other chain stats %+v", st)
	}
}

// mixedBatch returns valid and invalid txs interleaved: wrong chain id,
// bad signatures, and nils.
func mixedBatch(t testing.TB, suite crypto.Suite, n int) []*types.Transaction {
	key := cryptotest.Key(t, suite)
	txs := make([]*types.Transaction, n)
	for i := range txs {
		switch i % 7 {
		case 3:
			txs[i] = ethTx(t, key, testChainID+1, uint64(i)) // wrong chain
		case 5:
			nt := *nativeTx(t, suite, key, int64(i)).Native()
			nt.Signature = append([]byte(nil), nt.Signature...)
			nt.Signature[1] ^= 0x40
			txs[i] = types.NewNativeTx(suite, &nt) // bad signature
		case 6:
			if i%2 == 0 {
				txs[i] = nil
				continue
			}
			fallthrough
		default:
			if i%2 == 0 {
				txs[i] = ethTx(t, key, testChainID, uint64(i))
			} else {
				txs[i] = nativeTx(t, suite, key, int64(i))
			}
		}
	}
	return txs
}

func describe(tx *types.Transaction, err error) string {
	if tx == nil {
		return fmt.Sprintf("nil tx: %v", err)
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return "sender " + tx.Sender().Hex()
}

// TestParallelSameAsSerial: VerifyBatch on several workers gives, tx by
// tx and in order, what a serial types.Transaction.Verify gives.
func TestParallelSameAsSerial(t *testing.T) {
	suite := crypto.ECDSA()
	txs := mixedBatch(t, suite, 301)
	want := make([]string, len(txs))
	for i, tx := range txs {
		if tx == nil {
			want[i] = describe(nil, ErrNilTx)
			continue
		}
		c := fresh(t, suite, tx)
		_, err := c.Verify(suite, testChainID, testGroup)
		want[i] = describe(c, err)
	}
	for _, workers := range []int{1, 2, 3, 8} {
		v := newVerifier(t, suite, Config{Workers: workers})
		for round := range 2 { // the second round comes from the cache
			batch := make([]*types.Transaction, len(txs))
			for i, tx := range txs {
				if tx != nil {
					batch[i] = fresh(t, suite, tx)
				}
			}
			errs := v.VerifyBatch(context.Background(), batch)
			if len(errs) != len(txs) {
				t.Fatalf("%d results for %d txs", len(errs), len(txs))
			}
			valid := 0
			for i := range batch {
				if got := describe(batch[i], errs[i]); got != want[i] {
					t.Fatalf("workers %d round %d tx %d: %s, want %s", workers, round, i, got, want[i])
				}
				if errs[i] == nil {
					valid++
				}
			}
			if valid == 0 || valid == len(txs) {
				t.Fatalf("batch has %d valid txs of %d: not a mixed batch", valid, len(txs))
			}
		}
	}
}

func TestBatchContextEnded(t *testing.T) {
	suite := crypto.ECDSA()
	v := newVerifier(t, suite, Config{Workers: 2})
	txs := mixedBatch(t, suite, 50)
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stopped")
	cancel(stop)
	for i, err := range v.VerifyBatch(ctx, txs) {
		if txs[i] == nil {
			continue
		}
		if !errors.Is(err, ErrNotVerified) || !errors.Is(err, stop) {
			t.Fatalf("tx %d: %v, want ErrNotVerified caused by stop", i, err)
		}
	}
	if v.Stats().Checks != 0 {
		t.Fatal("checked signatures after the context ended")
	}
}

func TestCacheBounded(t *testing.T) {
	suite := crypto.ECDSA()
	v := newVerifier(t, suite, Config{CacheSize: 8})
	key := cryptotest.Key(t, suite)
	txs := make([]*types.Transaction, 30)
	for i := range txs {
		txs[i] = nativeTx(t, suite, key, int64(i+1))
		if _, err := v.Verify(txs[i]); err != nil {
			t.Fatal(err)
		}
		if n := v.Stats().Cached; n > 8 {
			t.Fatalf("%d senders cached, limit 8", n)
		}
	}
	// The most recent one is still known; the first was evicted.
	checks := v.Stats().Checks
	if _, err := v.Verify(fresh(t, suite, txs[len(txs)-1])); err != nil || v.Stats().Checks != checks {
		t.Fatalf("recent tx: %v, checks %d -> %d", err, checks, v.Stats().Checks)
	}
	if _, err := v.Verify(fresh(t, suite, txs[0])); err != nil || v.Stats().Checks != checks+1 {
		t.Fatalf("evicted tx: %v, checks %d -> %d", err, checks, v.Stats().Checks)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []Config{{CacheSize: -1}, {Workers: -1}} {
		if _, err := New(crypto.ECDSA(), 1, "g", c); !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("%+v: %v", c, err)
		}
	}
	if _, err := New(nil, 1, "g", Config{}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("nil suite: %v", err)
	}
}

// TestConcurrentCallersCheckOnce: the same txs verified from several
// goroutines at once (gossip and a proposal racing) are checked once.
func TestConcurrentCallersCheckOnce(t *testing.T) {
	base := crypto.ECDSA()
	suite := &cryptotest.CountingSuite{Suite: base}
	v := newVerifier(t, suite, Config{Workers: 4})
	key := cryptotest.Key(t, base)
	txs := make([]*types.Transaction, 64)
	for i := range txs {
		txs[i] = nativeTx(t, base, key, int64(i+1))
	}
	var wg sync.WaitGroup
	for range 8 {
		copies := make([]*types.Transaction, len(txs))
		for i, tx := range txs {
			copies[i] = fresh(t, base, tx)
		}
		wg.Go(func() {
			for i, err := range v.VerifyBatch(context.Background(), copies) {
				if err != nil || copies[i].Sender() != key.Address() {
					t.Errorf("tx %d: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	if got := suite.Calls(); got != int64(len(txs)) {
		t.Fatalf("%d checks for %d distinct txs verified by 8 callers at once", got, len(txs))
	}
	if st := v.Stats(); st.Checks != uint64(len(txs)) || st.CacheHits != uint64(7*len(txs)) {
		t.Fatalf("stats %+v", st)
	}
}
