package pbft

import "fmt"

// DropReason says why an inbound message was dropped.
type DropReason int

// Drop reasons, counted separately.
const (
	DropOversize DropReason = iota
	DropMalformed
	DropNotSealer
	DropBadSignature
	DropOldHeight
	DropFutureHeight
	DropOldView
	DropFutureView
	DropDuplicate
	DropEquivocation
	DropNotLeader
	DropInvalidProposal
	DropBadCertificate
	DropUnexpected
	// DropSurplus is a prepare this node no longer needs (Core.surplus);
	// its signature is not checked.
	DropSurplus
	numDropReasons
)

var dropNames = [numDropReasons]string{
	"oversize", "malformed", "not_sealer", "bad_signature", "old_height", "future_height",
	"old_view", "future_view", "duplicate", "equivocation", "not_leader", "invalid_proposal",
	"bad_certificate", "unexpected", "surplus",
}

var dropErrs = [numDropReasons]error{
	ErrDropOversize, ErrDropMalformed, ErrDropNotSealer, ErrDropBadSignature, ErrDropOldHeight,
	ErrDropFutureHeight, ErrDropOldView, ErrDropFutureView, ErrDropDuplicate, ErrDropEquivocation,
	ErrDropNotLeader, ErrDropInvalidProposal, ErrDropBadCertificate, ErrDropUnexpected,
	ErrDropSurplus,
}

// String is the reason's metric label, e.g. "bad_signature".
func (r DropReason) String() string {
	if r < 0 || r >= numDropReasons {
		return fmt.Sprintf("drop(%d)", int(r))
	}
	return dropNames[r]
}

// Err is the sentinel error Step wraps for this reason.
func (r DropReason) Err() error {
	if r < 0 || r >= numDropReasons {
		return ErrDropUnexpected
	}
	return dropErrs[r]
}

// DropCounts counts dropped messages by reason.
type DropCounts [numDropReasons]uint64

// Total is the number of dropped messages.
func (d DropCounts) Total() uint64 {
	var t uint64
	for _, n := range d {
		t += n
	}
	return t
}

// Plus returns the counts of d and o added up, reason by reason.
func (d DropCounts) Plus(o DropCounts) DropCounts {
	for r, n := range o {
		d[r] += n
	}
	return d
}

// Map returns the non-zero counts keyed by reason label.
func (d DropCounts) Map() map[string]uint64 {
	m := make(map[string]uint64)
	for r, n := range d {
		if n > 0 {
			m[DropReason(r).String()] = n
		}
	}
	return m
}

// Stats are counters of events other than drops.
type Stats struct {
	ViewChanges    uint64 // view changes this node started (timeouts, misbehaviour, f+1 rule)
	NewViews       uint64 // views entered through a new-view message
	Decided        uint64 // heights decided (ordered)
	Finalized      uint64 // heights finalized (commit certificate complete)
	CatchupSent    uint64 // decided/finalized proofs sent to lagging sealers
	SyncRequests   uint64 // sync requests emitted
	ExecMismatches uint64 // executed header differs from the certified one: this node's execution diverged
	Refusals       uint64 // signatures refused because they would contradict a persisted vote
}
