package txpool

import (
	"errors"
	"strings"
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

// gasChain is a fakeChain whose tx_gas_limit governance changes.
type gasChain struct {
	*fakeChain
	limit uint64
	err   error
	reads int
}

func (c *gasChain) TxGasLimit(block uint64) (uint64, error) {
	c.reads++
	if block != c.Height()+1 {
		return 0, errors.New("asked about the wrong block")
	}
	return c.limit, c.err
}

func TestTxGasLimitInForce(t *testing.T) {
	ec := crypto.ECDSA()
	k := cryptotest.Key(t, ec)
	c := &gasChain{fakeChain: newFakeChain(10), limit: 100_000}
	p := newTestPool(t, ec, testConfig(), c)
	// Over the limit in force, under Config.TxGasLimit (1,000,000).
	err := addOne(t, p, signNative(t, ec, k, nativeOpts{nonce: 1, gas: 100_001}))
	if !errors.Is(err, ErrGasLimitTooHigh) || !strings.Contains(err.Error(), "tx_gas_limit is 100000") {
		t.Fatalf("over the governance limit: %v", err)
	}
	if Reason(err) != "gas_limit_too_high" {
		t.Fatalf("reason %q", Reason(err))
	}
	keep := signNative(t, ec, k, nativeOpts{nonce: 2, gas: 50_000})
	drop := signNative(t, ec, k, nativeOpts{nonce: 3, gas: 90_000})
	eth := signEth(t, k, 0, ethTxOpts{gas: 90_000})
	for _, tx := range []*types.Transaction{keep, drop, eth} {
		if err := addOne(t, p, tx); err != nil {
			t.Fatal(err)
		}
	}
	// A block lowers the limit: the pooled txs above it go.
	c.limit = 60_000
	p.OnCommitted(c.commit(t))
	if !p.Has(keep.Hash()) || p.Has(drop.Hash()) || p.Has(eth.Hash()) {
		t.Fatalf("after lowering the limit: keep %v drop %v eth %v", p.Has(keep.Hash()), p.Has(drop.Hash()), p.Has(eth.Hash()))
	}
	if got := p.Pending(0); len(got) != 1 || got[0].Hash() != keep.Hash() {
		t.Fatalf("pending %d", len(got))
	}
	// Raised again: admitted.
	c.limit = 200_000
	p.OnCommitted(c.commit(t))
	if err := addOne(t, p, signNative(t, ec, k, nativeOpts{nonce: 4, gas: 150_000})); err != nil {
		t.Fatal(err)
	}
	c.err = errors.New("disk on fire")
	if err := addOne(t, p, signNative(t, ec, k, nativeOpts{nonce: 5, gas: 1})); !errors.Is(err, ErrChainState) {
		t.Fatalf("unreadable limit: %v", err)
	}
}

// A batch of txs reads the tx_gas_limit once, and each tx is checked
// against it; when the limit cannot be read, each tx says so.
func TestTxGasLimitReadOncePerBatch(t *testing.T) {
	ec := crypto.ECDSA()
	k := cryptotest.Key(t, ec)
	c := &gasChain{fakeChain: newFakeChain(10), limit: 100_000}
	p := newTestPool(t, ec, testConfig(), c)
	txs := []*types.Transaction{
		signNative(t, ec, k, nativeOpts{nonce: 1, gas: 50_000}),
		signNative(t, ec, k, nativeOpts{nonce: 2, gas: 100_001}),
		signEth(t, k, 0, ethTxOpts{gas: 90_000}),
		signNative(t, ec, k, nativeOpts{nonce: 3, gas: 100_000}),
	}
	errs := p.Add(t.Context(), txs)
	if errs[0] != nil || !errors.Is(errs[1], ErrGasLimitTooHigh) || errs[2] != nil || errs[3] != nil {
		t.Fatalf("errors %v", errs)
	}
	if c.reads != 1 {
		t.Fatalf("tx_gas_limit read %d times for a batch, want 1", c.reads)
	}
	c.err = errors.New("disk on fire")
	for i, err := range p.Add(t.Context(), []*types.Transaction{
		signNative(t, ec, k, nativeOpts{nonce: 4, gas: 1}),
		signNative(t, ec, k, nativeOpts{nonce: 5, gas: 1}),
	}) {
		if !errors.Is(err, ErrChainState) || !strings.Contains(err.Error(), "reading tx_gas_limit: disk on fire") {
			t.Fatalf("tx %d with an unreadable limit: %v", i, err)
		}
	}
}
