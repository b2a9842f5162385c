package solo

import "errors"

// Sentinel errors of the Solo engine.
var (
	ErrInvalidConfig  = errors.New("invalid solo config")
	ErrMissingDep     = errors.New("solo engine is missing a dependency")
	ErrAlreadyStarted = errors.New("solo engine already started")
	ErrStopped        = errors.New("solo engine was stopped; create a new one to restart")
	ErrNoHead         = errors.New("ledger has no head block; write the genesis block before starting consensus")
	ErrUnverifiedTx   = errors.New("transaction from the pool has no verified sender")
)
