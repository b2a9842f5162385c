package ledger

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/types"
)

// ProofKind says which root of the header a Proof is against.
type ProofKind uint8

const (
	// TxProof proves a transaction against Header.TxRoot.
	TxProof ProofKind = 1
	// ReceiptProof proves a receipt against Header.ReceiptRoot.
	ReceiptProof ProofKind = 2
)

func (k ProofKind) String() string {
	switch k {
	case TxProof:
		return "tx"
	case ReceiptProof:
		return "receipt"
	}
	return fmt.Sprintf("ProofKind(%d)", uint8(k))
}

// Proof shows a transaction or receipt is part of a block. Together with
// the block's commit certificate (Header.Signatures) it lets anyone who
// knows the group's sealers check a transaction or its outcome without
// the rest of the chain.
type Proof struct {
	Kind      ProofKind
	Header    *types.Header
	BlockHash common.Hash
	TxHash    common.Hash
	Index     uint64 // position of the tx in the block
	// Data is the proven item: the tx's canonical encoding for a TxProof
	// (its hash, under the chain's hash function, is the Merkle leaf data),
	// or the receipt's consensus encoding (types.EncodeReceipt) for a
	// ReceiptProof (the leaf data itself).
	Data []byte
	Path []types.ProofStep
}

// Verify checks the proof with the chain's hash function: the header
// hashes to BlockHash, and Data sits at a leaf of the header's tx or
// receipt root. It does not check the header's commit signatures.
func (p *Proof) Verify(h types.Hasher) error {
	if p == nil || p.Header == nil {
		return fmt.Errorf("%w: no header", ErrProofInvalid)
	}
	if got := p.Header.Hash(h); got != p.BlockHash {
		return fmt.Errorf("%w: header hashes to %s, proof names block %s", ErrProofInvalid, got, p.BlockHash)
	}
	var root, leaf common.Hash
	switch p.Kind {
	case TxProof:
		txHash := h.Hash(p.Data)
		if txHash != p.TxHash {
			return fmt.Errorf("%w: proven tx hashes to %s, proof names %s", ErrProofInvalid, txHash, p.TxHash)
		}
		root, leaf = p.Header.TxRoot, types.MerkleLeaf(h, txHash[:])
	case ReceiptProof:
		root, leaf = p.Header.ReceiptRoot, types.MerkleLeaf(h, p.Data)
	default:
		return fmt.Errorf("%w: unknown kind %d", ErrProofInvalid, p.Kind)
	}
	if err := types.VerifyMerkleProof(h, root, leaf, p.Path); err != nil {
		return fmt.Errorf("%w: %s proof of %s in block %d: %v", ErrProofInvalid, p.Kind, p.TxHash, p.Header.Number, err)
	}
	return nil
}

// Receipt decodes the receipt a ReceiptProof carries (consensus fields only).
func (p *Proof) Receipt() (*types.Receipt, error) {
	if p.Kind != ReceiptProof {
		return nil, fmt.Errorf("ledger: a %s proof carries no receipt", p.Kind)
	}
	return types.DecodeReceipt(p.Data)
}

// TxProof proves the committed tx txHash against its block's TxRoot.
func (l *Ledger) TxProof(txHash common.Hash) (*Proof, error) {
	loc, err := l.TxLocation(txHash)
	if err != nil {
		return nil, err
	}
	var leaves []common.Hash
	var data []byte
	err = l.iterate(blockTxPrefix(loc.BlockNumber), func(i uint32, raw []byte) error {
		rec, err := decodeTxRecord(raw)
		if err != nil {
			return err
		}
		if uint64(i) == loc.Index {
			data = rec.Tx
		}
		leaves = append(leaves, types.MerkleLeaf(l.hasher, rec.Hash[:]))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return l.proof(TxProof, txHash, loc, leaves, data)
}

// ReceiptProof proves the receipt of the committed tx txHash against its
// block's ReceiptRoot; the proof carries the encoded receipt.
func (l *Ledger) ReceiptProof(txHash common.Hash) (*Proof, error) {
	loc, err := l.TxLocation(txHash)
	if err != nil {
		return nil, err
	}
	recs, err := l.receiptRecords(loc.BlockNumber)
	if err != nil {
		return nil, err
	}
	leaves := make([]common.Hash, len(recs))
	var data []byte
	for i, rec := range recs {
		leaves[i] = types.MerkleLeaf(l.hasher, rec.Receipt)
		if uint64(i) == loc.Index {
			data = rec.Receipt
		}
	}
	return l.proof(ReceiptProof, txHash, loc, leaves, data)
}

func (l *Ledger) proof(kind ProofKind, txHash common.Hash, loc TxLocation, leaves []common.Hash, data []byte) (*Proof, error) {
	if data == nil {
		return nil, fmt.Errorf("%w: block %d has no %s at index %d for tx %s", ErrCorrupt, loc.BlockNumber, kind, loc.Index, txHash)
	}
	hdr, err := l.HeaderByNumber(loc.BlockNumber)
	if err != nil {
		return nil, err
	}
	path, err := types.MerkleProof(l.hasher, leaves, int(loc.Index))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	p := &Proof{Kind: kind, Header: hdr, BlockHash: loc.BlockHash, TxHash: txHash, Index: loc.Index, Data: data, Path: path}
	// The ledger checked the roots at commit; a failure here means the
	// stored data changed since.
	if err := p.Verify(l.hasher); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return p, nil
}
