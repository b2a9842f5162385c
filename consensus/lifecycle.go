package consensus

import (
	"context"
	"log/slog"
	"sync"
)

// Lifecycle is what an engine keeps of its run: the goroutine (a Runner),
// the Status it publishes and the mutex guarding both. The engine holds
// one as a field, guards the rest of its shared state with the same mutex
// (Lock, Unlock), and answers Start, Stop and Status through it.
type Lifecycle struct {
	sync.Mutex
	// Status is what Snapshot returns; guarded by the mutex. The engine
	// sets Engine (and what it knows) when it makes the Lifecycle.
	Status Status
	runner Runner
}

// Start starts the engine once: stopped when it was stopped, running
// while it runs. Under the mutex it calls begin with the context of the
// run (the engine reads the ledger head, restores its state and fills
// Status there; an error from begin leaves the engine unstarted), marks
// Status Running and runs run on a goroutine until ctx ends or Stop; when
// run returns, Status is no longer Running.
func (l *Lifecycle) Start(ctx context.Context, stopped, running error, begin func(context.Context) error, run func(context.Context)) error {
	l.Lock()
	defer l.Unlock()
	if err := l.runner.CanStart(stopped, running); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	if err := begin(runCtx); err != nil {
		cancel()
		return err
	}
	l.Status.Running = true
	l.runner.Launch(runCtx, cancel, func(ctx context.Context) {
		defer func() {
			l.Lock()
			l.Status.Running = false
			l.Unlock()
		}()
		run(ctx)
	})
	return nil
}

// Stop ends the run and waits for it to return, logging "stopped" to log
// when there was one; after Stop the engine cannot start. It is safe to
// call more than once and before Start.
func (l *Lifecycle) Stop(log *slog.Logger) {
	if l.runner.Stop(l) {
		log.Info("stopped")
	}
}

// Snapshot is a copy of Status.
func (l *Lifecycle) Snapshot() Status {
	l.Lock()
	defer l.Unlock()
	return l.Status
}

// Done is closed when the run has ended; nil when it does not run.
func (l *Lifecycle) Done() <-chan struct{} {
	l.Lock()
	defer l.Unlock()
	return l.runner.Done()
}
