package engine

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/drivertest"
	"github.com/gobcos/gobcos/types"
)

// gatedExec is a node's executor whose execution of one height blocks
// until the test releases it or the execution's context ends.
type gatedExec struct {
	drivertest.Executor
	g *gate
}

// gate holds the executions of one height (0: none) of the nodes that
// share it.
type gate struct {
	height    atomic.Uint64
	release   chan struct{}
	entered   atomic.Int64 // executions that reached the gate
	inside    atomic.Int64 // executions blocked in it now
	cancelled atomic.Int64 // executions that left it because their context ended
}

func newGate(height uint64) *gate {
	g := &gate{release: make(chan struct{})}
	g.height.Store(height)
	return g
}

// wait blocks an execution of the gated height.
func (g *gate) wait(ctx context.Context, height uint64) error {
	if height != g.height.Load() {
		return nil
	}
	g.entered.Add(1)
	g.inside.Add(1)
	defer g.inside.Add(-1)
	select {
	case <-g.release:
		return nil
	case <-ctx.Done():
		g.cancelled.Add(1)
		return ctx.Err()
	}
}

func (x gatedExec) ExecuteBlock(ctx context.Context, env consensus.BlockEnv, parentRoot common.Hash, txs []*types.Transaction) (*consensus.Result, error) {
	if err := x.g.wait(ctx, env.Number); err != nil {
		return nil, err
	}
	return x.Executor.ExecuteBlock(ctx, env, parentRoot, txs)
}

func (x gatedExec) ExecuteBlockOn(ctx context.Context, env consensus.BlockEnv, parentRoot common.Hash, txs []*types.Transaction, pending []consensus.Pending) (*consensus.Result, error) {
	if err := x.g.wait(ctx, env.Number); err != nil {
		return nil, err
	}
	return x.Executor.ExecuteBlockOn(ctx, env, parentRoot, txs, pending)
}

// startGated starts the nodes of c (built, not started) with executors
// behind g.
func (c *cluster) startGated(g *gate, nodes ...int) {
	for _, i := range nodes {
		c.Start(i, func(p *Params) { p.Executor = gatedExec{Executor: drivertest.Executor{N: c.Nodes[i]}, g: g} })
	}
}

// TestOrderingWhileExecuting: while every sealer's execution of h+1 is
// blocked, their drivers go on stepping the core: h+2 is proposed, voted
// on and decided everywhere before h+1's execution returns (a driver that
// executed on its own goroutine would decide nothing meanwhile). Released,
// both heights commit and the chains agree.
func TestOrderingWhileExecuting(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	all := []int{0, 1, 2, 3}
	g := newGate(0)
	c.startGated(g, all...)
	h := c.commitOne(all...)
	c.waitStats("window 2", func(_ int, s Stats) bool { return s.Window == 2 }, all...)

	g.height.Store(h + 1)
	a := []*types.Transaction{c.NewTx(500)}
	c.Submit(a, all...)
	waitUntil(t, "every sealer's execution of h+1 blocked", func() bool { return g.inside.Load() == 4 })
	b := []*types.Transaction{c.NewTx(500)}
	c.Submit(b, all...)
	c.waitStats("h+2 decided while h+1 executes", func(_ int, s Stats) bool { return s.Decided >= h+2 }, all...)
	for _, i := range all {
		if s := c.Drivers[i].Stats(); s.Executed != h || c.Nodes[i].Ledger.Height() != h {
			t.Fatalf("node %d: executed %d, ledger %d with h+1 = %d held", i, s.Executed, c.Nodes[i].Ledger.Height(), h+1)
		}
	}
	if n := g.inside.Load(); n != 4 {
		t.Fatalf("%d executions of h+1 still blocked, want 4", n)
	}

	close(g.release)
	c.WaitCommitted(append(a, b...), all...)
	c.checkSameChain(all...)
	for _, i := range all {
		if n := c.countTxs(i, h); n != 2 {
			t.Fatalf("node %d holds %d txs above %d, want 2", i, n, h)
		}
	}
}

// TestRebuildCancelsExecution: a sealer that gets no checkpoints is
// executing h+1 (blocked) when block sync commits h+1 under it. Its
// driver, still running, rebuilds the core on the synced head, cancels the
// execution (its context ends) and drops its result; the chain goes on
// with it.
func TestRebuildCancelsExecution(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	all := []int{0, 1, 2, 3}
	g := newGate(0)
	c.startGated(g, 3)
	c.startGated(newGate(0), 0, 1, 2)
	h := c.commitOne(all...)

	g.height.Store(h + 1)
	c.setFilter(func(_, to int, data []byte) bool { return to == 3 && isCheckpoint(data) })
	a := []*types.Transaction{c.NewTx(500)}
	c.Submit(a, all...)
	c.WaitCommitted(a, 0, 1, 2)
	waitUntil(t, "node 3's execution of h+1 blocked", func() bool { return g.inside.Load() == 1 })
	c.syncFrom(3, 0, h+1)
	c.waitStats("node 3 rebuilt on the synced head", func(_ int, s Stats) bool { return s.Rebuilds >= 1 }, 3)
	waitUntil(t, "the execution cancelled", func() bool { return g.cancelled.Load() == 1 && g.inside.Load() == 0 })

	c.setFilter(nil)
	b := []*types.Transaction{c.NewTx(500)}
	c.Submit(b, all...)
	c.WaitCommitted(append(a, b...), all...)
	c.checkSameChain(all...)
	if n := c.countTxs(3, h); n != 2 {
		t.Fatalf("node 3 holds %d txs above %d, want 2", n, h)
	}
}

// TestStopDuringExecution: Stop while an execution is blocked ends it
// (its context ends) and returns only once it has left the executor; the
// node restarted executes the height again and the chain goes on.
func TestStopDuringExecution(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	all := []int{0, 1, 2, 3}
	g := newGate(0)
	c.startGated(g, 0)
	c.startGated(newGate(0), 1, 2, 3)
	h := c.commitOne(all...)

	g.height.Store(h + 1)
	a := []*types.Transaction{c.NewTx(500)}
	c.Submit(a, all...)
	waitUntil(t, "node 0's execution of h+1 blocked", func() bool { return g.inside.Load() == 1 })
	c.Stop(0)
	if g.inside.Load() != 0 || g.cancelled.Load() != 1 {
		t.Fatalf("Stop returned with %d executions in the executor, %d cancelled", g.inside.Load(), g.cancelled.Load())
	}
	if c.Drivers[0].Status().Running {
		t.Fatal("driver still running after Stop")
	}
	c.Restart(0)
	c.WaitCommitted(a, all...)
	c.checkSameChain(all...)
}
