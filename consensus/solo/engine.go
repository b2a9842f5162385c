package solo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// Executor and Ledger are what the engine needs of the executor and the
// group's ledger (package consensus). The Ledger may also implement
// consensus.HashByNumber to serve BLOCKHASH for older ancestors.
type (
	Executor = consensus.Executor
	Ledger   = consensus.Ledger
)

// TxSource is what the engine needs of the txpool: the engines' shared
// pool (package consensus) and its size, which tells the minimum seal
// interval that a full block waits.
type TxSource interface {
	consensus.TxPool
	// Stats returns how many txs the pool holds and their encoded size.
	Stats() (count int, bytes int)
}

// Retry back-off after a failed block.
const (
	retryMin = 50 * time.Millisecond
	retryMax = 5 * time.Second
)

// Params are the engine's configuration and dependencies.
type Params struct {
	Config   Config
	Suite    crypto.Suite
	Key      crypto.PrivateKey // the node's sealing key
	Txs      TxSource
	Executor Executor
	Ledger   Ledger
	Logger   *slog.Logger     // nil discards
	Now      func() time.Time // header timestamps; nil means time.Now
	// Tracer is told where the time of each committed block went; nil
	// means none.
	Tracer consensus.Tracer
	// Rules gives the governance parameters in force for each block:
	// tx_count_limit, tx_gas_limit and min_seal_interval_ms then replace
	// Config's MaxTxsPerBlock and MinSealInterval. nil keeps Config's.
	Rules consensus.RulesSource
}

// Engine is the Solo consensus engine. Create it with New.
type Engine struct {
	cfg    Config
	suite  crypto.Suite
	key    crypto.PrivateKey
	txs    TxSource
	exec   Executor
	ledger Ledger
	log    *slog.Logger
	now    func() time.Time
	tracer consensus.Tracer
	rules  consensus.RulesSource

	life consensus.Lifecycle // the run goroutine and Status
}

var _ consensus.Engine = (*Engine)(nil)

// New makes a Solo engine; it does nothing until Start.
func New(p Params) (*Engine, error) {
	if err := p.Config.Validate(); err != nil {
		return nil, err
	}
	switch {
	case p.Suite == nil:
		return nil, fmt.Errorf("%w: crypto suite", ErrMissingDep)
	case p.Key == nil:
		return nil, fmt.Errorf("%w: sealing key", ErrMissingDep)
	case p.Txs == nil:
		return nil, fmt.Errorf("%w: tx source", ErrMissingDep)
	case p.Executor == nil:
		return nil, fmt.Errorf("%w: executor", ErrMissingDep)
	case p.Ledger == nil:
		return nil, fmt.Errorf("%w: ledger", ErrMissingDep)
	}
	if p.Key.SuiteName() != p.Suite.Name() {
		return nil, fmt.Errorf("%w: key is %s, chain is %s", consensus.ErrSuiteMismatch, p.Key.SuiteName(), p.Suite.Name())
	}
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	return &Engine{
		cfg: p.Config, suite: p.Suite, key: p.Key, txs: p.Txs, exec: p.Executor, ledger: p.Ledger,
		log: logger.With("module", "consensus", "engine", consensus.NameSolo), now: now, tracer: p.Tracer, rules: p.Rules,
		life: consensus.Lifecycle{Status: consensus.Status{Engine: consensus.NameSolo, Sealer: true, Leader: true}},
	}, nil
}

// Name is consensus.NameSolo.
func (e *Engine) Name() string { return consensus.NameSolo }

// Start launches the sealing loop. It fails if the ledger has no head.
func (e *Engine) Start(ctx context.Context) error {
	return e.life.Start(ctx, ErrStopped, ErrAlreadyStarted, func(context.Context) error {
		head := e.ledger.Head()
		if head == nil {
			return ErrNoHead
		}
		e.life.Status.Height = head.Number
		e.life.Status.BlockHash = head.Hash(e.suite)
		e.log.Info("started", "height", head.Number, "sealer", e.key.Address())
		return nil
	}, e.run)
}

// Stop ends the sealing loop, waiting for a block being committed.
func (e *Engine) Stop() error {
	e.life.Stop(e.log)
	return nil
}

// Status reports the latest committed block.
func (e *Engine) Status() consensus.Status { return e.life.Snapshot() }

// run is the sealing loop. With an Executor that implements
// consensus.PendingExecutor (and Config.Serial unset) it overlaps: while
// one block commits, the next one is executed on top of it; see
// pipeline.go.
func (e *Engine) run(ctx context.Context) {
	var fl *inflight // the block being committed, if any
	defer func() {
		if fl != nil {
			// The commit completes even if ctx ended; Stop waits for it.
			_ = e.settle(ctx, fl)
		}
	}()
	pe, _ := e.exec.(consensus.PendingExecutor)
	if e.cfg.Serial {
		pe = nil
	}
	notify := e.txs.Notify()
	var lastCommit time.Time // monotonic, for MinSealInterval
	retry := time.Duration(0)
	failed := func(msg string, args ...any) bool { // backs off; false when ctx ended
		retry = min(max(2*retry, retryMin), retryMax)
		e.log.Error(msg, append(args, "retryIn", retry)...)
		return sleep(ctx, retry)
	}
	// settleNow ends fl's commit; false when it failed (after a back-off).
	settleNow := func() bool {
		err := e.settle(ctx, fl)
		fl = nil
		if err != nil {
			if ctx.Err() == nil {
				failed("committing a block failed; retrying", "err", err)
			}
			return false
		}
		lastCommit = time.Now()
		retry = 0
		return true
	}
	for ctx.Err() == nil {
		rules, err := e.rulesNext(fl)
		if err != nil {
			if fl != nil {
				settleNow()
				continue
			}
			if !failed("cannot seal the next block; waiting", "err", err) {
				return
			}
			continue
		}
		// The interval spaces partial blocks; a full one does not wait.
		hold := rules.MinSealInterval > 0 && !e.fullBlock(rules, fl)
		if hold && fl != nil {
			settleNow() // no overlap: the interval runs from the commit
			continue
		}
		if hold && !lastCommit.IsZero() {
			if !e.waitInterval(ctx, lastCommit.Add(rules.MinSealInterval), rules, notify) {
				return
			}
		}
		txs := e.nextTxs(rules, fl)
		if len(txs) == 0 {
			var done <-chan error
			if fl != nil {
				done = fl.done
			}
			select {
			case <-ctx.Done():
				return
			case <-notify:
			case err := <-done:
				fl.result, fl.received = err, true
				settleNow()
			}
			continue
		}
		txs = e.fitGas(txs)
		var parent *types.Header
		var pending []consensus.Pending
		if fl != nil {
			if pe == nil {
				settleNow()
				continue
			}
			parent = fl.block.Header
			pending = []consensus.Pending{{Header: fl.block.Header, State: fl.state}}
		}
		next, err := e.sealBlock(ctx, pe, parent, pending, txs)
		if err != nil {
			if fl != nil {
				// It could not run on the pending block: seal again on the
				// committed head once the commit ends.
				e.log.Debug("block not executed on the pending one; waiting for its commit", "err", err)
				settleNow()
				continue
			}
			if ctx.Err() != nil {
				return
			}
			if !failed("sealing a block failed; retrying", "txs", len(txs), "err", err) {
				return
			}
			continue
		}
		if fl != nil && !settleNow() {
			continue // the parent's commit failed: next is discarded, its txs stay in the pool
		}
		if err := ctx.Err(); err != nil {
			return // an executed block not committed is safe to abandon
		}
		fl = e.startCommit(next)
		if pe == nil {
			settleNow()
		}
	}
}

// fullBlock reports whether the pool holds a full block under rules
// besides fl's txs, which it keeps until fl is committed. The count also
// holds txs that cannot be sealed yet (a nonce gap): at worst a block goes
// out before the interval, which only changes its timing.
func (e *Engine) fullBlock(rules consensus.Rules, fl *inflight) bool {
	if rules.MaxTxs <= 0 {
		return false
	}
	n, _ := e.txs.Stats()
	if fl != nil {
		n -= len(fl.block.Txs)
	}
	return n >= rules.MaxTxs
}

// waitInterval waits until deadline, or until the pool holds a full block
// under rules (told by notify, the pool's); false when ctx ended.
func (e *Engine) waitInterval(ctx context.Context, deadline time.Time, rules consensus.Rules, notify <-chan struct{}) bool {
	d := time.Until(deadline)
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case <-notify:
			if e.fullBlock(rules, nil) {
				return true
			}
		}
	}
}

// rulesNext returns the rules of the block after fl (or after the head
// when fl is nil): Params.Rules's or, without it, the configuration's.
func (e *Engine) rulesNext(fl *inflight) (consensus.Rules, error) {
	if e.rules == nil {
		return consensus.Rules{MaxTxs: e.cfg.MaxTxsPerBlock, MinSealInterval: e.cfg.MinSealInterval}, nil
	}
	var number uint64
	if fl != nil {
		number = fl.block.Header.Number
	} else {
		head := e.ledger.Head()
		if head == nil {
			return consensus.Rules{}, ErrNoHead
		}
		number = head.Number
	}
	r, err := e.rules.RulesAt(number + 1)
	if err != nil {
		return r, err
	}
	if r.MaxTxs <= 0 {
		r.MaxTxs = e.cfg.MaxTxsPerBlock
	}
	return r, nil
}

// sealable drops the txs the rules keep out of a block (over the tx gas
// limit), keeping the order.
func sealable(txs []*types.Transaction, r consensus.Rules) []*types.Transaction {
	out := txs[:0:0]
	for _, tx := range txs {
		if r.Sealable(tx) {
			out = append(out, tx)
		}
	}
	return out
}

// fitGas keeps the longest prefix of txs whose declared gas fits the block
// gas limit, and at least one tx.
func (e *Engine) fitGas(txs []*types.Transaction) []*types.Transaction {
	limit := e.cfg.BlockGasLimit
	var total uint64
	for i, tx := range txs {
		g := tx.Gas()
		if i > 0 && (total > limit || g > limit-total) {
			return txs[:i]
		}
		total += g
	}
	return txs
}

// sealBlock executes and signs one block of txs on parent (the head when
// nil), on top of the pending blocks through pe when there are any.
func (e *Engine) sealBlock(ctx context.Context, pe consensus.PendingExecutor, parent *types.Header, pending []consensus.Pending, txs []*types.Transaction) (*sealed, error) {
	start := time.Now()
	if parent == nil {
		if parent = e.ledger.Head(); parent == nil {
			return nil, ErrNoHead
		}
	}
	senders := make([]common.Address, len(txs))
	for i, tx := range txs {
		s, ok := tx.CachedSender()
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrUnverifiedTx, tx.Hash())
		}
		senders[i] = s
	}
	parentHash := parent.Hash(e.suite)
	env := consensus.BlockEnv{
		Number:     parent.Number + 1,
		Timestamp:  consensus.BlockTime(e.now(), parent.Timestamp),
		Sealer:     e.key.Address(),
		GasLimit:   e.cfg.BlockGasLimit,
		ParentHash: parentHash,
		GetHash:    consensus.HashGetter(e.ledger, parent.Number, parentHash),
	}
	execStart := time.Now()
	var res *consensus.Result
	var err error
	if len(pending) > 0 {
		res, err = pe.ExecuteBlockOn(ctx, env, parent.StateRoot, txs, pending)
	} else {
		res, err = e.exec.ExecuteBlock(ctx, env, parent.StateRoot, txs)
	}
	if err != nil {
		return nil, fmt.Errorf("executing block %d: %w", env.Number, err)
	}
	executed := time.Now()
	header, roots, err := consensus.BuildHeader(e.suite, env, txs, res)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", env.Number, err)
	}
	hash := header.Hash(e.suite)
	sig, err := consensus.SignCommitHash(e.suite, e.key, hash, 0)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", env.Number, err)
	}
	header.Signatures = []types.CommitSig{sig}
	return &sealed{
		block: &types.Block{Header: header, Txs: txs}, hash: hash, res: res, roots: roots, senders: senders,
		start: start, seal: execStart.Sub(start), exec: executed.Sub(execStart),
	}, nil
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
