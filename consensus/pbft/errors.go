package pbft

import "errors"

// Sentinel errors of configuration, restore and the driver-facing API.
var (
	// ErrInvalidConfig: a Config field is out of range; the message names it.
	ErrInvalidConfig = errors.New("invalid pbft config")
	// ErrNotSealer: the node's key is not in the sealer list; observers
	// follow the chain by block sync and do not run the PBFT core.
	ErrNotSealer = errors.New("this node's key is not one of the group's sealers")
	// ErrStateAhead: the persisted consensus state is for a height above the
	// ledger's head plus the decided proposals it lists, so the ledger lost
	// committed blocks. Restore the ledger from a backup or a peer before
	// starting consensus again.
	ErrStateAhead = errors.New("persisted consensus state is ahead of the ledger")
	// ErrCorruptState: the persisted consensus state is inconsistent (a gap
	// in the decided proposals, a proposal missing from the store or not
	// matching its digest).
	ErrCorruptState = errors.New("persisted consensus state is corrupt")
	// ErrCannotPropose: Propose was called while this node may not propose
	// (not the leader of the current height and view, a proposal already
	// made, the pipeline window full, or a view change in progress).
	ErrCannotPropose = errors.New("this node cannot propose now; wait for a proposal request")
	// ErrEmptyProposal: a proposal without transactions; PBFT makes no empty blocks.
	ErrEmptyProposal = errors.New("a proposal needs at least one transaction")
	// ErrProposalTooLarge: more transactions or bytes than the config allows.
	ErrProposalTooLarge = errors.New("proposal exceeds the block limits")
	// ErrExecDeferred marks an execution error whose cause passes by
	// itself (tx bodies being fetched, a parent not committed yet, the
	// ledger moved by sync): Executed logs it as information, where other
	// execution errors are warnings. Errors wrap it or match it (errors.Is).
	ErrExecDeferred = errors.New("execution deferred")
	// ErrUnexpectedResult: an execution result for a height the core did
	// not ask to execute (or asked again since).
	ErrUnexpectedResult = errors.New("execution result was not requested")
	// ErrBadExecution: an executed header does not match its proposal
	// (number, parent, timestamp or sealer); the driver built it wrongly.
	ErrBadExecution = errors.New("executed header does not match the proposal")
	// ErrSyncGap: a synced block is not next to the blocks the core knows;
	// feed synced blocks in height order starting at the ledger head + 1.
	ErrSyncGap = errors.New("synced block does not follow the known chain")
	// ErrMalformedMessage: the decoder rejected the bytes of a message.
	ErrMalformedMessage = errors.New("malformed pbft message")
)

// Errors Step returns for dropped messages, one per DropReason. Every
// drop is also counted (see Core.Drops).
var (
	ErrDropOversize        = errors.New("pbft message dropped: larger than the size limit")
	ErrDropMalformed       = errors.New("pbft message dropped: malformed")
	ErrDropNotSealer       = errors.New("pbft message dropped: not from a sealer")
	ErrDropBadSignature    = errors.New("pbft message dropped: bad signature")
	ErrDropOldHeight       = errors.New("pbft message dropped: height already decided")
	ErrDropFutureHeight    = errors.New("pbft message dropped: height too far ahead")
	ErrDropOldView         = errors.New("pbft message dropped: view already left")
	ErrDropFutureView      = errors.New("pbft message dropped: view too far ahead")
	ErrDropDuplicate       = errors.New("pbft message dropped: duplicate or replayed")
	ErrDropEquivocation    = errors.New("pbft message dropped: conflicts with an earlier message of the same sender")
	ErrDropNotLeader       = errors.New("pbft message dropped: sender is not the leader of that height and view")
	ErrDropInvalidProposal = errors.New("pbft message dropped: invalid proposal")
	ErrDropBadCertificate  = errors.New("pbft message dropped: invalid certificate or proof")
	ErrDropUnexpected      = errors.New("pbft message dropped: not expected in the current state")
	ErrDropSurplus         = errors.New("pbft message dropped: a prepare this node no longer needs")
)
