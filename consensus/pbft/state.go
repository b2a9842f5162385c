package pbft

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/gobcos/gobcos/types"
)

// Vote records something this node signed at the current height: a
// pre-prepare, prepare, commit or new view for (View, Digest), or a view
// change for View. Before signing, the core checks its votes so that it
// never signs two different digests for one type, height and view, also
// across restarts (the driver persists HardState before sending).
type Vote struct {
	Type   MsgType
	View   uint64
	Digest common.Hash
}

// Decision is a height ordered but not yet committed to the ledger.
type Decision struct {
	Height uint64
	View   uint64
	Digest common.Hash // of the proposal, saved by the driver under this digest
	// Commits is the quorum of commit envelopes that decided it; empty when
	// the height was learned from a certified header instead.
	Commits []*Envelope
	// Certificate is the encoded certified header, when known.
	Certificate []byte
}

// HardState is the consensus state that must survive a crash. The driver
// persists it (after the proposals of the same Ready) before it sends the
// Ready's messages, and gives it back to New on restart.
type HardState struct {
	// Height is the height being ordered; Votes, Prepared and the view
	// fields belong to it.
	Height       uint64
	View         uint64
	ViewChanging bool        // a view change to View was sent and no new view received yet
	ViaNewView   bool        // View was entered through a new-view message
	Constraint   common.Hash // the digest that new view obliges View's leader to propose, or zero
	Votes        []Vote
	Prepared     PreparedCert // the highest-view prepared certificate at Height; empty if none
	// Decided lists the heights above the ledger head that are ordered,
	// oldest first.
	Decided []Decision
}

// EncodeHardState is the canonical encoding of a HardState.
func EncodeHardState(hs *HardState) []byte {
	enc, err := rlp.EncodeToBytes(hs)
	if err != nil {
		panic(fmt.Sprintf("pbft: encoding hard state cannot fail: %v", err))
	}
	return enc
}

// DecodeHardState decodes EncodeHardState's output.
func DecodeHardState(b []byte) (*HardState, error) {
	hs := new(HardState)
	if err := rlp.DecodeBytes(b, hs); err != nil {
		return nil, fmt.Errorf("%w: hard state: %v", ErrCorruptState, err)
	}
	return hs, nil
}

// Broadcast is the Outbound.To of a message for every other sealer.
const Broadcast = -1

// Outbound is an encoded message to send to the sealer at index To, or to
// all other sealers when To is Broadcast.
type Outbound struct {
	To   int
	Data []byte
}

// VerifyRequest asks the driver to check a proposal's transactions:
// every one decodes, has a valid signature and passes the txpool's rules,
// none repeats within the proposal, and none is committed in the ledger
// or contained in Pending (the proposals decided below it and not yet
// committed). The answer goes to Core.Verified. The check must be
// deterministic: every honest sealer must reach the same verdict.
type VerifyRequest struct {
	Height   uint64
	Digest   common.Hash
	Proposal *Proposal
	Pending  []*Proposal
}

// ExecRequest asks the driver to execute a decided proposal on top of
// Parent (the executed header of the height below, maybe not committed
// yet) and to return the header through Core.Executed. Requests come one
// at a time, in height order. The driver keeps the receipts and write set
// for the matching CommitRequest.
type ExecRequest struct {
	Height   uint64
	Proposal *Proposal
	Parent   *types.Header
	// Sealer is the proposer's account: the header's Sealer (COINBASE).
	Sealer common.Address
}

// CommitRequest hands the driver a finalized block: the executed header
// with its commit certificate and the proposal holding the block's
// transactions. Commit requests come in height order; the driver commits
// them to the ledger before it calls Advance.
type CommitRequest struct {
	Header   *types.Header
	Proposal *Proposal
}

// ProposalRequest tells the driver that this node leads the current height
// and view and may propose: when its txpool has transactions, it calls
// Core.Propose with up to MaxTxs of them, none committed or in Pending.
type ProposalRequest struct {
	Height       uint64
	View         uint64
	MaxTxs       int
	MinTimestamp uint64
	Pending      []*Proposal
}

// SyncRequest asks the driver to download finalized blocks From..To from
// Peers (sealers that reported having finalized To) and feed them, in
// order, to Core.SyncedBlock.
type SyncRequest struct {
	From, To uint64
	Peers    []int
}

// Ready is what the core asks of its driver after some input. The driver
// handles the fields in this order: persist Proposals (by digest) then
// State; send Messages; start Verify and Execute work; commit Commit
// blocks to the ledger; then call Advance. Propose and Sync are hints it
// may act on at any time.
type Ready struct {
	Proposals []*Proposal
	State     *HardState // nil when unchanged
	// MustSync reports that State (with Proposals) records something this
	// node's signatures rely on: a vote, a prepared certificate or a
	// view. It must be durable before any of Messages is sent. Without
	// it, State records only what the node learns again from its peers
	// or its ledger after a crash (a decision, a new height, a
	// certificate), so the driver may write it without waiting for the
	// disk, or later with the next write that must be durable: a state
	// older than State, restored after a crash, is safe.
	MustSync bool
	Messages []Outbound
	Verify   []VerifyRequest
	Execute  []ExecRequest
	Commit   []CommitRequest
	Propose  *ProposalRequest
	Sync     *SyncRequest
}

// Empty reports a Ready with nothing to do.
func (rd *Ready) Empty() bool {
	return len(rd.Proposals) == 0 && rd.State == nil && len(rd.Messages) == 0 && len(rd.Verify) == 0 &&
		len(rd.Execute) == 0 && len(rd.Commit) == 0 && rd.Propose == nil && rd.Sync == nil
}
