package engine

import (
	"errors"

	"github.com/gobcos/gobcos/consensus/pbft"
)

// Sentinel errors of the PBFT driver.
var (
	ErrInvalidConfig  = errors.New("invalid pbft engine config")
	ErrMissingDep     = errors.New("pbft engine is missing a dependency")
	ErrAlreadyStarted = errors.New("pbft engine already started")
	ErrStopped        = errors.New("pbft engine was stopped; create a new one to restart")
	ErrNoHead         = errors.New("ledger has no head block; write the genesis block before starting consensus")
	// ErrInvalidTx: a proposal holds a transaction that fails the
	// deterministic checks; the message names the transaction and the rule.
	ErrInvalidTx = errors.New("proposal holds an invalid transaction")
	// ErrParentNotHead: an execution was asked on a parent that is not the
	// ledger's head (the ledger moved by sync; the core is rebuilt).
	ErrParentNotHead error = deferred("execution parent is not the ledger head")
	// ErrPersist: the consensus state could not be written durably; the
	// engine stops rather than send messages it might not remember.
	ErrPersist = errors.New("persisting the consensus state failed")
	// ErrWrongForm: a proposal's txs are bodies where the chain's version
	// in force at its height asks for hashes, or the other way round.
	ErrWrongForm = errors.New("proposal txs are in the wrong form for the chain's compatibility version")
	// ErrBodiesMissing: a decided proposal's tx bodies are being fetched;
	// its execution is retried.
	ErrBodiesMissing error = deferred("tx bodies of the proposal are being fetched")
	// ErrNotPipelined: a block whose parent is not committed yet may not
	// be executed before it (its compatibility version is below 0.4.0 or
	// its sealer configuration is not the running one); retried.
	ErrNotPipelined error = deferred("block may not be executed before its parent is committed")
)

// deferred is an execution refusal whose cause passes by itself (the core
// asks again): it matches pbft.ErrExecDeferred, so the core logs it as
// information rather than as a warning.
type deferred string

func (d deferred) Error() string { return string(d) }

// Is reports whether target is pbft.ErrExecDeferred.
func (d deferred) Is(target error) bool { return target == pbft.ErrExecDeferred }
