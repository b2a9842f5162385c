package consensus

import (
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Phase names of a BlockTrace. An engine reports the phases it has, in
// the order a block goes through them.
const (
	// PhaseSeal is the time the proposer took to pick the block's
	// transactions and build the proposal.
	PhaseSeal = "seal"
	// PhasePrepare is PBFT's pre-prepare to prepared: from the proposal
	// reaching this sealer to a quorum of prepares.
	PhasePrepare = "prepare"
	// PhaseCommit is PBFT's prepared to decided: a quorum of commits.
	PhaseCommit = "commit"
	// PhaseCheckpoint is PBFT's executed to finalized: from this sealer's
	// execution to a quorum of signatures over the executed header (the
	// commit certificate).
	PhaseCheckpoint = "checkpoint"
	// PhaseReplicate is Raft's proposed to committed: from the leader
	// appending the block's log entry to a quorum storing it. Only the
	// leader observes it.
	PhaseReplicate = "replicate"
)

// PhaseTime is the time a block spent in one phase.
type PhaseTime struct {
	Name string
	Took time.Duration
}

// BlockTrace says where the time of one committed block went, from the
// engine's point of view.
type BlockTrace struct {
	Number uint64
	Hash   common.Hash
	Txs    int
	View   uint64 // PBFT view or Raft term the block was decided in
	// Proposer reports that this node proposed the block.
	Proposer bool
	// Phases are the engine's consensus phases, in order; a phase this
	// node did not observe (for example, prepared learned together with
	// decided) is left out.
	Phases []PhaseTime
	// Execute and Commit are the time spent executing the block and
	// storing it in the ledger.
	Execute, Commit time.Duration
	// Total is the time from the first event of the block this node saw
	// (its proposal) to the end of its commit.
	Total time.Duration
}

// Tracer is told of every block an engine commits. It is called on the
// engine's goroutine and must not block.
type Tracer interface {
	BlockTraced(t BlockTrace)
}
