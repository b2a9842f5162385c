package types_test

import (
	"testing"

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
