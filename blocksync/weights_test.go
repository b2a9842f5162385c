package blocksync

import (
	"errors"
	"testing"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// weightedSet gives the sealers weights from height from on.
type weightedSet struct {
	pubs    [][]byte
	weights []uint64
	from    uint64
}

func (s weightedSet) SealersAt(uint64) ([][]byte, error) { return s.pubs, nil }

func (s weightedSet) WeightedSealersAt(n uint64) ([][]byte, []uint64, error) {
	if n < s.from {
		return s.pubs, nil, nil
	}
	return s.pubs, s.weights, nil
}

// A certificate is checked with the weights of its block's height: two
// signatures of four, one of them weighing 3 (W = 6, Q = 4), certify a
// weighted height and not a unit one; three light signatures certify a
// unit height and not a weighted one.
func TestCheckBlockWeights(t *testing.T) {
	sealers := newSealers(t, crypto.ECDSA(), 4)
	c := newTestChain(t, sealers, 1_700_000_000, 2)
	set := weightedSet{pubs: c.pubs, weights: []uint64{3, 1, 1, 1}, from: 2}
	s, err := New(Params{Config: testConfig(), Suite: c.suite, Ledger: ledgerAdapter{c.newLedger(t, 0)},
		Executor: &fakeExec{suite: c.suite}, Transport: &memTransport{net: newMemNet(), self: "x"}, Sealers: set,
		Clock: newManualClock()})
	if err != nil {
		t.Fatal(err)
	}
	signed := func(b *types.Block, by ...int) *types.Block {
		h := *b.Header
		h.Signatures = nil
		for _, i := range by {
			sig, err := consensus.SignCommit(c.suite, sealers[i], &h, uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			h.Signatures = append(h.Signatures, sig)
		}
		return &types.Block{Header: &h, Txs: b.Txs}
	}
	for _, tc := range []struct {
		number int
		by     []int
		ok     bool
	}{
		{1, []int{1, 2, 3}, true},
		{1, []int{0, 1}, false},
		{2, []int{0, 1}, true},
		{2, []int{1, 2, 3}, false},
		{2, []int{0}, false},
	} {
		_, err := s.checkBlock(signed(c.blocks[tc.number], tc.by...))
		if tc.ok != (err == nil) || !tc.ok && !errors.Is(err, consensus.ErrNoQuorum) {
			t.Errorf("block %d signed by %v: %v, want ok %v", tc.number, tc.by, err, tc.ok)
		}
	}
	bad := weightedSet{pubs: c.pubs, weights: []uint64{3, 0, 1, 1}}
	s.sealers = bad
	if _, err := s.checkBlock(signed(c.blocks[2], 0, 1, 2, 3)); !errors.Is(err, ErrNoSealers) {
		t.Errorf("zero weight: %v", err)
	}
}
