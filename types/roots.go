package types

import (
	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
)

// BlockRoots is what a header commits to of a block's transactions and
// receipts (TxRoot, ReceiptRoot, LogsBloom), with the receipts' encodings
// the receipt root is computed over. Only ComputeBlockRoots makes one, from
// the transactions and receipts it is given, so a BlockRoots always agrees
// with them: a node that built a header with it can hand it to the ledger,
// which then need not compute the same roots and encodings again (Match).
type BlockRoots struct {
	hasher      Hasher
	txs         []*Transaction // copies of the slices computed from
	receipts    []*Receipt
	encReceipts [][]byte
	txRoot      common.Hash
	receiptRoot common.Hash
	bloom       ethtypes.Bloom
}

// ComputeBlockRoots computes with h the roots and logs bloom of a block of
// txs with receipts (one per tx, none nil), as TxRoot, ReceiptRoot and
// LogsBloom do, and keeps the receipts' encodings (EncodeReceipt). The
// receipts must not be changed afterwards.
func ComputeBlockRoots(h Hasher, txs []*Transaction, receipts []*Receipt) *BlockRoots {
	return ComputeBlockRootsWithBloom(h, txs, receipts, LogsBloom(receipts))
}

// ComputeBlockRootsWithBloom is ComputeBlockRoots with the receipts' logs
// bloom computed by the caller (as LogsBloom does): an executor that built
// it while executing need not hash every log again.
func ComputeBlockRootsWithBloom(h Hasher, txs []*Transaction, receipts []*Receipt, bloom ethtypes.Bloom) *BlockRoots {
	r := &BlockRoots{
		hasher:      h,
		txs:         append([]*Transaction(nil), txs...),
		receipts:    append([]*Receipt(nil), receipts...),
		encReceipts: make([][]byte, len(receipts)),
		txRoot:      TxRoot(h, txs),
		bloom:       bloom,
	}
	leaves := make([]common.Hash, len(receipts))
	m := newMerkleHasher(h)
	for i, rc := range receipts {
		r.encReceipts[i] = EncodeReceipt(rc)
		leaves[i] = m.leaf(r.encReceipts[i])
	}
	r.receiptRoot = MerkleRoot(h, leaves)
	return r
}

// TxRoot is the Merkle root over the transactions' hashes.
func (r *BlockRoots) TxRoot() common.Hash { return r.txRoot }

// ReceiptRoot is the Merkle root over the receipts' encodings.
func (r *BlockRoots) ReceiptRoot() common.Hash { return r.receiptRoot }

// LogsBloom is the bloom filter over the receipts' logs.
func (r *BlockRoots) LogsBloom() ethtypes.Bloom { return r.bloom }

// ReceiptEncodings are the receipts' encodings (EncodeReceipt), in order.
// Callers must not modify them.
func (r *BlockRoots) ReceiptEncodings() [][]byte { return r.encReceipts }

// Match reports whether r was computed with h from exactly txs and
// receipts (the same values, in the same order) and hdr carries r's tx
// root, receipt root and logs bloom: then hdr commits to txs and receipts.
// A nil r matches nothing. Hashers are compared with ==: their dynamic
// types must be comparable, as the crypto suites are.
func (r *BlockRoots) Match(h Hasher, hdr *Header, txs []*Transaction, receipts []*Receipt) bool {
	if r == nil || hdr == nil || r.hasher != h ||
		hdr.TxRoot != r.txRoot || hdr.ReceiptRoot != r.receiptRoot || hdr.LogsBloom != r.bloom ||
		len(txs) != len(r.txs) || len(receipts) != len(r.receipts) {
		return false
	}
	for i, tx := range txs {
		if tx != r.txs[i] {
			return false
		}
	}
	for i, rc := range receipts {
		if rc != r.receipts[i] {
			return false
		}
	}
	return true
}
