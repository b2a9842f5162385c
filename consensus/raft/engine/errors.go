package engine

import "errors"

// Sentinel errors of the Raft driver.
var (
	ErrInvalidConfig  = errors.New("invalid raft engine config")
	ErrMissingDep     = errors.New("raft engine is missing a dependency")
	ErrAlreadyStarted = errors.New("raft engine already started")
	ErrStopped        = errors.New("raft engine was stopped; create a new one to restart")
	ErrNoHead         = errors.New("ledger has no head block; write the genesis block before starting consensus")
	ErrNotRunning     = errors.New("raft engine is not running")
	// ErrInvalidTx: a block holds a transaction that fails the
	// deterministic checks; the message names the transaction and the rule.
	ErrInvalidTx = errors.New("block holds an invalid transaction")
	// ErrMismatch: executing a committed block gave another header than
	// the leader's.
	ErrMismatch = errors.New("block executes to a different header than the leader's")
)
