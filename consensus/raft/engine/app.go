package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/raft"
	"github.com/gobcos/gobcos/types"
)

// app is the core's App over the node's ledger, executor and txpool. It
// runs on the driver goroutine.
type app struct {
	e   *Engine
	ctx context.Context
	// sealed is the leader's last sealed block, so that applying it does
	// not execute it a second time.
	sealed *sealedBlock
}

type sealedBlock struct {
	hash  common.Hash // header hash without Extra
	txs   []*types.Transaction
	res   *consensus.Result
	roots *types.BlockRoots // what the header commits to of txs and receipts
	// For the block trace: when sealing began and ended, and how long
	// executing the block took within it.
	start, end time.Time
	exec       time.Duration
}

var _ raft.App = (*app)(nil)

func (a *app) Head() *types.Header { return a.e.ledger.Head() }

func (a *app) HashAt(n uint64) (common.Hash, bool) { return a.e.ledger.HashByNumber(n) }

// RequestSync is a hint only: the node's block syncer follows the peers'
// heights on its own, and the driver tells the core when the ledger moved.
func (a *app) RequestSync(from uint64) {
	a.e.log.Debug("raft waits for blocks from sync", "from", from)
}

func bareHash(e *Engine, h *types.Header) common.Hash {
	c := *h
	c.Extra, c.Signatures = nil, nil
	return c.Hash(e.suite)
}

// Seal picks valid pool transactions and executes them on parent.
func (a *app) Seal(parent *types.Header, maxTxs, maxBytes int) (*types.Header, [][]byte, error) {
	e := a.e
	start := time.Now()
	height := parent.Number + 1
	rules, err := e.rulesAt(height)
	if err != nil {
		return nil, nil, err
	}
	maxTxs = rules.BlockTxLimit(maxTxs)
	seen := consensus.NewTxSet()
	var txs []*types.Transaction
	size := 0
	for _, tx := range e.pool.Pending(maxTxs) {
		if size+len(tx.Bytes()) > maxBytes {
			break
		}
		if !rules.Sealable(tx) {
			continue
		}
		_, verified := tx.CachedSender()
		if err := e.checkTx(tx, height, seen, !verified); err != nil {
			continue
		}
		txs = append(txs, tx)
		size += len(tx.Bytes())
	}
	if len(txs) == 0 {
		return nil, nil, nil
	}
	env := e.env(parent, consensus.BlockTime(e.now(), parent.Timestamp), e.sealer)
	execStart := time.Now()
	res, err := e.exec.ExecuteBlock(a.ctx, env, parent.StateRoot, txs)
	if err != nil {
		return nil, nil, fmt.Errorf("executing block %d: %w", height, err)
	}
	exec := time.Since(execStart)
	h, roots, err := consensus.BuildHeader(e.suite, env, txs, res)
	if err != nil {
		return nil, nil, err
	}
	raw := make([][]byte, len(txs))
	for i, tx := range txs {
		raw[i] = tx.Bytes()
	}
	a.sealed = &sealedBlock{hash: bareHash(e, h), txs: txs, res: res, roots: roots, start: start, end: time.Now(), exec: exec}
	return h, raw, nil
}

// FullBlock reports whether the pool holds a full block on parent: as
// many txs as Seal would take, or maxBytes of them. It counts every pooled
// tx, as the PBFT driver does: an estimate that errs toward sealing.
func (a *app) FullBlock(parent *types.Header, maxTxs, maxBytes int) bool {
	rules, err := a.e.rulesAt(parent.Number + 1)
	if err != nil {
		return false // Seal fails alike; waiting costs nothing
	}
	limit := rules.BlockTxLimit(maxTxs)
	if limit <= 0 {
		return false
	}
	n, size := a.e.pool.Stats()
	return n >= limit || size >= maxBytes
}

// Apply checks, executes and commits a committed block on the head.
//
// The node's block syncer commits blocks straight into the ledger, and may
// commit h while Apply checks or executes it: its txs then read as
// committed, or the execution finds the head moved. An Apply that fails
// when the ledger holds h is therefore a success (the syncer applied it),
// not a rejected block nor a fatal error.
func (a *app) Apply(h *types.Header, raw [][]byte) error {
	err := a.apply(h, raw)
	if err != nil && a.e.holds(h) {
		a.e.log.Debug("block committed by block sync while applying it", "number", h.Number, "err", err)
		return nil
	}
	return err
}

// holds reports whether the ledger holds h.
func (e *Engine) holds(h *types.Header) bool {
	have, ok := e.ledger.HashByNumber(h.Number)
	return ok && have == h.Hash(e.suite)
}

func (a *app) apply(h *types.Header, raw [][]byte) error {
	e := a.e
	start := time.Now()
	head := e.ledger.Head()
	var txs []*types.Transaction
	var res *consensus.Result
	var roots *types.BlockRoots
	var own *sealedBlock // set when this node sealed the block
	var exec time.Duration
	if s := a.sealed; s != nil && s.hash == bareHash(e, h) {
		txs, res, roots = s.txs, s.res, s.roots // this node sealed it on the same parent
		own, exec = s, s.exec
	} else {
		seen := consensus.NewTxSet()
		txs = make([]*types.Transaction, len(raw))
		for i, b := range raw {
			tx, err := types.DecodeTx(e.suite, b)
			if err != nil {
				return fmt.Errorf("%w: %w: tx %d does not decode: %v", raft.ErrRejected, ErrInvalidTx, i, err)
			}
			txs[i] = tx
		}
		sigErrs := e.verifySigs(a.ctx, txs) // in parallel; known txs are not checked again
		for i, tx := range txs {
			if err := sigErrs[i]; err != nil {
				if a.ctx.Err() != nil {
					return err // stopping: not a verdict on the block
				}
				return fmt.Errorf("%w: tx %d: %w: %s: %v", raft.ErrRejected, i, ErrInvalidTx, tx.Hash(), err)
			}
			if err := e.checkTx(tx, h.Number, seen, false); err != nil {
				if errors.Is(err, ErrInvalidTx) {
					return fmt.Errorf("%w: tx %d: %w", raft.ErrRejected, i, err)
				}
				return err // a storage error: not a verdict on the block
			}
		}
		if err := e.checkRules(h.Number, txs); err != nil {
			return err
		}
		env := e.env(head, h.Timestamp, h.Sealer)
		var err error
		execStart := time.Now()
		if res, err = e.exec.ExecuteBlock(a.ctx, env, head.StateRoot, txs); err != nil {
			return fmt.Errorf("executing block %d: %w", h.Number, err)
		}
		exec = time.Since(execStart)
		var want *types.Header
		want, roots, err = consensus.BuildHeader(e.suite, env, txs, res)
		if err != nil {
			return err
		}
		want.Extra = h.Extra
		if want.Hash(e.suite) != h.Hash(e.suite) {
			return fmt.Errorf("%w: block %d", ErrMismatch, h.Number)
		}
	}
	a.sealed = nil
	senders := make([]common.Address, len(txs))
	for i, tx := range txs {
		s, ok := tx.CachedSender()
		if !ok {
			return fmt.Errorf("block %d: tx %s has no verified sender", h.Number, tx.Hash())
		}
		senders[i] = s
	}
	b := &types.Block{Header: h, Txs: txs}
	commitStart := time.Now()
	if err := e.ledger.Commit(b, res.Receipts, senders, res.State, roots); err != nil {
		return fmt.Errorf("committing block %d: %w", h.Number, err) // Apply checks whether the syncer committed it
	}
	e.pool.OnCommitted(b)
	e.committed(h, len(txs))
	e.trace(h, len(txs), own, start, exec, time.Since(commitStart))
	e.applyTiming(h.Number + 1)
	return nil
}

// trace reports a committed block to the tracer. On the leader that
// sealed it, the block's time runs from the start of sealing, with the
// seal and replicate phases; elsewhere from the start of applying it.
func (e *Engine) trace(h *types.Header, txs int, own *sealedBlock, applied time.Time, exec, commit time.Duration) {
	if e.tracer == nil {
		return
	}
	term, _, _ := raft.DecodeExtra(h.Extra) // the block was checked: it decodes
	bt := consensus.BlockTrace{Number: h.Number, Hash: h.Hash(e.suite), Txs: txs, View: term,
		Proposer: own != nil, Execute: exec, Commit: commit}
	from := applied
	if own != nil {
		from = own.start
		bt.Phases = []consensus.PhaseTime{
			{Name: consensus.PhaseSeal, Took: own.end.Sub(own.start)},
			{Name: consensus.PhaseReplicate, Took: max(applied.Sub(own.end), 0)},
		}
	}
	bt.Total = time.Since(from)
	e.tracer.BlockTraced(bt)
}

// env is the execution context of the block after parent.
func (e *Engine) env(parent *types.Header, ts uint64, sealer common.Address) consensus.BlockEnv {
	ph := parent.Hash(e.suite)
	return consensus.BlockEnv{
		Number: parent.Number + 1, Timestamp: ts, Sealer: sealer, GasLimit: e.cfg.BlockGasLimit,
		ParentHash: ph, GetHash: func(n uint64) common.Hash {
			if n == parent.Number {
				return ph
			}
			if n < parent.Number {
				if h, ok := e.ledger.HashByNumber(n); ok {
					return h
				}
			}
			return common.Hash{}
		},
	}
}

// TxVerifier checks the signatures of a block's txs in parallel and
// knows, by tx hash, those the node verified before (txverify.Verifier,
// shared with the node's txpool and executor).
type TxVerifier interface {
	// VerifyBatch returns one error per tx, in order; a tx without one
	// has its sender cached.
	VerifyBatch(ctx context.Context, txs []*types.Transaction) []error
}

// verifySigs returns one signature error per tx, in order: through the
// verifier, or one tx after the other without one.
func (e *Engine) verifySigs(ctx context.Context, txs []*types.Transaction) []error {
	if e.sigs != nil {
		return e.sigs.VerifyBatch(ctx, txs)
	}
	errs := make([]error, len(txs))
	for i, tx := range txs {
		_, errs[i] = tx.Verify(e.suite, e.cfg.ChainID, e.cfg.GroupID)
	}
	return errs
}

// checkTx applies the ordering rules (consensus.TxChecker) to tx in a
// block at height, with the block's earlier txs in seen, after checking
// its signature when verifySig is set.
func (e *Engine) checkTx(tx *types.Transaction, height uint64, seen *consensus.TxSet, verifySig bool) error {
	if verifySig {
		if _, err := tx.Verify(e.suite, e.cfg.ChainID, e.cfg.GroupID); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalidTx, tx.Hash(), err)
		}
	}
	c := consensus.TxChecker{Ledger: e.ledger, BlockLimitWindow: e.cfg.BlockLimitWindow, Invalid: ErrInvalidTx}
	return c.Check(tx, height, seen)
}
