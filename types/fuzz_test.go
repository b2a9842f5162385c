package types_test

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// FuzzDecodeTx feeds arbitrary bytes to the transaction decoder: it must
// return an error or a tx that re-encodes to the same bytes, never panic.
func FuzzDecodeTx(f *testing.F) {
	for _, s := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		k, _ := s.GenerateKey()
		f.Add(nativeTx(f, s, k, nil).Bytes())
	}
	k, _ := crypto.ECDSA().GenerateKey()
	f.Add(ethTx(f, k, testChainID, false).Bytes())
	f.Add(ethTx(f, k, testChainID, true).Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
			tx, err := types.DecodeTx(s, b)
			if err != nil {
				continue
			}
			if string(tx.Bytes()) != string(b) {
				t.Fatalf("decoded tx re-encodes differently")
			}
			_, _ = tx.Verify(s, testChainID, testGroup)
		}
	})
}

// FuzzDecodeBlock feeds arbitrary bytes to the block decoder.
func FuzzDecodeBlock(f *testing.F) {
	s := crypto.ECDSA()
	k, _ := s.GenerateKey()
	blk := &types.Block{Header: &types.Header{Number: 3}, Txs: []*types.Transaction{nativeTx(f, s, k, nil)}}
	f.Add(types.EncodeBlock(blk))
	f.Add([]byte{0xc0})
	f.Fuzz(func(t *testing.T, b []byte) {
		blk, err := types.DecodeBlock(s, b)
		if err != nil {
			return
		}
		_ = blk.Header.Hash(s)
		_ = types.EncodeBlock(blk)
	})
}

// FuzzDecodeReceipt feeds arbitrary bytes to the receipt decoder, which
// reads receipts a node serves in receipt proofs (the SDK checks them
// against the receipts root): it must return an error or a receipt that
// re-encodes to the same bytes, never panic.
func FuzzDecodeReceipt(f *testing.F) {
	addr := common.HexToAddress("0x00000000000000000000000000000000000000b1")
	for _, r := range []*types.Receipt{
		{},
		{Status: types.ReceiptSuccess, GasUsed: 21_000},
		{Status: types.ReceiptSuccess, GasUsed: 90_000, ContractAddress: addr},
		{Status: types.ReceiptFailed, GasUsed: 30_000, Output: []byte{0x08, 0xc3, 0x79, 0xa0}, ErrorMessage: "execution reverted"},
		{Status: types.ReceiptSuccess, GasUsed: 50_000, Logs: []*types.Log{
			{Address: addr, Topics: []common.Hash{{1}, {2}}, Data: []byte{0x2a}},
			{Address: addr},
		}},
	} {
		f.Add(types.EncodeReceipt(r))
	}
	f.Add([]byte{0xc0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := types.DecodeReceipt(b)
		if err != nil {
			return
		}
		if enc := types.EncodeReceipt(r); !bytes.Equal(enc, b) {
			t.Fatalf("decoded receipt re-encodes differently: %x, from %x", enc, b)
		}
		_ = types.LogsBloom([]*types.Receipt{r})
	})
}
