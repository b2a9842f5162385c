package blockstm

import (
	"sync"
	"sync/atomic"
)

type txStatus uint8

const (
	readyToExecute txStatus = iota
	executing
	executed
	aborting
)

type taskKind uint8

const (
	noTask taskKind = iota
	executionTask
	validationTask
)

type task struct {
	kind    taskKind
	version Version
}

type txState struct {
	mu          sync.Mutex
	incarnation int
	status      txStatus
	// dependents are the transactions waiting for this one to finish
	// executing (guarded by mu too).
	dependents []int
	// Consecutive transactions usually run on different workers: the
	// padding (to 64 bytes) keeps their states off each other's cache
	// lines.
	_ [16]byte
}

// scheduler is the collaborative scheduler of Block-STM: two indexes
// (next transaction to execute, next to validate) that only move down when
// work must be redone, and a count of tasks in flight to detect the end.
type scheduler struct {
	n           int
	executeIdx  atomic.Int64
	validateIdx atomic.Int64
	decreaseCnt atomic.Int64
	active      atomic.Int64
	done        atomic.Bool
	txs         []txState

	// An idle worker (both indexes past the end, the block not done)
	// sleeps until an index moves back or the block is done, instead of
	// spinning: on a machine busy with other work a spinning worker takes
	// the core a preempted worker needs. gen counts those events.
	gen     atomic.Uint64
	waiters atomic.Int32
	mu      sync.Mutex
	cond    sync.Cond
}

func newScheduler(n int) *scheduler {
	s := &scheduler{n: n, txs: make([]txState, n)}
	s.cond.L = &s.mu
	return s
}

// notify wakes the idle workers after an event that may give them work
// (an index moved back) or ends the block.
func (s *scheduler) notify() {
	s.gen.Add(1)
	if s.waiters.Load() > 0 {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// finish ends the block for every worker.
func (s *scheduler) finish() {
	s.done.Store(true)
	s.notify()
}

// idle reports whether no task can be taken until another worker's event
// (both indexes past the end); gen is to be read before checking.
func (s *scheduler) idle() bool {
	return s.executeIdx.Load() >= int64(s.n) && s.validateIdx.Load() >= int64(s.n) && !s.done.Load()
}

// wait sleeps until an event after gen g.
func (s *scheduler) wait(g uint64) {
	s.waiters.Add(1)
	s.mu.Lock()
	for s.gen.Load() == g && !s.done.Load() {
		s.cond.Wait()
	}
	s.mu.Unlock()
	s.waiters.Add(-1)
}

func fetchMin(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if cur <= v || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

func (s *scheduler) decreaseExecuteIdx(target int) {
	fetchMin(&s.executeIdx, int64(target))
	s.decreaseCnt.Add(1)
	s.notify()
}

func (s *scheduler) decreaseValidateIdx(target int) {
	fetchMin(&s.validateIdx, int64(target))
	s.decreaseCnt.Add(1)
	s.notify()
}

func (s *scheduler) checkDone() {
	observed := s.decreaseCnt.Load()
	if min(s.executeIdx.Load(), s.validateIdx.Load()) >= int64(s.n) &&
		s.active.Load() == 0 && observed == s.decreaseCnt.Load() {
		s.finish()
	}
}

// tryIncarnate starts executing tx if it is ready; otherwise it gives up
// the task slot taken by the caller.
func (s *scheduler) tryIncarnate(tx int) (Version, bool) {
	if tx < s.n {
		t := &s.txs[tx]
		t.mu.Lock()
		if t.status == readyToExecute {
			t.status = executing
			v := Version{tx, t.incarnation}
			t.mu.Unlock()
			return v, true
		}
		t.mu.Unlock()
	}
	s.active.Add(-1)
	return Version{}, false
}

func (s *scheduler) nextVersionToExecute() task {
	if s.executeIdx.Load() >= int64(s.n) {
		s.checkDone()
		return task{}
	}
	s.active.Add(1)
	tx := int(s.executeIdx.Add(1) - 1)
	if v, ok := s.tryIncarnate(tx); ok {
		return task{executionTask, v}
	}
	return task{}
}

func (s *scheduler) nextVersionToValidate() task {
	if s.validateIdx.Load() >= int64(s.n) {
		s.checkDone()
		return task{}
	}
	s.active.Add(1)
	tx := int(s.validateIdx.Add(1) - 1)
	if tx < s.n {
		t := &s.txs[tx]
		t.mu.Lock()
		st, inc := t.status, t.incarnation
		t.mu.Unlock()
		if st == executed {
			return task{validationTask, Version{tx, inc}}
		}
	}
	s.active.Add(-1)
	return task{}
}

// nextTask returns the next task, validations first when they are behind.
func (s *scheduler) nextTask() task {
	if s.validateIdx.Load() < s.executeIdx.Load() {
		return s.nextVersionToValidate()
	}
	return s.nextVersionToExecute()
}

// addDependency parks tx until blocking has executed. It reports false
// when blocking has already executed: the caller re-executes tx at once.
func (s *scheduler) addDependency(tx, blocking int) bool {
	b := &s.txs[blocking]
	b.mu.Lock()
	if b.status == executed {
		b.mu.Unlock()
		return false
	}
	t := &s.txs[tx]
	t.mu.Lock() // lock order: lower index (blocking) first
	t.status = aborting
	t.mu.Unlock()
	b.dependents = append(b.dependents, tx)
	b.mu.Unlock()
	s.active.Add(-1)
	return true
}

func (s *scheduler) setReady(tx int) {
	t := &s.txs[tx]
	t.mu.Lock()
	t.incarnation++
	t.status = readyToExecute
	t.mu.Unlock()
}

// finishExecution marks v executed, wakes its dependents and returns the
// validation of v when it can run at once.
func (s *scheduler) finishExecution(v Version, wroteNew bool) task {
	t := &s.txs[v.Tx]
	t.mu.Lock()
	t.status = executed
	deps := t.dependents
	t.dependents = nil
	t.mu.Unlock()
	if len(deps) > 0 {
		lowest := s.n
		for _, d := range deps {
			s.setReady(d)
			lowest = min(lowest, d)
		}
		s.decreaseExecuteIdx(lowest)
	}
	if s.validateIdx.Load() > int64(v.Tx) {
		if !wroteNew {
			return task{validationTask, v} // keeps the task slot
		}
		// A new key may invalidate the reads of every later transaction.
		s.decreaseValidateIdx(v.Tx)
	}
	s.active.Add(-1)
	return task{}
}

// tryValidationAbort aborts v if it is still the executed incarnation.
func (s *scheduler) tryValidationAbort(v Version) bool {
	t := &s.txs[v.Tx]
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.incarnation == v.Incarnation && t.status == executed {
		t.status = aborting
		return true
	}
	return false
}

// finishValidation schedules the next incarnation of an aborted
// transaction, returning it when this worker can run it at once.
func (s *scheduler) finishValidation(tx int, aborted bool) task {
	if aborted {
		s.setReady(tx)
		s.decreaseValidateIdx(tx + 1)
		if s.executeIdx.Load() > int64(tx) {
			if v, ok := s.tryIncarnate(tx); ok {
				return task{executionTask, v}
			}
			return task{}
		}
	}
	s.active.Add(-1)
	return task{}
}
