package pbft

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/gobcos/gobcos/internal/logtest"
)

// TestDeferredExecutionLoggedAsInfo: an execution refused for a cause that
// passes by itself (an error matching ErrExecDeferred) is information in
// the log, any other execution error a warning; both are asked again.
func TestDeferredExecutionLoggedAsInfo(t *testing.T) {
	logs := logtest.NewCounter()
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
	deferred := func() int { return logs.Count(slog.LevelInfo, "execution deferred; will retry") }
	failed := func() int { return logs.Count(slog.LevelWarn, "execution failed; will retry") }

	req := take()
	if err := nd.core.Executed(req.Height, nil, fmt.Errorf("%w: bodies being fetched", ErrExecDeferred)); err != nil {
		t.Fatal(err)
	}
	if deferred() != 1 || failed() != 0 {
		t.Fatalf("after a deferred execution: %v", logs.All())
	}
	req = take()
	if err := nd.core.Executed(req.Height, nil, errors.New("state unreadable")); err != nil {
		t.Fatal(err)
	}
	if deferred() != 1 || failed() != 1 {
		t.Fatalf("after a failed execution: %v", logs.All())
	}
	releaseHeld(c, nd)
}
