package consensus

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

func sealerKeys(t *testing.T, suite crypto.Suite, n int) ([]crypto.PrivateKey, [][]byte) {
	t.Helper()
	keys := make([]crypto.PrivateKey, n)
	pubs := make([][]byte, n)
	for i := range keys {
		k, err := suite.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		keys[i], pubs[i] = k, k.PublicKey()
	}
	return keys, pubs
}

func testHeader() *types.Header {
	return &types.Header{ParentHash: common.Hash{1}, Number: 7, Timestamp: 1700000000, StateRoot: common.Hash{2}, GasLimit: 1e9}
}

func sign(t *testing.T, suite crypto.Suite, h *types.Header, keys []crypto.PrivateKey, idx ...int) {
	t.Helper()
	for _, i := range idx {
		cs, err := SignCommit(suite, keys[i], h, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		h.Signatures = append(h.Signatures, cs)
	}
}

func TestVerifyCommit(t *testing.T) {
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(suite.Name(), func(t *testing.T) {
			keys, pubs := sealerKeys(t, suite, 4)

			h := testHeader()
			sign(t, suite, h, keys, 3, 0, 2)
			if err := VerifyCommit(suite, h, pubs, 3); err != nil {
				t.Fatalf("valid certificate: %v", err)
			}
			if err := VerifyCommit(suite, h, pubs, 4); !errors.Is(err, ErrNoQuorum) {
				t.Fatalf("quorum 4 of 3 signatures: %v", err)
			}
			for _, q := range []int{0, -1, 5} {
				if err := VerifyCommit(suite, h, pubs, q); !errors.Is(err, ErrInvalidQuorum) {
					t.Fatalf("quorum %d: %v", q, err)
				}
			}

			// The signatures cover every header field.
			tampered := *h
			tampered.StateRoot = common.Hash{3}
			if err := VerifyCommit(suite, &tampered, pubs, 1); !errors.Is(err, ErrBadCommitSignature) {
				t.Fatalf("tampered header: %v", err)
			}

			// Adding a signature of a sealer that already signed.
			dup := *h
			dup.Signatures = append(append([]types.CommitSig(nil), h.Signatures...), h.Signatures[0])
			if err := VerifyCommit(suite, &dup, pubs, 3); !errors.Is(err, ErrDuplicateSigner) {
				t.Fatalf("duplicate signer: %v", err)
			}

			// A signature claimed under another sealer's index.
			wrong := testHeader()
			cs, err := SignCommit(suite, keys[1], wrong, 2)
			if err != nil {
				t.Fatal(err)
			}
			wrong.Signatures = []types.CommitSig{cs}
			if err := VerifyCommit(suite, wrong, pubs, 1); !errors.Is(err, ErrBadCommitSignature) {
				t.Fatalf("signature under the wrong index: %v", err)
			}

			unknown := testHeader()
			sign(t, suite, unknown, keys, 0)
			unknown.Signatures[0].Index = 4
			if err := VerifyCommit(suite, unknown, pubs, 1); !errors.Is(err, ErrUnknownSealer) {
				t.Fatalf("unknown index: %v", err)
			}

			// A sealer list naming one key twice does not let it count twice.
			twice := [][]byte{pubs[0], pubs[0], pubs[1]}
			h2 := testHeader()
			sign(t, suite, h2, []crypto.PrivateKey{keys[0], keys[0]}, 0, 1)
			if err := VerifyCommit(suite, h2, twice, 2); !errors.Is(err, ErrDuplicateSigner) {
				t.Fatalf("one key at two indexes: %v", err)
			}

			if err := VerifyCommit(suite, nil, pubs, 1); err == nil {
				t.Fatal("nil header verified")
			}
			empty := testHeader()
			if err := VerifyCommit(suite, empty, pubs, 1); !errors.Is(err, ErrNoQuorum) {
				t.Fatalf("no signatures: %v", err)
			}
		})
	}
}

func TestSignCommitSuiteMismatch(t *testing.T) {
	smKey, err := crypto.SM().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SignCommit(crypto.ECDSA(), smKey, testHeader(), 0); !errors.Is(err, ErrSuiteMismatch) {
		t.Fatalf("got %v", err)
	}
	if _, err := SignCommit(crypto.ECDSA(), nil, testHeader(), 0); !errors.Is(err, ErrSuiteMismatch) {
		t.Fatalf("nil key: got %v", err)
	}
}

func TestBuildHeader(t *testing.T) {
	suite := crypto.SM()
	key, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	var txs []*types.Transaction
	for i := range 3 {
		n := &types.NativeTx{ChainID: 1, GroupID: "g", BlockLimit: 10, Input: []byte{byte(i)}}
		if err := n.Sign(suite, key.PublicKey(), key.Sign); err != nil {
			t.Fatal(err)
		}
		txs = append(txs, types.NewNativeTx(suite, n))
	}
	log := &types.Log{Address: common.Address{9}, Topics: []common.Hash{{8}}}
	res := &Result{
		Receipts: []*types.Receipt{
			{Status: types.ReceiptSuccess, GasUsed: 100},
			{Status: types.ReceiptFailed, GasUsed: 20, ErrorMessage: "reverted"},
			{Status: types.ReceiptSuccess, GasUsed: 3, Logs: []*types.Log{log}},
		},
		StateRoot: common.Hash{5},
	}
	env := BlockEnv{Number: 4, Timestamp: 99, Sealer: common.Address{7}, GasLimit: 1000, ParentHash: common.Hash{6}}
	h, roots, err := BuildHeader(suite, env, txs, res)
	if err != nil {
		t.Fatal(err)
	}
	if !roots.Match(suite, h, txs, res.Receipts) {
		t.Fatal("the roots returned do not match the header and the block's txs and receipts")
	}
	want := types.Header{
		ParentHash: env.ParentHash, Number: 4, Timestamp: 99,
		TxRoot: types.TxRoot(suite, txs), ReceiptRoot: types.ReceiptRoot(suite, res.Receipts),
		StateRoot: res.StateRoot, LogsBloom: types.LogsBloom(res.Receipts),
		GasUsed: 123, GasLimit: 1000, Sealer: env.Sealer,
	}
	if h.Hash(suite) != want.Hash(suite) {
		t.Fatalf("header %+v, want %+v", h, want)
	}
	if !h.LogsBloom.Test(log.Address.Bytes()) {
		t.Fatal("bloom misses the log address")
	}
	// The executor's bloom, when given, is the header's: it is not
	// computed again (a bloom with one more bit shows which was used).
	given := types.LogsBloom(res.Receipts)
	given[0] |= 0x80
	res.Bloom = &given
	if h, roots, err := BuildHeader(suite, env, txs, res); err != nil || h.LogsBloom != given || roots.LogsBloom() != given {
		t.Fatalf("header bloom with the executor's given: %v", err)
	}
	res.Bloom = nil

	if _, _, err := BuildHeader(suite, env, txs[:2], res); !errors.Is(err, ErrBadResult) {
		t.Fatalf("receipt count mismatch: %v", err)
	}
	if _, _, err := BuildHeader(suite, env, txs, nil); !errors.Is(err, ErrBadResult) {
		t.Fatalf("nil result: %v", err)
	}
	res.Receipts[1] = nil
	if _, _, err := BuildHeader(suite, env, txs, res); !errors.Is(err, ErrBadResult) {
		t.Fatalf("nil receipt: %v", err)
	}
}

func TestQuorumWeight(t *testing.T) {
	for _, tc := range []struct{ w, f, q uint64 }{{1, 0, 1}, {2, 0, 2}, {3, 0, 2}, {4, 1, 3}, {5, 1, 4}, {6, 1, 4}, {7, 2, 5}, {10, 3, 7}, {100, 33, 67}} {
		if f, q := MaxFaultyWeight(tc.w), QuorumWeight(tc.w); f != tc.f || q != tc.q {
			t.Errorf("W=%d: F=%d Q=%d, want F=%d Q=%d", tc.w, f, q, tc.f, tc.q)
		}
	}
	for w := uint64(1); w < 2000; w++ {
		f, q := MaxFaultyWeight(w), QuorumWeight(w)
		// Two quorums overlap in more than F; the honest weight reaches Q.
		if 2*q-w < f+1 || q > w-f || 3*f >= w {
			t.Fatalf("W=%d: F=%d Q=%d break intersection or liveness", w, f, q)
		}
		// Q is the least such weight.
		if q > 1 && 2*(q-1) >= w+f+1 {
			t.Fatalf("W=%d: Q=%d is not the least intersecting quorum", w, q)
		}
	}
}

func TestTotalWeight(t *testing.T) {
	if w, err := TotalWeight(4, nil); err != nil || w != 4 {
		t.Fatalf("unit weights: %d, %v", w, err)
	}
	if w, err := TotalWeight(3, []uint64{3, 1, MaxSealerWeight}); err != nil || w != 4+MaxSealerWeight {
		t.Fatalf("weights: %d, %v", w, err)
	}
	for name, ws := range map[string][]uint64{
		"zero": {1, 0, 1}, "too heavy": {1, MaxSealerWeight + 1, 1}, "too few": {1, 1}, "too many": {1, 1, 1, 1},
	} {
		if _, err := TotalWeight(3, ws); !errors.Is(err, ErrInvalidWeights) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !UnitWeights(nil) || !UnitWeights([]uint64{1, 1}) || UnitWeights([]uint64{1, 2}) {
		t.Fatal("UnitWeights")
	}
}

func TestVerifyCommitWeighted(t *testing.T) {
	suite := crypto.ECDSA()
	keys, pubs := sealerKeys(t, suite, 4)
	weights := []uint64{3, 1, 1, 1} // W = 6, F = 1, Q = 4
	q := QuorumWeight(6)
	if q != 4 {
		t.Fatalf("quorum weight %d", q)
	}
	for _, tc := range []struct {
		signers []int
		ok      bool
	}{
		{[]int{0, 1}, true},     // 3+1
		{[]int{1, 2, 3}, false}, // 3: three of four sealers are not enough
		{[]int{0}, false},       // 3
		{[]int{2, 0, 3}, true},  // 5
		{[]int{1, 2, 3, 0}, true},
	} {
		h := testHeader()
		sign(t, suite, h, keys, tc.signers...)
		err := VerifyCommitWeighted(suite, h, pubs, weights, q)
		if tc.ok && err != nil {
			t.Errorf("signers %v: %v", tc.signers, err)
		}
		if !tc.ok && !errors.Is(err, ErrNoQuorum) {
			t.Errorf("signers %v: %v, want ErrNoQuorum", tc.signers, err)
		}
		// Unit weights: any three suffice.
		if err := VerifyCommitWeighted(suite, h, pubs, nil, 3); (len(tc.signers) >= 3) != (err == nil) {
			t.Errorf("unit weights, signers %v: %v", tc.signers, err)
		}
	}
	h := testHeader()
	sign(t, suite, h, keys, 0, 1, 2, 3)
	for _, q := range []uint64{0, 7} {
		if err := VerifyCommitWeighted(suite, h, pubs, weights, q); !errors.Is(err, ErrInvalidQuorum) {
			t.Errorf("quorum %d: %v", q, err)
		}
	}
	if err := VerifyCommitWeighted(suite, h, pubs, []uint64{3, 1, 1}, 4); !errors.Is(err, ErrInvalidWeights) {
		t.Errorf("weights of another list: %v", err)
	}
	if err := VerifyCommitWeighted(suite, h, pubs, []uint64{3, 0, 1, 1}, 4); !errors.Is(err, ErrInvalidWeights) {
		t.Errorf("zero weight: %v", err)
	}
	// A duplicated heavy signer does not count twice.
	dup := testHeader()
	sign(t, suite, dup, keys, 0, 0)
	if err := VerifyCommitWeighted(suite, dup, pubs, weights, q); !errors.Is(err, ErrDuplicateSigner) {
		t.Errorf("duplicate heavy signer: %v", err)
	}
}
