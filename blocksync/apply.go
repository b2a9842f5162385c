package blocksync

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/types"
)

// applyOutcome classifies an applier result.
type applyOutcome int

const (
	applyCommitted applyOutcome = iota // the block is now the head
	applyStale                         // the ledger's head is already at or past the block
	applyBadParent                     // the block does not extend the head: its supplier is to blame
	applyBadBlock                      // the block's certificate, checked late, is invalid: its supplier is to blame
	applyFailed                        // local execution or commit failed, or roots differ
	applyAborted                       // the syncer is stopping
)

type applyResult struct {
	f       *fetched
	outcome applyOutcome
	err     error
	head    *types.Header // the ledger's head after the attempt
}

// runApplier executes and commits the blocks the loop hands it, one at a
// time, reporting each outcome.
func (s *Syncer) runApplier(ctx context.Context, blocks <-chan *fetched, results chan<- applyResult) {
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-blocks:
			r := s.apply(ctx, f)
			r.head = s.ledger.Head()
			select {
			case results <- r:
			case <-ctx.Done():
				return
			}
		}
	}
}

// apply checks that f extends the ledger's head, executes it on the
// head's state, compares the roots with its header and commits it. A
// failure after the head reached f's block (the node's consensus engine
// committed it meanwhile) is no failure: f is stale.
func (s *Syncer) apply(ctx context.Context, f *fetched) applyResult {
	r := s.applyOnce(ctx, f)
	if r.outcome == applyFailed {
		if now := s.ledger.Head(); now != nil && now.Number >= f.block.Header.Number {
			return applyResult{f: f, outcome: applyStale}
		}
	}
	return r
}

func (s *Syncer) applyOnce(ctx context.Context, f *fetched) applyResult {
	b := f.block
	h := b.Header
	head := s.ledger.Head()
	if head == nil {
		return applyResult{f: f, outcome: applyFailed, err: ErrNoHead}
	}
	if h.Number <= head.Number {
		return applyResult{f: f, outcome: applyStale}
	}
	headHash := head.Hash(s.suite)
	if h.Number != head.Number+1 || h.ParentHash != headHash {
		return applyResult{f: f, outcome: applyBadParent, err: fmt.Errorf("%w: block %d names parent %s, head %d is %s",
			ErrWrongParent, h.Number, h.ParentHash, head.Number, headHash)}
	}
	if f.uncertain {
		// Its sealer set was unknown on receipt; the parent is committed now.
		if _, err := s.checkBlock(b); err != nil {
			if errors.Is(err, ErrBadBlock) {
				return applyResult{f: f, outcome: applyBadBlock, err: err}
			}
			return applyResult{f: f, outcome: applyFailed, err: err}
		}
	}
	env := consensus.BlockEnv{
		Number: h.Number, Timestamp: h.Timestamp, Sealer: h.Sealer, GasLimit: h.GasLimit,
		ParentHash: h.ParentHash, GetHash: consensus.HashGetter(s.ledger, head.Number, headHash),
	}
	res, err := s.exec.ExecuteBlock(ctx, env, head.StateRoot, b.Txs)
	if ctx.Err() != nil {
		return applyResult{f: f, outcome: applyAborted, err: ctx.Err()}
	}
	if err != nil {
		return applyResult{f: f, outcome: applyFailed, err: fmt.Errorf("executing block %d: %w", h.Number, err)}
	}
	senders, err := checkResult(s.suite, b, res)
	if err != nil {
		return applyResult{f: f, outcome: applyFailed, err: err}
	}
	// Once the commit begins it completes even if ctx ends; Stop waits.
	if err := s.ledger.Commit(b, res.Receipts, senders, res.State); err != nil {
		return applyResult{f: f, outcome: applyFailed, err: fmt.Errorf("committing block %d: %w", h.Number, err)}
	}
	return applyResult{f: f, outcome: applyCommitted}
}

// checkResult compares an execution result with the block's header and
// collects the senders the executor verified.
func checkResult(hs types.Hasher, b *types.Block, res *consensus.Result) ([]common.Address, error) {
	h := b.Header
	if res == nil || len(res.Receipts) != len(b.Txs) {
		return nil, fmt.Errorf("%w: executor returned no result or a wrong number of receipts for block %d", consensus.ErrBadResult, h.Number)
	}
	var gas uint64
	for i, r := range res.Receipts {
		if r == nil {
			return nil, fmt.Errorf("%w: block %d receipt %d is missing", consensus.ErrBadResult, h.Number, i)
		}
		gas += r.GasUsed
	}
	if res.StateRoot != h.StateRoot {
		return nil, fmt.Errorf("%w: block %d state root: header %s, executed %s", ErrRootMismatch, h.Number, h.StateRoot, res.StateRoot)
	}
	if root := types.ReceiptRoot(hs, res.Receipts); root != h.ReceiptRoot {
		return nil, fmt.Errorf("%w: block %d receipt root: header %s, executed %s", ErrRootMismatch, h.Number, h.ReceiptRoot, root)
	}
	if res.LogsBloom() != h.LogsBloom {
		return nil, fmt.Errorf("%w: block %d logs bloom differs from the executed receipts'", ErrRootMismatch, h.Number)
	}
	if gas != h.GasUsed {
		return nil, fmt.Errorf("%w: block %d gas used: header %d, executed %d", ErrRootMismatch, h.Number, h.GasUsed, gas)
	}
	senders := make([]common.Address, len(b.Txs))
	for i, tx := range b.Txs {
		a, ok := tx.CachedSender()
		if !ok {
			return nil, fmt.Errorf("%w: block %d tx %d has no verified sender after execution", consensus.ErrBadResult, h.Number, i)
		}
		senders[i] = a
	}
	return senders, nil
}

// onApplied takes the applier's result for the block after the head.
func (st *loopState) onApplied(r applyResult) {
	n := r.f.block.Header.Number
	switch r.outcome {
	case applyCommitted:
		st.s.stats.committed.Add(1)
		st.lastErr = ""
		st.setHead(n, r.f.hash)
		st.s.log.Debug("block synced", "number", n, "hash", r.f.hash, "txs", len(r.f.block.Txs), "peer", r.f.from.short())
		if st.highest() == n {
			st.s.log.Info("caught up", "number", n, "hash", r.f.hash)
		}
	case applyStale:
		if r.head != nil && r.head.Number > st.head {
			st.setHead(r.head.Number, r.head.Hash(st.s.suite))
		}
		st.dropBuffered(n)
	case applyBadParent:
		st.s.stats.badBlocks.Add(1)
		st.dropBuffered(n)
		if r.head != nil && r.head.Number > st.head {
			st.setHead(r.head.Number, r.head.Hash(st.s.suite))
			return
		}
		if ps := st.peers[r.f.from]; ps != nil {
			st.penalise(ps, r.err)
		}
	case applyBadBlock:
		st.s.stats.badBlocks.Add(1)
		st.dropBuffered(n)
		if ps := st.peers[r.f.from]; ps != nil {
			st.penalise(ps, r.err)
		}
	case applyFailed:
		st.s.stats.applyFailed.Add(1)
		st.lastErr = r.err.Error()
		st.stallUntil = st.now + st.s.retryTicks
		st.dropBuffered(n) // fetched again, maybe from another peer, before the retry
		level := st.s.log.Warn
		if errors.Is(r.err, ErrRootMismatch) {
			level = st.s.log.Error
		}
		level("could not apply a synced block; will retry", "number", n, "peer", r.f.from.short(),
			"retryIn", st.s.cfg.RetryInterval, "err", r.err)
	case applyAborted:
		// Stopping: the loop ends with ctx.
	}
}

func (st *loopState) dropBuffered(n uint64) {
	if f := st.buffer[n]; f != nil {
		st.unbuffer(n, f)
	}
}
