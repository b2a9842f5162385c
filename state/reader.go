package state

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/storage"
)

// readAccount reads an account record; nil when the account does not exist.
func readAccount(r storage.Reader, key []byte, addr common.Address) (*Account, error) {
	b, err := r.Get(key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: account %v: %w", ErrRead, addr, err)
	}
	c, cached := r.(AccountCache)
	if cached {
		if a := c.CachedAccount(b); a != nil {
			return a, nil
		}
	}
	a, err := decodeAccount(b)
	if err != nil {
		return nil, fmt.Errorf("account %v: %w", addr, err)
	}
	if cached {
		c.CacheAccount(b, a)
	}
	return a, nil
}

// AccountCache is implemented by a storage.Reader that keeps decoded
// account records for the StateDBs reading through it, when many of them
// read the same stored records (a parallel executor runs each transaction
// on its own StateDB, where serial execution decodes an account once per
// block). b is a value the reader's Get returned for an account key. The
// records are shared: a StateDB never modifies one.
type AccountCache interface {
	// CachedAccount returns the record kept for b, or nil.
	CachedAccount(b []byte) *Account
	// CacheAccount keeps a, decoded from b.
	CacheAccount(b []byte, a *Account)
}

// readCode reads code by its hash; the empty code hash has no code.
func readCode(r storage.Reader, h common.Hash) ([]byte, error) {
	if h == ethtypes.EmptyCodeHash || h == (common.Hash{}) {
		return nil, nil
	}
	b, err := r.Get(CodeKey(h))
	if err != nil {
		// A missing code blob is damage too: accounts only point to stored code.
		return nil, fmt.Errorf("%w: code %v: %w", ErrRead, h, err)
	}
	return b, nil
}

// readSlot reads a storage slot; zero when it is not stored.
func readSlot(r storage.Reader, key []byte, addr common.Address, slot common.Hash) (common.Hash, error) {
	b, err := r.Get(key)
	if errors.Is(err, storage.ErrNotFound) {
		return common.Hash{}, nil
	}
	if err != nil {
		return common.Hash{}, fmt.Errorf("%w: slot %v of %v: %w", ErrRead, slot, addr, err)
	}
	v, err := decodeSlot(b)
	if err != nil {
		return common.Hash{}, fmt.Errorf("slot %v of %v: %w", slot, addr, err)
	}
	return v, nil
}

// Reader reads the committed state, for RPC queries: the latest state, or
// a past block's over AtBlock's view.
// It is safe for concurrent use when the underlying storage.Reader is; give
// it a storage snapshot to read one consistent state across calls.
type Reader struct {
	r storage.Reader
}

// NewReader returns a Reader over the committed state in r.
func NewReader(r storage.Reader) *Reader { return &Reader{r: r} }

// Account returns the account record of addr, or nil when it does not exist.
func (r *Reader) Account(addr common.Address) (*Account, error) {
	return readAccount(r.r, AccountKey(addr), addr)
}

// Balance returns addr's balance (zero for absent accounts).
func (r *Reader) Balance(addr common.Address) (*big.Int, error) {
	a, err := readAccount(r.r, AccountKey(addr), addr)
	if err != nil || a == nil {
		return new(big.Int), err
	}
	return a.Balance.ToBig(), nil
}

// Nonce returns addr's nonce (zero for absent accounts).
func (r *Reader) Nonce(addr common.Address) (uint64, error) {
	a, err := readAccount(r.r, AccountKey(addr), addr)
	if err != nil || a == nil {
		return 0, err
	}
	return a.Nonce, nil
}

// Code returns addr's contract code (nil for accounts without code).
func (r *Reader) Code(addr common.Address) ([]byte, error) {
	a, err := readAccount(r.r, AccountKey(addr), addr)
	if err != nil || a == nil {
		return nil, err
	}
	return readCode(r.r, a.CodeHash)
}

// CodeByHash returns the code with the given Keccak-256 hash.
func (r *Reader) CodeByHash(h common.Hash) ([]byte, error) { return readCode(r.r, h) }

// Storage returns the value of one storage slot of addr (zero when unset).
func (r *Reader) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	return readSlot(r.r, StorageKey(addr, slot), addr, slot)
}
