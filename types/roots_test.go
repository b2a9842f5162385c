package types_test

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// TestComputeBlockRoots checks the roots, bloom and encodings of a
// BlockRoots are those TxRoot, ReceiptRoot, LogsBloom and EncodeReceipt
// give, for 0 to 5 txs on both suites, and what Match accepts.
func TestComputeBlockRoots(t *testing.T) {
	for _, s := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		k, _ := s.GenerateKey()
		for n := range 6 {
			var txs []*types.Transaction
			var rs []*types.Receipt
			for i := range n {
				txs = append(txs, nativeTx(t, s, k, func(x *types.NativeTx) { x.Nonce = big.NewInt(int64(i)) }))
				r := &types.Receipt{Status: 1, GasUsed: 21000 + uint64(i), Output: []byte{byte(i)}}
				if i%2 == 1 {
					r.Logs = []*types.Log{{Address: common.Address{byte(i)}, Topics: []common.Hash{{byte(i)}}, Data: []byte{9}}}
				}
				rs = append(rs, r)
			}
			roots := types.ComputeBlockRoots(s, txs, rs)
			if roots.TxRoot() != types.TxRoot(s, txs) || roots.ReceiptRoot() != types.ReceiptRoot(s, rs) || roots.LogsBloom() != types.LogsBloom(rs) {
				t.Fatalf("%s, %d txs: roots differ from TxRoot, ReceiptRoot, LogsBloom", s.Name(), n)
			}
			enc := roots.ReceiptEncodings()
			if len(enc) != n {
				t.Fatalf("%s, %d txs: %d encodings", s.Name(), n, len(enc))
			}
			for i, r := range rs {
				if !bytes.Equal(enc[i], types.EncodeReceipt(r)) {
					t.Fatalf("%s, %d txs: encoding %d differs from EncodeReceipt", s.Name(), n, i)
				}
			}
			h := &types.Header{TxRoot: roots.TxRoot(), ReceiptRoot: roots.ReceiptRoot(), LogsBloom: roots.LogsBloom()}
			if !roots.Match(s, h, txs, rs) {
				t.Fatalf("%s, %d txs: the roots do not match what they were computed from", s.Name(), n)
			}
			if n > 0 && roots.Match(s, h, txs, append([]*types.Receipt{{}}, rs[1:]...)) {
				t.Fatalf("%s, %d txs: the roots match another receipt", s.Name(), n)
			}
		}
	}
	var none *types.BlockRoots
	if none.Match(crypto.ECDSA(), &types.Header{}, nil, nil) {
		t.Fatal("nil roots match")
	}
}

// BenchmarkComputeBlockRoots computes the roots of a block of 1000 native
// txs with their receipts (ECDSA suite), as a sealer and each replica do.
func BenchmarkComputeBlockRoots(b *testing.B) {
	s := crypto.ECDSA()
	k, _ := s.GenerateKey()
	txs := make([]*types.Transaction, 1000)
	rs := make([]*types.Receipt, len(txs))
	for i := range txs {
		txs[i] = nativeTx(b, s, k, func(x *types.NativeTx) { x.Nonce = big.NewInt(int64(i)) })
		rs[i] = &types.Receipt{Status: 1, GasUsed: 21000, CumulativeGasUsed: 21000 * uint64(i+1)}
	}
	for _, tx := range txs {
		tx.Hash() // hashed once on arrival in a node
	}
	b.ReportAllocs()
	for b.Loop() {
		types.ComputeBlockRoots(s, txs, rs)
	}
}
