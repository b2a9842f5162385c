package engine

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/types"
)

// Pipelining (doc.go, "Pipelining"): with Params.Core.Window = 2 the
// driver lets the core work on height X (verify, vote, execute) while
// X-1 is decided or executed but not committed, when pipelinedAt(X).

// pipelinedAt reports whether height may be verified, voted on and
// executed before height-1 is committed: the configured window allows
// it, the rules of height say so (Rules.Pipelined: the compatibility
// version at height-1 is 0.4.0 or later, so the rules and sealer set of
// height are fixed by height-2; without Params.Rules nothing changes by
// governance) and the sealer configuration of height is the running
// core's, so that no block of a new epoch is ever voted on or certified
// under the old one. Only asked for height = head+2, whose rules and
// configuration the node reads from the head's state.
func (e *Engine) pipelinedAt(height uint64) bool {
	if e.maxWindow < 2 || !e.known {
		return false
	}
	head := e.ledger.Head()
	if head == nil {
		return false
	}
	key := pipeKey{head: head.Number, root: head.StateRoot, height: height, epoch: e.epID}
	if ok, hit := e.pipeCache[key]; hit {
		return ok
	}
	ok := true
	if e.rules != nil {
		r, err := e.rules.RulesAt(height)
		ok = err == nil && r.Pipelined
	}
	if ok {
		ep, err := e.epochOf(height)
		ok = err == nil && ep.Equal(e.ep)
	}
	if len(e.pipeCache) >= 8 {
		clear(e.pipeCache)
	}
	e.pipeCache[key] = ok
	return ok
}

// pipeKey is what pipelinedAt's answer depends on: the committed state it
// reads and the running configuration.
type pipeKey struct {
	head   uint64
	root   common.Hash
	height uint64
	epoch  common.Hash
}

// windowAbove is the core window for the heights above head: 2 when
// head+2 may be worked on before head+1 is committed, else 1 (a closed
// window also stops the heartbeats of an idle leader from holding off
// view changes while txs wait, as with Window = 1).
func (e *Engine) windowAbove(head uint64) uint64 {
	if e.pipelinedAt(head + 2) {
		return 2
	}
	return 1
}

// setWindow applies windowAbove(the ledger head) to the configuration
// (for cores built later) and the running core.
func (e *Engine) setWindow() {
	head := e.ledger.Head()
	if head == nil || e.maxWindow < 2 {
		return
	}
	w := e.windowAbove(head.Number)
	e.ccfg.Window = w
	if e.core != nil && e.core.Window() != w {
		e.core.SetWindow(w)
		e.log.Debug("pbft window", "above", head.Number, "window", w)
	}
}

// readyAt reports whether a verify request (or the leader's proposal) at
// height can be worked on with the ledger at head: its parent is the
// head, or it is pipelined and its grandparent is.
func (e *Engine) readyAt(height, head uint64) bool {
	switch {
	case height == head+1:
		return true
	case height == head+2:
		return e.pipelinedAt(height)
	}
	return false
}

// execParent works out on what an ExecRequest runs: the ledger head (no
// pending blocks), or the executed but uncommitted parent on top of the
// head when the height is pipelined (one pending block, run through
// consensus.PendingExecutor). Anything else is an error, and the core
// retries the execution: the parent's commit or a rebuild on a synced
// head comes first.
func (e *Engine) execParent(x pbft.ExecRequest) ([]consensus.Pending, error) {
	head := e.ledger.Head()
	if head == nil {
		return nil, fmt.Errorf("%w: no head", ErrParentNotHead)
	}
	headHash := e.headHash(head)
	if head.Number == x.Parent.Number && headHash == x.Parent.Hash(e.suite) {
		return nil, nil
	}
	if head.Number+1 != x.Parent.Number || x.Parent.ParentHash != headHash {
		return nil, fmt.Errorf("%w: block %d on parent %d, head %d", ErrParentNotHead, x.Height, x.Parent.Number, head.Number)
	}
	if _, ok := e.exec.(consensus.PendingExecutor); !ok {
		return nil, fmt.Errorf("%w: block %d: parent %d not committed and the executor cannot run on pending blocks", ErrParentNotHead, x.Height, x.Parent.Number)
	}
	p, ok := e.execs[x.Parent.Number]
	if !ok || p.res.StateRoot != x.Parent.StateRoot {
		return nil, fmt.Errorf("%w: block %d: no local execution of its parent %d", ErrParentNotHead, x.Height, x.Parent.Number)
	}
	if !e.pipelinedAt(x.Height) {
		return nil, fmt.Errorf("%w: block %d before its parent is committed (not pipelined: compatibility version below 0.4.0 or a new sealer configuration)", ErrNotPipelined, x.Height)
	}
	return []consensus.Pending{{Header: x.Parent, State: p.res.State}}, nil
}

// headHash is the hash of head, a header the ledger returned as its head
// (which nobody modifies): the driver asks for it after every message it
// steps (publish) and for every execution, so the last one is kept.
func (e *Engine) headHash(head *types.Header) common.Hash {
	if e.headHashOf.h != head {
		e.headHashOf.h, e.headHashOf.hash = head, head.Hash(e.suite)
	}
	return e.headHashOf.hash
}
