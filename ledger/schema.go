package ledger

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// Layout of the ledger's keys. Numbers are 8-byte big-endian so keys sort
// by height; tx indexes within a block are 4-byte big-endian.
//
//	l/v                      layout version (1 byte)
//	l/head                   number(8) || hash(32) of the head block
//	l/H/<number>             header (types.EncodeHeader)
//	l/c/<number>             block hash
//	l/n/<hash>               block number
//	l/t/<number><index>      txRecord: hash, sender, tx (types encoding)
//	l/r/<number><index>      receiptRecord: types.EncodeReceipt plus positions
//	l/x/<tx hash>            number(8) || index(4)
//	l/o/<nonce>              number(8) of the block holding the native tx
//	                         with that nonce (nonce as minimal big-endian bytes)
const (
	// Prefix is the part of the key space the ledger owns.
	Prefix = "l/"

	layoutVersion byte = 1
)

var (
	keyVersion     = []byte("l/v")
	keyHead        = []byte("l/head")
	prefixHeader   = []byte("l/H/")
	prefixCanon    = []byte("l/c/")
	prefixHashNum  = []byte("l/n/")
	prefixTx       = []byte("l/t/")
	prefixReceipt  = []byte("l/r/")
	prefixTxIndex  = []byte("l/x/")
	prefixNonceIdx = []byte("l/o/")
)

func key(prefix []byte, parts ...[]byte) []byte {
	n := len(prefix)
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	k = append(k, prefix...)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func be64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func headerKey(n uint64) []byte            { return key(prefixHeader, be64(n)) }
func canonKey(n uint64) []byte             { return key(prefixCanon, be64(n)) }
func hashNumKey(h common.Hash) []byte      { return key(prefixHashNum, h[:]) }
func txKey(n uint64, i uint32) []byte      { return appendPosKey(nil, prefixTx, n, i) }
func receiptKey(n uint64, i uint32) []byte { return appendPosKey(nil, prefixReceipt, n, i) }
func blockTxPrefix(n uint64) []byte        { return key(prefixTx, be64(n)) }
func blockReceiptPrefix(n uint64) []byte   { return key(prefixReceipt, be64(n)) }
func txIndexKey(h common.Hash) []byte      { return appendTxIndexKey(nil, h) }
func nonceKey(nonce *big.Int) []byte       { return key(prefixNonceIdx, nonce.Bytes()) }

// appendPosKey appends prefix, then a tx's position: block number n and
// index i (a tx or receipt key; without a prefix, a tx's location).
func appendPosKey(dst, prefix []byte, n uint64, i uint32) []byte {
	dst = binary.BigEndian.AppendUint64(append(dst, prefix...), n)
	return binary.BigEndian.AppendUint32(dst, i)
}

func appendTxIndexKey(dst []byte, h common.Hash) []byte {
	return append(append(dst, prefixTxIndex...), h[:]...)
}

func decodeNumber(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: block number of %d bytes", ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

func decodeLocation(b []byte) (uint64, uint32, error) {
	if len(b) != 12 {
		return 0, 0, fmt.Errorf("%w: tx location of %d bytes", ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint64(b), binary.BigEndian.Uint32(b[8:]), nil
}

func encodeHead(n uint64, h common.Hash) []byte { return append(be64(n), h[:]...) }

func decodeHead(b []byte) (uint64, common.Hash, error) {
	if len(b) != 40 {
		return 0, common.Hash{}, fmt.Errorf("%w: head record of %d bytes", ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint64(b), common.BytesToHash(b[8:]), nil
}

// txRecord is one stored transaction with the sender established when it
// was verified before commit.
type txRecord struct {
	Hash   common.Hash
	Sender common.Address
	Tx     []byte // types.Transaction.Bytes()
}

// receiptRecord is one stored receipt: its consensus encoding, which the
// receipts root commits to, and the derived fields a point lookup needs
// without reading the rest of the block.
type receiptRecord struct {
	Receipt           []byte // types.EncodeReceipt
	TxHash            common.Hash
	From              common.Address
	To                *common.Address `rlp:"nil"`
	CumulativeGasUsed uint64
	FirstLogIndex     uint64 // index within the block of the receipt's first log
}

// encode writes r's RLP encoding, the bytes rlp.EncodeToBytes gives (a
// test compares them), to w: a block's commit encodes its records into one
// buffer, which the batch copies from.
func (r *txRecord) encode(w rlp.EncoderBuffer) {
	l := w.List()
	w.WriteBytes(r.Hash[:])
	w.WriteBytes(r.Sender[:])
	w.WriteBytes(r.Tx)
	w.ListEnd(l)
}

// encode writes r's RLP encoding, the bytes rlp.EncodeToBytes gives, to w.
func (r *receiptRecord) encode(w rlp.EncoderBuffer) {
	l := w.List()
	w.WriteBytes(r.Receipt)
	w.WriteBytes(r.TxHash[:])
	w.WriteBytes(r.From[:])
	if r.To == nil {
		w.WriteBytes(nil) // rlp:"nil": the empty string
	} else {
		w.WriteBytes(r.To[:])
	}
	w.WriteUint64(r.CumulativeGasUsed)
	w.WriteUint64(r.FirstLogIndex)
	w.ListEnd(l)
}

func decodeTxRecord(b []byte) (*txRecord, error) {
	r := new(txRecord)
	if err := rlp.DecodeBytes(b, r); err != nil {
		return nil, fmt.Errorf("%w: tx record: %v", ErrCorrupt, err)
	}
	return r, nil
}

func decodeReceiptRecord(b []byte) (*receiptRecord, error) {
	r := new(receiptRecord)
	if err := rlp.DecodeBytes(b, r); err != nil {
		return nil, fmt.Errorf("%w: receipt record: %v", ErrCorrupt, err)
	}
	return r, nil
}
