package ledger

import (
	"bytes"
	"math"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// The records' field-by-field encoders give the bytes of the reflecting
// RLP encoder, which decodeTxRecord and decodeReceiptRecord read back.
func TestRecordEncoders(t *testing.T) {
	to := common.Address{0xaa, 0x01}
	for _, r := range []*txRecord{
		{},
		{Hash: common.Hash{1}, Sender: common.Address{2}, Tx: []byte{0x7f}},
		{Hash: common.Hash{3}, Sender: common.Address{4}, Tx: bytes.Repeat([]byte{0xf8}, 70_000)},
	} {
		got := encodedAsRLP(t, r, r.encode)
		back, err := decodeTxRecord(got)
		if err != nil || back.Hash != r.Hash || back.Sender != r.Sender || !bytes.Equal(back.Tx, r.Tx) {
			t.Fatalf("tx record %x decoded as %+v, %v", r.Hash, back, err)
		}
	}
	for _, r := range []*receiptRecord{
		{},
		{Receipt: []byte{1, 2, 3}, TxHash: common.Hash{5}, From: common.Address{6}, To: &to, CumulativeGasUsed: 21_000, FirstLogIndex: 3},
		{Receipt: bytes.Repeat([]byte{0x80}, 600), TxHash: common.Hash{7}, CumulativeGasUsed: math.MaxUint64, FirstLogIndex: 1 << 40},
	} {
		got := encodedAsRLP(t, r, r.encode)
		back, err := decodeReceiptRecord(got)
		if err != nil || back.TxHash != r.TxHash || (back.To == nil) != (r.To == nil) || back.CumulativeGasUsed != r.CumulativeGasUsed || back.FirstLogIndex != r.FirstLogIndex {
			t.Fatalf("receipt record %x decoded as %+v, %v", r.TxHash, back, err)
		}
	}
}

// encodedAsRLP returns what encode writes, failing t unless it is
// rlp.EncodeToBytes(v).
func encodedAsRLP(t *testing.T, v any, encode func(rlp.EncoderBuffer)) []byte {
	t.Helper()
	want, err := rlp.EncodeToBytes(v)
	if err != nil {
		t.Fatal(err)
	}
	w := rlp.NewEncoderBuffer(nil)
	defer w.Flush()
	encode(w)
	got := w.ToBytes()
	if !bytes.Equal(got, want) {
		t.Fatalf("%+v encoded as\n%x\nwant\n%x", v, got, want)
	}
	return got
}
