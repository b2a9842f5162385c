package state

import "errors"

// Sentinel errors. Callers wrap them with details.
var (
	// ErrCorrupt means a stored state record could not be decoded: the
	// database is damaged or was written by an incompatible version.
	ErrCorrupt = errors.New("state: corrupt state record in storage")
	// ErrRead means the underlying storage failed while state was read.
	ErrRead = errors.New("state: storage read failed")
	// ErrBadWriteSet means an encoded write set could not be decoded.
	ErrBadWriteSet = errors.New("state: malformed write set encoding")
	// ErrUnnumbered means a write set was applied without the number of
	// its block, which the state history needs (see WriteSet.ForBlock).
	ErrUnnumbered = errors.New("state: write set has no block number")
	// ErrFutureBlock means the state of a block was asked of a store that
	// holds the state only up to an earlier block.
	ErrFutureBlock = errors.New("state: block is not committed in this store")
	// ErrNoHistory means the store keeps no history for the block asked:
	// it holds no state yet, or it was written before history was kept.
	ErrNoHistory = errors.New("state: no state history for the block")
	// ErrNotStateKey means a past-state view was asked for a key or prefix
	// outside the account, code and slot key space.
	ErrNotStateKey = errors.New("state: not an account, code or storage key")
)
