package engine

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/types"
)

// Proposals with tx hashes (compatibility version 0.3.0 on, Rules.TxHashProposals):
// Proposal.Txs holds 32-byte tx hashes. The driver resolves them from the
// pool, its body cache and the bodies it stored for the proposal, and
// fetches the rest from the proposer and then the other sealers
// (fetch.go), off the driver goroutine.

// maxFetchTries bounds the fetch jobs started to verify one proposal; a
// replica that cannot get the bodies does not vote (the view-change timer
// replaces a leader that does not serve its txs). Execution of a decided
// proposal fetches for as long as it takes.
const maxFetchTries = 3

// maxWaiting bounds the verify requests waiting for bodies or a parent.
const maxWaiting = 64

// hashForm reports whether every entry of p is a 32-byte hash. No encoded
// tx is that short, so a proposal is in exactly one of the two forms.
func hashForm(p *pbft.Proposal) bool {
	for _, t := range p.Txs {
		if len(t) != common.HashLength {
			return false
		}
	}
	return len(p.Txs) > 0
}

// lookup finds a tx body by hash in the pool or the cache.
func (e *Engine) lookup(h common.Hash) *types.Transaction {
	if tx := e.pool.Get(h); tx != nil {
		return tx
	}
	return e.fetch.cache.get(h)
}

// resolve returns the txs of a hash-form proposal in order and the
// hashes it lacks. Bodies stored for the proposal (a restart) are loaded
// into the cache.
func (e *Engine) resolve(p *pbft.Proposal) ([]*types.Transaction, []common.Hash) {
	txs := make([]*types.Transaction, len(p.Txs))
	var missing []common.Hash
	loaded := false
	for i, raw := range p.Txs {
		h := common.BytesToHash(raw)
		tx := e.lookup(h)
		if tx == nil && !loaded {
			loaded = true
			e.loadStoredBodies(p.Digest(e.suite))
			tx = e.fetch.cache.get(h)
		}
		if tx == nil {
			missing = append(missing, h)
		}
		txs[i] = tx
	}
	return txs, missing
}

// loadAllStoredBodies puts every stored bodies record into the cache (at
// start: few records survive, those of heights not yet committed), so
// that this node serves them to sealers fetching them.
func (e *Engine) loadAllStoredBodies() {
	for d := range e.st.bodies {
		e.loadStoredBodies(d)
	}
}

// loadStoredBodies puts the bodies stored for digest into the cache.
func (e *Engine) loadStoredBodies(d common.Hash) {
	r, err := e.st.loadBodies(d)
	if err != nil || r == nil {
		return
	}
	for _, raw := range r.Bodies {
		if tx, err := types.DecodeTx(e.suite, raw); err == nil {
			e.fetch.cache.put(tx)
		}
	}
}

// requestBodies starts fetching the missing bodies of proposal p: from its
// proposer first, then from the other sealers in index order.
func (e *Engine) requestBodies(ctx context.Context, p *pbft.Proposal, missing []common.Hash) bool {
	self, n := e.Index(), len(e.ccfg.Sealers)
	var peers []int
	for i := range n {
		j := (int(p.Proposer) + i) % n
		if j != self {
			peers = append(peers, j)
		}
	}
	return e.fetch.start(ctx, &e.wg, fetchJob{digest: p.Digest(e.suite), height: p.Height, hashes: missing, peers: peers})
}

// onFetched takes a fetch job's result: the bodies go to the cache and the
// waiting verifications are tried again.
func (e *Engine) onFetched(ctx context.Context, r fetchResult) {
	for _, tx := range r.txs {
		e.fetch.cache.put(tx)
	}
	if !r.ok {
		e.log.Warn("could not fetch all tx bodies of a proposal", "height", r.height, "digest", r.digest, "got", len(r.txs))
	}
	// A proposal this node may vote for without verifying it (a new view's
	// re-proposal) gets its bodies stored as soon as they are known.
	if p := e.lacking[r.digest]; p != nil {
		if txs, missing := e.resolve(p); len(missing) == 0 {
			e.noteResolved(p, txs)
			delete(e.lacking, r.digest)
		}
	}
	e.runVerifies(ctx)
	if e.core != nil {
		// An execution that failed for lack of these bodies is asked
		// again now, not at the next tick.
		e.core.RetryExecution()
	}
}

// noteResolved records that the bodies of the hash-form proposal p are
// all known, so that the next persist writes them with the proposal: a
// vote for p never leaves before its bodies are durable.
func (e *Engine) noteResolved(p *pbft.Proposal, txs []*types.Transaction) {
	d := p.Digest(e.suite)
	if e.st.hasBodies(d) || e.unsaved[d] != nil {
		return
	}
	r := &bodiesRecord{Height: p.Height, Bodies: make([][]byte, len(txs))}
	for i, tx := range txs {
		r.Bodies[i] = tx.Bytes()
	}
	e.unsaved[d] = r
}

// prepareProposals, for the proposals of a Ready about to be persisted,
// notes the bodies of hash-form ones resolved locally (always the case
// for this node's own proposals) and starts fetching for the others.
func (e *Engine) prepareProposals(ctx context.Context, props []*pbft.Proposal) {
	for _, p := range props {
		if !hashForm(p) {
			continue
		}
		txs, missing := e.resolve(p)
		if len(missing) == 0 {
			e.noteResolved(p, txs)
			continue
		}
		d := p.Digest(e.suite)
		if len(e.lacking) < maxWaiting {
			e.lacking[d] = p
		}
		if e.fetchTries[d] < maxFetchTries && e.requestBodies(ctx, p, missing) {
			e.fetchTries[d]++
		}
	}
}

// runVerifies answers the waiting verify requests that can be answered:
// once the proposal's parent is committed, or its grandparent when the
// height is pipelined (readyAt; either way the rules of its height are
// fixed by committed state, alike on every node) and, for a hash-form
// proposal, once its bodies are known. A request for a height
// at or below the head is dropped.
func (e *Engine) runVerifies(ctx context.Context) {
	if e.core == nil {
		e.waiting = e.waiting[:0]
		return
	}
	head := e.ledger.Head()
	if head == nil {
		return
	}
	keep := e.waiting[:0]
	for _, req := range e.waiting {
		switch {
		case req.Height <= head.Number:
			continue
		case !e.readyAt(req.Height, head.Number):
			keep = append(keep, req)
			continue
		}
		wait, err := e.verdict(ctx, req)
		if wait {
			keep = append(keep, req)
			continue
		}
		if err != nil && e.passed(req.Height) {
			// Block sync committed this height while it was being
			// verified: its txs now read as committed, which says nothing
			// against the proposal. Dropped, as above; the core is rebuilt
			// on the new head.
			continue
		}
		if req.Height > head.Number+1 {
			e.pipelinedOrders++
		}
		e.core.Verified(req.Height, req.Digest, err)
	}
	clear(e.waiting[len(keep):])
	e.waiting = keep
	if len(e.waiting) > maxWaiting {
		e.waiting = append(e.waiting[:0], e.waiting[len(e.waiting)-maxWaiting:]...)
	}
}

// passed reports whether the ledger's head is at or above height: a
// block of that height is committed, so a verification of it is moot.
// During a verification only block sync can have committed it: the
// driver's own commits run on the driver goroutine, as verifications do.
func (e *Engine) passed(height uint64) bool {
	head := e.ledger.Head()
	return head != nil && head.Number >= height
}

// verdict verifies req (its parent committed): the proposal must be in
// the form of its height's version; with hashes, wait (true) while bodies
// are being fetched.
func (e *Engine) verdict(ctx context.Context, req pbft.VerifyRequest) (wait bool, err error) {
	rules, err := e.rulesAt(req.Height)
	if err != nil {
		return false, err
	}
	if !rules.TxHashProposals {
		if hashForm(req.Proposal) {
			return false, fmt.Errorf("%w: tx hashes at height %d, which carries bodies", ErrWrongForm, req.Height)
		}
		return false, e.verify(req)
	}
	if !hashForm(req.Proposal) {
		return false, fmt.Errorf("%w: tx bodies at height %d, which carries hashes", ErrWrongForm, req.Height)
	}
	txs, missing := e.resolve(req.Proposal)
	if len(missing) > 0 {
		d := req.Digest
		if e.fetchTries[d] < maxFetchTries && e.requestBodies(ctx, req.Proposal, missing) {
			e.fetchTries[d]++
		}
		return true, nil
	}
	if err := e.verifyTxs(req.Height, txs, e.pendingOf(req.Pending)); err != nil {
		return false, err
	}
	e.noteResolved(req.Proposal, txs)
	return false, nil
}

// execTxs returns the txs a decided proposal executes: decoded bodies
// below 0.3.0, resolved hashes from it on. Missing bodies are fetched and
// ErrBodiesMissing returned (the core retries the execution).
func (e *Engine) execTxs(ctx context.Context, x pbft.ExecRequest) ([]*types.Transaction, error) {
	rules, err := e.rulesAt(x.Height)
	if err != nil {
		return nil, err
	}
	if rules.TxHashProposals != hashForm(x.Proposal) {
		return nil, fmt.Errorf("%w: decided block %d", ErrWrongForm, x.Height)
	}
	if !rules.TxHashProposals {
		txs := make([]*types.Transaction, len(x.Proposal.Txs))
		for i, raw := range x.Proposal.Txs {
			tx, err := types.DecodeTx(e.suite, raw)
			if err != nil {
				return nil, fmt.Errorf("%w: block %d tx %d: %v", ErrInvalidTx, x.Height, i, err)
			}
			txs[i] = tx
		}
		return txs, nil
	}
	txs, missing := e.resolve(x.Proposal)
	if len(missing) > 0 {
		e.requestBodies(ctx, x.Proposal, missing)
		return nil, fmt.Errorf("%w: block %d lacks %d of %d", ErrBodiesMissing, x.Height, len(missing), len(txs))
	}
	e.noteResolved(x.Proposal, txs)
	return txs, nil
}

// pendingOf is what the proposals decided below a height and not yet
// committed hold; committed ones are the ledger's (TxChecker reads it).
func (e *Engine) pendingOf(props []*pbft.Proposal) *consensus.TxSet {
	ps := consensus.NewTxSet()
	var head uint64
	if h := e.ledger.Head(); h != nil {
		head = h.Number
	}
	for _, p := range props {
		if p.Height <= head {
			continue
		}
		if hashForm(p) {
			txs, _ := e.resolve(p)
			for _, tx := range txs {
				if tx != nil {
					ps.Add(tx)
				}
			}
			continue
		}
		for _, raw := range p.Txs {
			tx, err := types.DecodeTx(e.suite, raw)
			if err != nil {
				continue // a decided proposal was verified; cannot happen
			}
			ps.Add(tx)
		}
	}
	return ps
}

// forgetBelow drops the fetch bookkeeping of heights at or below h.
func (e *Engine) forgetBelow(h uint64) {
	for d, r := range e.unsaved {
		if r.Height <= h {
			delete(e.unsaved, d)
		}
	}
	for d, p := range e.lacking {
		if p.Height <= h {
			delete(e.lacking, d)
		}
	}
	if len(e.fetchTries) > 4*maxWaiting {
		clear(e.fetchTries)
	}
}
