package blockstm

import (
	"context"
	"runtime"
	"sync"
)

// Result is the outcome of one incarnation.
type Result struct {
	// BlockedBy is the transaction whose estimate a read met, or -1. The
	// incarnation's reads and writes are then ignored and it runs again
	// after that transaction has executed.
	BlockedBy int
	Reads     []Read
	Writes    []Write
}

// ExecFunc executes incarnation v of a transaction on behalf of worker
// (0 <= worker < workers). It reads through MVMemory.Read with v.Tx and
// must not keep outputs of an incarnation it reports as blocked. Run keeps
// the Reads list and the Writes' keys and values, not the Writes list: the
// worker's next call may reuse it. The
// incarnations of one transaction never run concurrently, and a later
// incarnation's call happens after the earlier one's return.
type ExecFunc func(worker int, v Version) Result

// Run executes the n transactions of a block on workers goroutines until
// every one has executed and validated, or ctx is done (then it returns
// ctx's error and the outputs are void). mv must be new, made for n
// transactions.
func Run(ctx context.Context, mv *MVMemory, n, workers int, exec ExecFunc) error {
	if n == 0 {
		return ctx.Err()
	}
	s := newScheduler(n)
	var wg sync.WaitGroup
	for w := range max(workers, 1) {
		wg.Go(func() { work(ctx, s, mv, w, exec) })
	}
	wg.Wait()
	return ctx.Err()
}

func work(ctx context.Context, s *scheduler, mv *MVMemory, worker int, exec ExecFunc) {
	var t task
	idle := 0
	stop := context.AfterFunc(ctx, s.finish)
	defer stop()
	for !s.done.Load() {
		if ctx.Err() != nil {
			s.finish()
			return
		}
		switch t.kind {
		case executionTask:
			t = tryExecute(s, mv, worker, t.version, exec)
		case validationTask:
			t = validate(s, mv, t.version)
		}
		if t.kind != noTask {
			continue
		}
		g := s.gen.Load()
		if t = s.nextTask(); t.kind != noTask {
			idle = 0
		} else if s.idle() {
			// This worker may have just given up the last task slot
			// (nextTask does not always check): the block may be done.
			s.checkDone()
			s.wait(g)
		} else if idle++; idle%32 == 0 {
			// The next try often finds work (the validation that came up
			// empty moved its index on); after many, let the other
			// workers run.
			runtime.Gosched()
		}
	}
}

func tryExecute(s *scheduler, mv *MVMemory, worker int, v Version, exec ExecFunc) task {
	for {
		res := exec(worker, v)
		if res.BlockedBy < 0 {
			return s.finishExecution(v, mv.Record(v, res.Reads, res.Writes))
		}
		if s.addDependency(v.Tx, res.BlockedBy) {
			return task{}
		}
		// The blocking transaction executed meanwhile: run again now.
	}
}

func validate(s *scheduler, mv *MVMemory, v Version) task {
	aborted := !mv.validate(v.Tx) && s.tryValidationAbort(v)
	if aborted {
		mv.markEstimates(v.Tx)
	}
	return s.finishValidation(v.Tx, aborted)
}
