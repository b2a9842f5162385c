package raft

import "errors"

// Errors of the Raft core.
var (
	// ErrInvalidConfig: a configuration field is out of range.
	ErrInvalidConfig = errors.New("raft: invalid configuration")
	// ErrPersist: the store refused a write or returned a bad record; the
	// core cannot go on safely.
	ErrPersist = errors.New("raft: persisting consensus state")
	// ErrBadMessage: a peer's message does not decode or is not for us.
	ErrBadMessage = errors.New("raft: bad message")
	// ErrBadEntry: a log entry or synced block does not decode or fails
	// the leader-signature and term/index checks.
	ErrBadEntry = errors.New("raft: invalid block entry")
	// ErrNotLeader: the call is only answered by the leader.
	ErrNotLeader = errors.New("raft: this node is not the leader")
	// ErrConfChangePending: a membership change is still being applied;
	// changes are made one at a time.
	ErrConfChangePending = errors.New("raft: a membership change is pending")
	// ErrBadConfChange: the requested membership change is not valid.
	ErrBadConfChange = errors.New("raft: invalid membership change")
	// ErrDiverged: a committed entry contradicts this node's ledger; more
	// than the tolerated number of nodes failed, or storage is corrupt.
	ErrDiverged = errors.New("raft: committed block differs from the ledger")
	// ErrRejected is wrapped by App.Apply for a block every replica refuses
	// alike (a transaction is invalid on the parent state): the entry is
	// skipped, not fatal.
	ErrRejected = errors.New("raft: block rejected")
)
