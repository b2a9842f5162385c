package consensus

import (
	"context"
	"sync"
)

// Runner is the lifecycle of an engine's goroutine: it is started once and
// stopped once, and an engine stopped (even before it started) does not
// start again. The engine guards it with its own mutex: CanStart, Launch
// and Done are called with that mutex held, Stop takes it itself.
type Runner struct {
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// CanStart is nil when the engine may start, stopped once it was
// stopped, running while it runs.
func (r *Runner) CanStart(stopped, running error) error {
	switch {
	case r.started && r.done == nil:
		return stopped
	case r.started:
		return running
	}
	return nil
}

// Launch marks the engine started and runs run on a goroutine; cancel
// ends ctx, the context run is given.
func (r *Runner) Launch(ctx context.Context, cancel context.CancelFunc, run func(context.Context)) {
	done := make(chan struct{})
	r.started, r.cancel, r.done = true, cancel, done
	go func() {
		defer close(done)
		run(ctx)
	}()
}

// Done is closed when the goroutine has ended; nil when it does not run.
func (r *Runner) Done() <-chan struct{} { return r.done }

// Stop ends the goroutine and waits for it to return (mu is the engine's
// mutex). It reports whether there was one to stop; after Stop the
// engine cannot start.
func (r *Runner) Stop(mu sync.Locker) bool {
	mu.Lock()
	if !r.started || r.done == nil {
		r.started = true
		mu.Unlock()
		return false
	}
	cancel, done := r.cancel, r.done
	r.cancel, r.done = nil, nil
	mu.Unlock()
	cancel()
	<-done
	return true
}
