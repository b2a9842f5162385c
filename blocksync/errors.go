package blocksync

import "errors"

// Sentinel errors of block sync. Callers get them wrapped with details;
// test with errors.Is.
var (
	// ErrInvalidConfig: a Config field is out of range.
	ErrInvalidConfig = errors.New("blocksync: invalid config")
	// ErrMissingDep: Params lacks a dependency.
	ErrMissingDep = errors.New("blocksync: missing dependency")
	// ErrNoHead: the ledger has no genesis block yet.
	ErrNoHead = errors.New("blocksync: ledger has no head block; write the genesis block before starting sync")
	// ErrAlreadyStarted: Start called twice.
	ErrAlreadyStarted = errors.New("blocksync: syncer already started")
	// ErrStopped: Start called after Stop.
	ErrStopped = errors.New("blocksync: syncer was stopped; create a new one to restart")

	// ErrBadMessage: a sync message is malformed, oversized or not in
	// canonical encoding. The peer that sent it runs an incompatible or
	// faulty implementation.
	ErrBadMessage = errors.New("blocksync: malformed sync message")
	// ErrMessageTooLarge: a sync message exceeds the size limit.
	ErrMessageTooLarge = errors.New("blocksync: sync message too large")

	// ErrBadBlock: a block served by a peer fails a check that does not
	// depend on local state: its number, its tx root or its commit
	// certificate. The peer is penalised.
	ErrBadBlock = errors.New("blocksync: peer served an invalid block")
	// ErrWrongParent: a block does not extend the local head.
	ErrWrongParent = errors.New("blocksync: block does not extend the local head")
	// ErrRootMismatch: executing a certified block locally gave other state
	// or receipt roots than its header. The block is not committed; this
	// node's executor or state diverged from the sealers'. Check the node's
	// version and data directory (re-sync it from a wiped data directory).
	ErrRootMismatch = errors.New("blocksync: executed roots differ from the certified header")
	// ErrNoSealers: the sealer set of a height is empty or unknown.
	ErrNoSealers = errors.New("blocksync: no sealer set for the block's height")
	// ErrSealersPending: the sealer set of a height depends on blocks not
	// committed yet (a SealerSet returns it wrapped). The block's
	// certificate is then checked when the block is about to be applied,
	// after its parent is committed; neither the block nor its peer is
	// blamed before.
	ErrSealersPending = errors.New("blocksync: the sealer set of the block's height is not known yet")
)
