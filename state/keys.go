package state

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"
)

// Key layout of the state in the group's key space. Every state key starts
// with Prefix; the ledger keeps its own records under other prefixes.
//
//	s/a/<address 20>             -> account record (see Account)
//	s/c/<code hash 32>           -> contract code (content addressed, shared)
//	s/s/<address 20><slot 32>    -> storage value, leading zero bytes
//	                                stripped; zero values are not stored
//	s/h/<account or slot key><be64(^block)> -> history entry (history.go)
//	s/m/head, s/m/from           -> blocks the history covers
const Prefix = "s/"

var (
	accountPrefix = []byte(accountPrefixString)
	codePrefix    = []byte("s/c/")
	storagePrefix = []byte(storagePrefixString)
)

const (
	accountPrefixString = "s/a/"
	storagePrefixString = "s/s/"
)

// Lengths of the account and storage keys, fixed per kind: history
// iterators rely on no key of a kind being a prefix of another.
const (
	accountKeyLen = len(accountPrefixString) + common.AddressLength
	storageKeyLen = len(storagePrefixString) + common.AddressLength + common.HashLength
)

// AccountKey is the storage key of an account record.
func AccountKey(addr common.Address) []byte {
	return appendAccountKey(make([]byte, 0, accountKeyLen), addr)
}

func appendAccountKey(dst []byte, addr common.Address) []byte {
	return append(append(dst, accountPrefix...), addr[:]...)
}

// CodeKey is the storage key of contract code with the given Keccak-256 hash.
func CodeKey(hash common.Hash) []byte {
	k := make([]byte, 0, len(codePrefix)+common.HashLength)
	return append(append(k, codePrefix...), hash[:]...)
}

// StoragePrefix is the common prefix of all storage slots of an account.
func StoragePrefix(addr common.Address) []byte {
	k := make([]byte, 0, storageKeyLen)
	return append(append(k, storagePrefix...), addr[:]...)
}

// StorageKey is the storage key of one slot of an account.
func StorageKey(addr common.Address, slot common.Hash) []byte {
	return appendStorageKey(make([]byte, 0, storageKeyLen), addr, slot)
}

func appendStorageKey(dst []byte, addr common.Address, slot common.Hash) []byte {
	return append(append(append(dst, storagePrefix...), addr[:]...), slot[:]...)
}

// keyArena hands out account and storage keys carved from shared chunks
// of memory, one allocation for many keys. A chunk is never reused: a key
// stays valid as long as anything (a read set, a write set) holds it.
type keyArena struct{ chunk []byte }

// keyChunk is the size of an arena's chunks: 77 storage keys.
const keyChunk = 77 * storageKeyLen

// take returns n bytes of the arena, of capacity n.
func (a *keyArena) take(n int) []byte {
	if len(a.chunk) < n {
		a.chunk = make([]byte, keyChunk)
	}
	k := a.chunk[:n:n]
	a.chunk = a.chunk[n:]
	return k
}

func (a *keyArena) accountKey(addr common.Address) []byte {
	return appendAccountKey(a.take(accountKeyLen)[:0], addr)
}

func (a *keyArena) storageKey(addr common.Address, slot common.Hash) []byte {
	return appendStorageKey(a.take(storageKeyLen)[:0], addr, slot)
}

// Account is the record of one account.
type Account struct {
	Nonce    uint64
	Balance  uint256.Int
	CodeHash common.Hash // Keccak-256 of the code; types.EmptyCodeHash when it has none
}

// empty reports EIP-161 emptiness: no nonce, no balance, no code.
func (a *Account) empty() bool {
	return a.Nonce == 0 && a.Balance.IsZero() && a.CodeHash == ethtypes.EmptyCodeHash
}

// The stored form of an account is the RLP list [nonce, balance, code
// hash], the code hash empty for an account without code, which keeps
// externally owned accounts small. It is written and read with the RLP
// package's buffer and splitters, which allocate nothing of their own:
// every transaction reads and writes accounts.

// encodeAccount is the canonical stored encoding of an account.
func encodeAccount(a *Account) []byte {
	w := rlp.NewEncoderBuffer(nil)
	l := w.List()
	w.WriteUint64(a.Nonce)
	w.WriteUint256(&a.Balance)
	var code []byte // empty for an account without code
	if a.CodeHash != ethtypes.EmptyCodeHash {
		code = a.CodeHash[:]
	}
	w.WriteBytes(code)
	w.ListEnd(l)
	b := w.ToBytes()
	_ = w.Flush() // returns the buffer to the RLP package's pool
	return b
}

// decodeAccount decodes encodeAccount's output, as strictly as decoding
// it into a struct of those three fields would: canonical integers, a
// balance of at most 32 bytes, nothing before or after the list's three
// items.
func decodeAccount(b []byte) (*Account, error) {
	a := &Account{CodeHash: ethtypes.EmptyCodeHash}
	if err := a.decode(b); err != nil {
		return nil, fmt.Errorf("%w: account: %v", ErrCorrupt, err)
	}
	return a, nil
}

func (a *Account) decode(b []byte) error {
	items, rest, err := rlp.SplitList(b)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%d bytes after the record", len(rest))
	}
	if a.Nonce, items, err = rlp.SplitUint64(items); err != nil {
		return fmt.Errorf("nonce: %w", err)
	}
	balance, items, err := rlp.SplitString(items)
	switch {
	case err != nil:
		return fmt.Errorf("balance: %w", err)
	case len(balance) > 32:
		return fmt.Errorf("balance of %d bytes", len(balance))
	case len(balance) > 0 && balance[0] == 0:
		return errors.New("balance: non-canonical integer (leading zero bytes)")
	}
	a.Balance.SetBytes(balance)
	code, items, err := rlp.SplitString(items)
	if err != nil {
		return fmt.Errorf("code hash: %w", err)
	}
	switch len(code) {
	case 0:
	case common.HashLength:
		a.CodeHash = common.Hash(code)
	default:
		return fmt.Errorf("code hash of %d bytes", len(code))
	}
	if len(items) != 0 {
		return errors.New("more than three items")
	}
	return nil
}

// encodeSlot is the stored form of a non-zero storage value.
func encodeSlot(v common.Hash) []byte {
	i := 0
	for i < len(v) && v[i] == 0 {
		i++
	}
	return common.CopyBytes(v[i:])
}

// decodeSlot decodes encodeSlot's output.
func decodeSlot(b []byte) (common.Hash, error) {
	if len(b) > common.HashLength {
		return common.Hash{}, fmt.Errorf("%w: storage value of %d bytes", ErrCorrupt, len(b))
	}
	return common.BytesToHash(b), nil
}
