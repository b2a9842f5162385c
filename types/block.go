package types

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

// MaxBlockSize bounds the encoded size of a block accepted from a peer.
const MaxBlockSize = 64 << 20

// Header is a block header. Its hash covers every field but the commit
// signatures, which are made over that hash.
type Header struct {
	ParentHash  common.Hash
	Number      uint64
	Timestamp   uint64 // seconds since the Unix epoch
	TxRoot      common.Hash
	ReceiptRoot common.Hash
	StateRoot   common.Hash // commits to this block's write set chained to the parent's root
	LogsBloom   ethtypes.Bloom
	GasUsed     uint64
	GasLimit    uint64
	Sealer      common.Address // account of the node that proposed the block
	Extra       []byte
	// Signatures is the commit certificate: signatures of sealers over Hash().
	Signatures []CommitSig
}

// CommitSig is one sealer's signature over a header hash.
type CommitSig struct {
	Index     uint64 // the sealer's index in the sealer list
	Signature []byte
}

type headerHashFields struct {
	ParentHash  common.Hash
	Number      uint64
	Timestamp   uint64
	TxRoot      common.Hash
	ReceiptRoot common.Hash
	StateRoot   common.Hash
	LogsBloom   ethtypes.Bloom
	GasUsed     uint64
	GasLimit    uint64
	Sealer      common.Address
	Extra       []byte
}

// Hash is the header's identity: the hash of its encoding without signatures.
func (h *Header) Hash(hs Hasher) common.Hash {
	enc, err := rlp.EncodeToBytes(&headerHashFields{h.ParentHash, h.Number, h.Timestamp, h.TxRoot, h.ReceiptRoot, h.StateRoot, h.LogsBloom, h.GasUsed, h.GasLimit, h.Sealer, h.Extra})
	if err != nil {
		panic(fmt.Sprintf("types: encoding a header cannot fail: %v", err))
	}
	return hs.Hash(enc)
}

// EncodeHeader is the full canonical encoding, signatures included.
func EncodeHeader(h *Header) []byte {
	enc, err := rlp.EncodeToBytes(h)
	if err != nil {
		panic(fmt.Sprintf("types: encoding a header cannot fail: %v", err))
	}
	return enc
}

// DecodeHeader decodes EncodeHeader's output.
func DecodeHeader(b []byte) (*Header, error) {
	h := new(Header)
	if err := rlp.DecodeBytes(b, h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrBadBlockEncoding, err)
	}
	return h, nil
}

// Block is a header and its transactions.
type Block struct {
	Header *Header
	Txs    []*Transaction
}

type blockEnc struct {
	Header *Header
	Txs    [][]byte
}

// EncodeBlock is the canonical encoding of a block.
func EncodeBlock(b *Block) []byte {
	e := blockEnc{Header: b.Header, Txs: make([][]byte, len(b.Txs))}
	for i, tx := range b.Txs {
		e.Txs[i] = tx.Bytes()
	}
	enc, err := rlp.EncodeToBytes(&e)
	if err != nil {
		panic(fmt.Sprintf("types: encoding a block cannot fail: %v", err))
	}
	return enc
}

// DecodeBlock decodes a block; native txs are hashed with h.
func DecodeBlock(h Hasher, b []byte) (*Block, error) {
	if len(b) > MaxBlockSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBadBlockEncoding, len(b), MaxBlockSize)
	}
	var e blockEnc
	if err := rlp.DecodeBytes(b, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadBlockEncoding, err)
	}
	if e.Header == nil {
		return nil, fmt.Errorf("%w: missing header", ErrBadBlockEncoding)
	}
	blk := &Block{Header: e.Header, Txs: make([]*Transaction, len(e.Txs))}
	for i, raw := range e.Txs {
		tx, err := DecodeTx(h, raw)
		if err != nil {
			return nil, fmt.Errorf("%w: tx %d: %v", ErrBadBlockEncoding, i, err)
		}
		blk.Txs[i] = tx
	}
	return blk, nil
}

// TxLeaves are the Merkle leaves of a block's transactions: one per tx,
// over its hash.
func TxLeaves(h Hasher, txs []*Transaction) []common.Hash {
	out := make([]common.Hash, len(txs))
	m := newMerkleHasher(h)
	for i, tx := range txs {
		out[i] = m.hashLeaf(tx.Hash())
	}
	return out
}

// TxRoot is the Merkle root over a block's transaction hashes.
func TxRoot(h Hasher, txs []*Transaction) common.Hash { return MerkleRoot(h, TxLeaves(h, txs)) }
