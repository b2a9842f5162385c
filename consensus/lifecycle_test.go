package consensus

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

func TestLifecycle(t *testing.T) {
	stopped, running := errors.New("stopped"), errors.New("running")
	log := slog.New(slog.DiscardHandler)
	l := Lifecycle{Status: Status{Engine: "test"}}
	refused := errors.New("no head")
	if err := l.Start(t.Context(), stopped, running, func(context.Context) error { return refused }, nil); !errors.Is(err, refused) {
		t.Fatalf("Start with a failing begin: %v", err)
	}
	if s := l.Snapshot(); s.Running || l.Done() != nil {
		t.Fatalf("an engine whose begin failed runs: %+v", s)
	}
	ended := make(chan struct{})
	var runCtx context.Context
	begin := func(ctx context.Context) error {
		runCtx = ctx
		l.Status.Height = 7
		return nil
	}
	run := func(ctx context.Context) {
		if ctx != runCtx {
			t.Error("run got another context than begin")
		}
		<-ctx.Done()
		close(ended)
	}
	if err := l.Start(t.Context(), stopped, running, begin, run); err != nil {
		t.Fatal(err)
	}
	if s := l.Snapshot(); !s.Running || s.Height != 7 || s.Engine != "test" || l.Done() == nil {
		t.Fatalf("running: %+v", s)
	}
	if err := l.Start(t.Context(), stopped, running, begin, run); !errors.Is(err, running) {
		t.Fatalf("second Start: %v", err)
	}
	l.Stop(log)
	select {
	case <-ended: // Stop waited for run to return
	default:
		t.Fatal("Stop returned before the run")
	}
	if s := l.Snapshot(); s.Running {
		t.Fatal("stopped but Running")
	}
	l.Stop(log)
	if err := l.Start(t.Context(), stopped, running, begin, run); !errors.Is(err, stopped) {
		t.Fatalf("Start after Stop: %v", err)
	}
}

func TestLifecycleRunEndsWithContext(t *testing.T) {
	var l Lifecycle
	ctx, cancel := context.WithCancel(t.Context())
	if err := l.Start(ctx, errors.New("stopped"), errors.New("running"), func(context.Context) error { return nil }, func(ctx context.Context) { <-ctx.Done() }); err != nil {
		t.Fatal(err)
	}
	done := l.Done()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end with its context")
	}
	if l.Snapshot().Running {
		t.Fatal("Running after the run ended")
	}
}
