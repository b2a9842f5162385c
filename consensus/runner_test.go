package consensus

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestRunner(t *testing.T) {
	stopped, running := errors.New("stopped"), errors.New("running")
	var mu sync.Mutex
	var r Runner
	if err := r.CanStart(stopped, running); err != nil || r.Done() != nil {
		t.Fatalf("new runner: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ended := make(chan struct{})
	r.Launch(ctx, cancel, func(ctx context.Context) {
		<-ctx.Done()
		close(ended)
	})
	if err := r.CanStart(stopped, running); !errors.Is(err, running) || r.Done() == nil {
		t.Fatalf("running: %v", err)
	}
	if !r.Stop(&mu) {
		t.Fatal("Stop of a running goroutine reported nothing to stop")
	}
	select {
	case <-ended: // Stop waited for run to return
	default:
		t.Fatal("Stop returned before the goroutine")
	}
	if r.Stop(&mu) || !errors.Is(r.CanStart(stopped, running), stopped) || r.Done() != nil {
		t.Fatal("a stopped runner")
	}
	var never Runner
	if never.Stop(&mu) || !errors.Is(never.CanStart(stopped, running), stopped) {
		t.Fatal("a runner stopped before it started can start")
	}
}
