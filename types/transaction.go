package types

import (
	"bytes"
	"fmt"
	"math/big"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"
)

// NativeTxType is the first byte of an encoded native transaction. It is an
// EIP-2718 type number that Ethereum does not use, so native and Ethereum
// transactions share one byte space without ambiguity.
const NativeTxType byte = 0x60

// MaxTxSize bounds the encoded size of any transaction accepted from outside.
const MaxTxSize = 128 * 1024

// NativeTx is the gobcos native transaction format (the BCOS tradition):
// replay protection by chain id, group id, a block limit and a random nonce
// that must be unused within the block-limit window. It carries no account
// nonce and no gas price. Txs of the SM suite carry the signer's public key
// because SM2 has no cheap key recovery.
type NativeTx struct {
	ChainID    uint64
	GroupID    string
	BlockLimit uint64          // valid while the chain height is below this
	Nonce      *big.Int        // random, unique within the block-limit window
	To         *common.Address `rlp:"nil"` // nil creates a contract
	Value      *big.Int
	Input      []byte
	GasLimit   uint64 // 0 means the chain's per-tx gas limit
	Extra      []byte // free-form application data, not interpreted
	PublicKey  []byte // 65-byte uncompressed key; required on SM chains
	Signature  []byte
}

// nativeSigningPayload are the fields of a native tx covered by its signature.
type nativeSigningPayload struct {
	ChainID    uint64
	GroupID    string
	BlockLimit uint64
	Nonce      *big.Int
	To         *common.Address `rlp:"nil"`
	Value      *big.Int
	Input      []byte
	GasLimit   uint64
	Extra      []byte
}

// SigningHash is the digest a native tx's signature covers.
func (n *NativeTx) SigningHash(h Hasher) common.Hash {
	p := nativeSigningPayload{n.ChainID, n.GroupID, n.BlockLimit, bigOrZero(n.Nonce), n.To, bigOrZero(n.Value), n.Input, n.GasLimit, n.Extra}
	enc, err := rlp.EncodeToBytes(&p)
	if err != nil {
		panic(fmt.Sprintf("types: encoding a native tx payload cannot fail: %v", err))
	}
	return h.Hash([]byte{NativeTxType}, enc)
}

// Sign fills the signature (and public key) of n with sign, a function that
// signs a 32-byte digest with the sender's key.
func (n *NativeTx) Sign(h Hasher, pub []byte, sign func(digest []byte) ([]byte, error)) error {
	d := n.SigningHash(h)
	sig, err := sign(d[:])
	if err != nil {
		return err
	}
	n.Signature = sig
	n.PublicKey = common.CopyBytes(pub)
	return nil
}

// Transaction is a transaction in either format: an Ethereum-signed one
// (legacy EIP-155, EIP-2930 or EIP-1559) or a native one. It is immutable
// once built; the sender is cached after the first successful Verify.
type Transaction struct {
	eth    *ethtypes.Transaction
	native *NativeTx
	enc    []byte      // canonical encoding
	hash   common.Hash // hash of enc with the chain's hasher (Keccak for Ethereum txs)
	sender atomic.Pointer[common.Address]
}

// NewEthTx wraps a signed Ethereum transaction.
//
// An Ethereum tx's hash is the Keccak-256 of its canonical (EIP-2718)
// encoding, so it is taken from the encoding made here: tx.Hash() would
// encode the tx a second time to hash it.
func NewEthTx(tx *ethtypes.Transaction) (*Transaction, error) {
	enc, err := tx.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadEncoding, err)
	}
	return &Transaction{eth: tx, enc: enc, hash: crypto.Keccak256Hash(enc)}, nil
}

// NewNativeTx wraps a signed native transaction, hashing it with h.
func NewNativeTx(h Hasher, n *NativeTx) *Transaction {
	body, err := rlp.EncodeToBytes(n)
	if err != nil {
		panic(fmt.Sprintf("types: encoding a native tx cannot fail: %v", err))
	}
	enc := append([]byte{NativeTxType}, body...)
	return &Transaction{native: n, enc: enc, hash: h.Hash(enc)}
}

// DecodeTx decodes a transaction in either format. Native txs are hashed
// with h; Ethereum txs always with Keccak-256 (their hash is fixed by Ethereum).
// It never panics on malformed input.
func DecodeTx(h Hasher, b []byte) (*Transaction, error) {
	if len(b) == 0 {
		return nil, ErrEmptyTx
	}
	if len(b) > MaxTxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTxTooLarge, len(b), MaxTxSize)
	}
	if b[0] == NativeTxType {
		n := new(NativeTx)
		if err := rlp.DecodeBytes(b[1:], n); err != nil {
			return nil, fmt.Errorf("%w: native tx: %v", ErrBadEncoding, err)
		}
		if n.Nonce == nil {
			n.Nonce = new(big.Int)
		}
		if n.Value == nil {
			n.Value = new(big.Int)
		}
		tx := NewNativeTx(h, n)
		if !bytes.Equal(tx.enc, b) {
			return nil, fmt.Errorf("%w: native tx is not canonically encoded", ErrBadEncoding)
		}
		return tx, nil
	}
	if b[0] < 0x7f {
		switch b[0] {
		case ethtypes.AccessListTxType, ethtypes.DynamicFeeTxType:
		default:
			return nil, fmt.Errorf("%w: 0x%02x (accepted: legacy, 0x01 access list, 0x02 EIP-1559, 0x%02x native)", ErrUnsupportedTxType, b[0], NativeTxType)
		}
	}
	etx := new(ethtypes.Transaction)
	if err := etx.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadEncoding, err)
	}
	// b is the tx's canonical encoding: go-ethereum's RLP decoder refuses
	// every other encoding (non-canonical sizes and integers, a byte sent
	// as a string, an empty value of the wrong kind, trailing bytes), so
	// encoding the decoded tx again would give b back
	// (FuzzDecodeTxCanonical compares with doing so).
	enc := bytes.Clone(b)
	return &Transaction{eth: etx, enc: enc, hash: crypto.Keccak256Hash(enc)}, nil
}

// Bytes is the canonical encoding. Callers must not modify it.
func (tx *Transaction) Bytes() []byte { return tx.enc }

// Size is the encoded size in bytes.
func (tx *Transaction) Size() int { return len(tx.enc) }

// Hash identifies the transaction.
func (tx *Transaction) Hash() common.Hash { return tx.hash }

// IsEthereum reports whether the tx is Ethereum-signed.
func (tx *Transaction) IsEthereum() bool { return tx.eth != nil }

// Eth is the Ethereum tx, or nil for native txs.
func (tx *Transaction) Eth() *ethtypes.Transaction { return tx.eth }

// Native is the native tx, or nil for Ethereum txs. Callers must not modify it.
func (tx *Transaction) Native() *NativeTx { return tx.native }

// Type is the EIP-2718 type byte (0 for legacy, NativeTxType for native).
func (tx *Transaction) Type() byte {
	if tx.eth != nil {
		return tx.eth.Type()
	}
	return NativeTxType
}

// To is the recipient, nil for contract creation.
func (tx *Transaction) To() *common.Address {
	if tx.eth != nil {
		return tx.eth.To()
	}
	if tx.native.To == nil {
		return nil
	}
	a := *tx.native.To
	return &a
}

// Value is the amount transferred.
func (tx *Transaction) Value() *big.Int {
	if tx.eth != nil {
		return tx.eth.Value()
	}
	return new(big.Int).Set(bigOrZero(tx.native.Value))
}

// ToAddress is To by value: the recipient, and false for a contract
// creation. For a native tx it copies nothing to the heap.
func (tx *Transaction) ToAddress() (common.Address, bool) {
	var to *common.Address
	if tx.eth != nil {
		to = tx.eth.To()
	} else {
		to = tx.native.To
	}
	if to == nil {
		return common.Address{}, false
	}
	return *to, true
}

// ValueU256 sets v to Value and reports whether Value overflows 256 bits
// (uint256.Int.SetFromBig). For a native tx it allocates nothing.
func (tx *Transaction) ValueU256(v *uint256.Int) (overflow bool) {
	if tx.eth != nil {
		return v.SetFromBig(tx.eth.Value())
	}
	if tx.native.Value == nil {
		v.Clear()
		return false
	}
	return v.SetFromBig(tx.native.Value)
}

// Data is the call input or contract init code.
func (tx *Transaction) Data() []byte {
	if tx.eth != nil {
		return tx.eth.Data()
	}
	return tx.native.Input
}

// Gas is the gas limit the tx asks for (0 for a native tx that takes the chain default).
func (tx *Transaction) Gas() uint64 {
	if tx.eth != nil {
		return tx.eth.Gas()
	}
	return tx.native.GasLimit
}

// Nonce is the account nonce of an Ethereum tx; native txs have none and return 0.
func (tx *Transaction) Nonce() uint64 {
	if tx.eth != nil {
		return tx.eth.Nonce()
	}
	return 0
}

// CachedSender returns the sender if Verify succeeded before.
func (tx *Transaction) CachedSender() (common.Address, bool) {
	p := tx.sender.Load()
	if p == nil {
		return common.Address{}, false
	}
	return *p, true
}

// SetSender records a sender established elsewhere (for example a tx read
// back from our own ledger, which was verified before it was committed).
func (tx *Transaction) SetSender(a common.Address) { tx.sender.Store(&a) }

// Sender is the cached sender; it panics if the tx was never verified,
// which is a programming error.
func (tx *Transaction) Sender() common.Address {
	a, ok := tx.CachedSender()
	if !ok {
		panic("types: Sender called on an unverified transaction")
	}
	return a
}

// Verify checks the tx belongs to this chain and its signature, and returns
// (and caches) the sender. Ethereum txs are accepted only when the scheme
// is the ECDSA one.
func (tx *Transaction) Verify(s Scheme, chainID uint64, groupID string) (common.Address, error) {
	if a, ok := tx.CachedSender(); ok {
		return a, nil
	}
	var from common.Address
	if tx.eth != nil {
		if s.Name() != "ecdsa" {
			return common.Address{}, ErrEthTxNotAllowed
		}
		if !tx.eth.Protected() {
			return common.Address{}, ErrUnprotectedTx
		}
		if cid := tx.eth.ChainId(); cid == nil || !cid.IsUint64() || cid.Uint64() != chainID {
			return common.Address{}, fmt.Errorf("%w: tx has %v, chain is %d", ErrWrongChainID, tx.eth.ChainId(), chainID)
		}
		_, _, sv := tx.eth.RawSignatureValues()
		if sv != nil && sv.Cmp(secp256k1HalfN) > 0 {
			return common.Address{}, ErrHighS
		}
		signer := ethtypes.LatestSignerForChainID(new(big.Int).SetUint64(chainID))
		a, err := ethtypes.Sender(signer, tx.eth)
		if err != nil {
			return common.Address{}, fmt.Errorf("%w: %v", ErrInvalidSig, err)
		}
		from = a
	} else {
		n := tx.native
		if n.ChainID != chainID {
			return common.Address{}, fmt.Errorf("%w: tx has %d, chain is %d", ErrWrongChainID, n.ChainID, chainID)
		}
		if n.GroupID != groupID {
			return common.Address{}, fmt.Errorf("%w: tx has %q, node serves %q", ErrWrongGroupID, n.GroupID, groupID)
		}
		if s.Name() == "ecdsa" && len(n.Signature) >= 64 && new(big.Int).SetBytes(n.Signature[32:64]).Cmp(secp256k1HalfN) > 0 {
			return common.Address{}, ErrHighS
		}
		digest := n.SigningHash(s)
		pub := n.PublicKey
		if len(pub) == 0 {
			// Recovery both checks the signature and yields the key.
			p, err := s.Recover(digest[:], n.Signature)
			if err != nil {
				if s.Name() != "ecdsa" {
					return common.Address{}, ErrMissingPublicKey
				}
				return common.Address{}, fmt.Errorf("%w: %v", ErrInvalidSig, err)
			}
			from := s.Address(p)
			tx.SetSender(from)
			return from, nil
		}
		if len(pub) != 65 {
			return common.Address{}, fmt.Errorf("%w: length %d, want 65", ErrBadPublicKey, len(pub))
		}
		if err := s.Verify(pub, digest[:], n.Signature); err != nil {
			return common.Address{}, fmt.Errorf("%w: %v", ErrInvalidSig, err)
		}
		from = s.Address(pub)
	}
	tx.SetSender(from)
	return from, nil
}

var secp256k1HalfN, _ = new(big.Int).SetString("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0", 16)

func bigOrZero(b *big.Int) *big.Int {
	if b == nil {
		return new(big.Int)
	}
	return b
}
