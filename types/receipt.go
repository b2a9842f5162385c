package types

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

// Receipt status values, as on Ethereum.
const (
	ReceiptFailed  uint64 = 0
	ReceiptSuccess uint64 = 1
)

// Log is an event emitted by a contract.
type Log struct {
	Address common.Address
	Topics  []common.Hash
	Data    []byte
}

// Receipt is the outcome of executing one transaction. Only the consensus
// fields are encoded and committed in the receipts root; the position
// fields are filled in when a receipt is read from the ledger.
type Receipt struct {
	Status          uint64
	GasUsed         uint64
	ContractAddress common.Address // set when the tx created a contract
	Logs            []*Log
	Output          []byte // return data, or revert data when Status is ReceiptFailed
	ErrorMessage    string // why execution failed, empty on success

	// Derived, not encoded.
	TxHash            common.Hash     `rlp:"-"`
	BlockNumber       uint64          `rlp:"-"`
	BlockHash         common.Hash     `rlp:"-"`
	TxIndex           uint64          `rlp:"-"`
	CumulativeGasUsed uint64          `rlp:"-"`
	From              common.Address  `rlp:"-"`
	To                *common.Address `rlp:"-"`
}

// EncodeReceipt is the canonical encoding of a receipt's consensus fields.
func EncodeReceipt(r *Receipt) []byte {
	enc, err := rlp.EncodeToBytes(r)
	if err != nil {
		panic(fmt.Sprintf("types: encoding a receipt cannot fail: %v", err))
	}
	return enc
}

// DecodeReceipt decodes EncodeReceipt's output.
func DecodeReceipt(b []byte) (*Receipt, error) {
	r := new(Receipt)
	if err := rlp.DecodeBytes(b, r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReceiptEncoding, err)
	}
	return r, nil
}

// ReceiptLeaves are the Merkle leaves of a block's receipts: one per
// receipt, over its encoding.
func ReceiptLeaves(h Hasher, rs []*Receipt) []common.Hash {
	out := make([]common.Hash, len(rs))
	m := newMerkleHasher(h)
	for i, r := range rs {
		out[i] = m.leaf(EncodeReceipt(r))
	}
	return out
}

// ReceiptRoot is the Merkle root over a block's receipts.
func ReceiptRoot(h Hasher, rs []*Receipt) common.Hash { return MerkleRoot(h, ReceiptLeaves(h, rs)) }

// LogsBloom is the Ethereum bloom filter over the logs of receipts.
func LogsBloom(rs []*Receipt) ethtypes.Bloom {
	var b ethtypes.Bloom
	// One buffer for every item: Bloom.Add keeps nothing, and a slice of
	// each address or topic would be allocated anew.
	var buf [common.HashLength]byte
	for _, r := range rs {
		for _, l := range r.Logs {
			copy(buf[:], l.Address[:])
			b.Add(buf[:common.AddressLength])
			for _, t := range l.Topics {
				buf = t
				b.Add(buf[:])
			}
		}
	}
	return b
}
