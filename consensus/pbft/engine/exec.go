package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/types"
)

// Execution off the driver goroutine (doc.go, "What runs where"): an
// ExecRequest is prepared on the driver goroutine (its parent and txs
// worked out from the driver's state: execParent, execTxs), run on an
// execution goroutine, one at a time and in the order the core asked,
// and its result handed to the core, again on the driver goroutine,
// by onExecuted. Meanwhile the driver goes on stepping the core.

// execJob is a prepared ExecRequest: everything the execution goroutine
// needs, by value or immutable (the pending parent's write set is not
// changed after its execution; a concurrent commit only reads it).
type execJob struct {
	core    *pbft.Core // the core that asked; its result is for no other
	req     pbft.ExecRequest
	env     consensus.BlockEnv
	txs     []*types.Transaction
	pending []consensus.Pending // the executed parent not committed yet, if any
}

// execDone is what an execution goroutine hands back.
type execDone struct {
	job    *execJob
	header *types.Header
	roots  *types.BlockRoots // what header commits to of the txs and receipts
	res    *consensus.Result
	err    error
	took   time.Duration
}

// execRefusal is an ExecRequest that failed before running (its parent
// is not there yet, its bodies are missing...); the core is told after
// Advance and retries it.
type execRefusal struct {
	height uint64
	err    error
}

// prepareExec works out on the driver goroutine what x runs on and with:
// the ledger head or the executed parent not committed (execParent), and
// the txs (execTxs, which starts fetching missing bodies).
func (e *Engine) prepareExec(ctx context.Context, x pbft.ExecRequest) (*execJob, error) {
	parentHash := x.Parent.Hash(e.suite)
	pending, err := e.execParent(x)
	if err != nil {
		return nil, err
	}
	txs, err := e.execTxs(ctx, x)
	if err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		e.pipelinedExecs++ // execParent checked that the executor is a PendingExecutor
	}
	env := consensus.BlockEnv{
		Number: x.Height, Timestamp: x.Proposal.Timestamp, Sealer: x.Sealer,
		GasLimit: e.cfg.BlockGasLimit, ParentHash: parentHash, GetHash: consensus.HashGetter(e.ledger, x.Parent.Number, parentHash),
	}
	return &execJob{core: e.core, req: x, env: env, txs: txs, pending: pending}, nil
}

// queueExec queues a prepared job and starts it when no execution runs.
func (e *Engine) queueExec(ctx context.Context, j *execJob) {
	e.execQueue = append(e.execQueue, j)
	e.startExec(ctx)
}

// startExec starts the first queued job of the running core when no
// execution runs. Jobs of a core that was replaced are dropped: their
// results would be for nobody.
func (e *Engine) startExec(ctx context.Context) {
	if e.execRunning != nil {
		return
	}
	for len(e.execQueue) > 0 {
		j := e.execQueue[0]
		e.execQueue[0] = nil
		e.execQueue = e.execQueue[1:]
		if j.core != e.core || e.core == nil {
			continue
		}
		jctx, cancel := context.WithCancel(ctx)
		e.execRunning, e.execCancel = j, cancel
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			defer cancel()
			e.execDone <- e.runJob(jctx, j) // buffered: one execution at a time
		}()
		return
	}
}

// runJob executes a job: on the execution goroutine, with no access to
// the driver's state.
func (e *Engine) runJob(ctx context.Context, j *execJob) execDone {
	start := time.Now()
	d := execDone{job: j}
	var err error
	if len(j.pending) == 0 {
		d.res, err = e.exec.ExecuteBlock(ctx, j.env, j.req.Parent.StateRoot, j.txs)
	} else {
		d.res, err = e.exec.(consensus.PendingExecutor).ExecuteBlockOn(ctx, j.env, j.req.Parent.StateRoot, j.txs, j.pending)
	}
	if err != nil {
		d.err = fmt.Errorf("executing block %d: %w", j.req.Height, err)
		return d
	}
	d.header, d.roots, d.err = consensus.BuildHeader(e.suite, j.env, j.txs, d.res)
	if d.err != nil {
		d.err = fmt.Errorf("block %d: %w", j.req.Height, d.err)
	}
	d.took = time.Since(start)
	return d
}

// onExecuted takes an execution's result on the driver goroutine: it is
// kept until the block's commit and given to the core that asked for it,
// unless that core was replaced meanwhile (a rebuild on a synced head, an
// epoch switch), whose successor asks again for what it needs. A rebuild
// that is due (block sync moved the ledger during the execution) is made
// first, so a result is never given to a core the ledger has left. The
// next queued job, if any, starts.
func (e *Engine) onExecuted(ctx context.Context, d execDone) error {
	e.execRunning, e.execCancel = nil, nil
	defer e.startExec(ctx)
	if err := e.maybeRebuild(); err != nil {
		return err
	}
	e.dropStaleExecs()
	j := d.job
	if e.core == nil || j.core != e.core {
		e.log.Debug("execution result dropped: the core that asked was replaced", "height", j.req.Height, "err", d.err)
		return nil
	}
	if d.err == nil {
		e.execs[j.req.Height] = execResult{txs: j.txs, res: d.res, roots: d.roots}
		e.traces.executed(j.req.Height, d.took)
	}
	if err := e.core.Executed(j.req.Height, d.header, d.err); err != nil {
		e.log.Warn("execution result refused by the core", "height", j.req.Height, "err", err)
	}
	return nil
}

// dropStaleExecs cancels the running execution and drops the queued ones
// when the core that asked for them is no longer the running one (called
// after every possible rebuild): their results would apply to nothing,
// and the new core asks again.
func (e *Engine) dropStaleExecs() {
	if r := e.execRunning; r != nil && r.core != e.core && e.execCancel != nil {
		e.execCancel()
		e.execCancel = nil // the result still arrives, and is dropped
	}
	q := e.execQueue[:0]
	for _, j := range e.execQueue {
		if j.core == e.core && e.core != nil {
			q = append(q, j)
		}
	}
	clear(e.execQueue[len(q):])
	e.execQueue = q
}
