package pbft

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
)

// levelCounter is a log handler counting records by level and message.
type levelCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *levelCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h *levelCounter) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *levelCounter) WithGroup(string) slog.Handler            { return h }
func (h *levelCounter) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n[r.Level.String()+" "+r.Message]++
	return nil
}

func (h *levelCounter) count(key string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[key]
}

// TestDeferredExecutionLoggedAsInfo: an execution refused for a cause that
// passes by itself (an error matching ErrExecDeferred) is information in
// the log, any other execution error a warning; both are asked again.
func TestDeferredExecutionLoggedAsInfo(t *testing.T) {
	logs := &levelCounter{n: make(map[string]int)}
	c := newCluster(t, 4, func(cfg *Config) { cfg.Logger = slog.New(logs) })
	nd := c.nodes[0]
	nd.holdExec = true
	c.addTxs(1)
	take := func() ExecRequest {
		t.Helper()
		c.runUntil(50, "node 0 asked to execute", func() bool { return len(nd.execQ) > 0 })
		req := nd.execQ[0]
		nd.execQ = nd.execQ[1:]
		return req
	}
	const deferredMsg, failedMsg = "INFO execution deferred; will retry", "WARN execution failed; will retry"

	req := take()
	if err := nd.core.Executed(req.Height, nil, fmt.Errorf("%w: bodies being fetched", ErrExecDeferred)); err != nil {
		t.Fatal(err)
	}
	if logs.count(deferredMsg) != 1 || logs.count(failedMsg) != 0 {
		t.Fatalf("after a deferred execution: %v", logs.n)
	}
	req = take()
	if err := nd.core.Executed(req.Height, nil, errors.New("state unreadable")); err != nil {
		t.Fatal(err)
	}
	if logs.count(deferredMsg) != 1 || logs.count(failedMsg) != 1 {
		t.Fatalf("after a failed execution: %v", logs.n)
	}
	releaseHeld(c, nd)
}
