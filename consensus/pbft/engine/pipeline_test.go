package engine

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// isCheckpoint reports whether data is a pbft checkpoint message.
func isCheckpoint(data []byte) bool {
	m, err := pbft.DecodeMessage(data, 1<<30)
	return err == nil && m.Kind == pbft.KindEnvelope && m.Env.Type == pbft.MsgCheckpoint
}

// waitStats waits (a minute at most) until ok holds for the stats of
// every node in nodes.
func (c *cluster) waitStats(what string, ok func(i int, s Stats) bool, nodes ...int) {
	c.T.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, i := range nodes {
		for !ok(i, c.Drivers[i].Stats()) {
			if time.Now().After(deadline) {
				s := c.Drivers[i].Stats()
				c.T.Fatalf("%s: node %d: decided %d executed %d finalized %d window %d, heights %v",
					what, i, s.Decided, s.Executed, s.Finalized, s.Window, c.Heights())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// countTxs counts the txs of node i's blocks above from and checks that
// none repeats.
func (c *cluster) countTxs(i int, from uint64) int {
	c.T.Helper()
	l := c.Nodes[i].Ledger
	seen := map[string]bool{}
	for h := from + 1; h <= l.Height(); h++ {
		b, err := l.BlockByNumber(h)
		if err != nil {
			c.T.Fatal(err)
		}
		for _, tx := range b.Txs {
			if seen[tx.Hash().Hex()] {
				c.T.Fatalf("node %d: tx %s twice", i, tx.Hash())
			}
			seen[tx.Hash().Hex()] = true
		}
	}
	return len(seen)
}

// TestPipelinedOrdering: with Window 2, a block is ordered and executed
// while the one below is executed but not certified or committed. The
// checkpoints (the certification of executed blocks) are held back: every
// sealer still decides and executes height h+1, then h+2 on top of the
// uncommitted h+1 (PipelinedExecs), and no more (the window); the ledgers
// stay at h. Released, both commit, and the chains agree with every tx
// once. With Window 1, h+2 would not be decided before h+1 is committed.
func TestPipelinedOrdering(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, true)
	all := []int{0, 1, 2, 3}
	h := c.commitOne(all...)
	for _, i := range all {
		if c.Nodes[i].Ledger.Height() != h {
			t.Fatalf("heights %v after the first tx", c.Heights())
		}
	}

	c.setFilter(func(_, _ int, data []byte) bool { return isCheckpoint(data) })
	a := []*types.Transaction{c.NewTx(500)}
	c.Submit(a, all...)
	c.waitStats("h+1 executed", func(_ int, s Stats) bool { return s.Executed >= h+1 }, all...)
	b := []*types.Transaction{c.NewTx(500)}
	c.Submit(b, all...)
	c.waitStats("h+2 decided and executed on the uncommitted h+1", func(i int, s Stats) bool {
		return s.Executed >= h+2 && s.PipelinedExecs > 0 && s.PipelinedOrders > 0 && c.Nodes[i].PendingExecs.Load() > 0
	}, all...)
	more := []*types.Transaction{c.NewTx(500)}
	c.Submit(more, all...)
	for _, i := range all {
		s := c.Drivers[i].Stats()
		if hh := c.Nodes[i].Ledger.Height(); hh != h || s.Finalized != h || s.Decided > h+2 {
			t.Fatalf("node %d: ledger %d, finalized %d, decided %d while no checkpoint flows (window 2 over %d)", i, hh, s.Finalized, s.Decided, h)
		}
	}

	c.setFilter(nil)
	c.WaitCommitted(append(append(a, b...), more...), all...)
	c.checkSameChain(all...)
	for _, i := range all {
		if n := c.countTxs(i, h); n < 3 {
			t.Fatalf("node %d holds %d txs above %d", i, n, h)
		}
	}
}

// TestPipelinedRestart: a sealer restarted while a height is decided and
// executed on an uncommitted parent executes them again from its stored
// proposals, keeps its votes (no equivocation seen) and the chain goes on.
func TestPipelinedRestart(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, true)
	all := []int{0, 1, 2, 3}
	h := c.commitOne(all...)
	c.waitStats("window 2", func(_ int, s Stats) bool { return s.Window == 2 }, all...)

	c.setFilter(func(_, _ int, data []byte) bool { return isCheckpoint(data) })
	a, b := []*types.Transaction{c.NewTx(500)}, []*types.Transaction{c.NewTx(500)}
	c.Submit(a, all...)
	c.waitStats("h+1 executed", func(_ int, s Stats) bool { return s.Executed >= h+1 }, all...)
	c.Submit(b, all...)
	c.waitStats("h+2 executed", func(_ int, s Stats) bool { return s.Executed >= h+2 }, all...)

	c.Stop(2)
	c.Restart(2)
	c.Submit(append(append([]*types.Transaction(nil), a...), b...), 2) // its pool is new; committed ones are refused later
	c.waitStats("restarted node 2 executes both again", func(_ int, s Stats) bool { return s.Executed >= h+2 }, 2)
	c.setFilter(nil)
	c.WaitCommitted(append(a, b...), all...)
	c.checkSameChain(all...)
	for i, e := range c.Drivers {
		if d := e.Stats().Drops[pbft.DropEquivocation]; d != 0 {
			t.Fatalf("node %d saw %d equivocating messages", i, d)
		}
		if n := c.countTxs(i, h); n != 2 {
			t.Fatalf("node %d holds %d txs above %d, want 2", i, n, h)
		}
	}
}

// TestWindowOneDoesNotPipeline: the same as TestPipelinedOrdering with
// Window 1: h+2 is never ordered while h+1 is not committed, and no
// block runs on an uncommitted parent.
func TestWindowOneDoesNotPipeline(t *testing.T) {
	c := newClusterWindow(t, crypto.ECDSA(), 4, true, nil, 1)
	all := []int{0, 1, 2, 3}
	h := c.commitOne(all...)
	c.setFilter(func(_, _ int, data []byte) bool { return isCheckpoint(data) })
	a, b := []*types.Transaction{c.NewTx(500)}, []*types.Transaction{c.NewTx(500)}
	c.Submit(a, all...)
	c.waitStats("h+1 executed", func(_ int, s Stats) bool { return s.Executed >= h+1 }, all...)
	c.Submit(b, all...)
	for _, i := range all {
		if s := c.Drivers[i].Stats(); s.Decided > h+1 || s.Window != 1 {
			t.Fatalf("node %d: decided %d, window %d with window 1 and h+1 uncertified", i, s.Decided, s.Window)
		}
	}
	c.setFilter(nil)
	c.WaitCommitted(append(a, b...), all...)
	for i, e := range c.Drivers {
		if e.Stats().PipelinedExecs != 0 || c.Nodes[i].PendingExecs.Load() != 0 {
			t.Fatalf("node %d ran a block on an uncommitted parent with window 1", i)
		}
	}
}

// TestRulesGatePipelining: with Params.Rules, a height whose rules are
// not Pipelined (compatibility version below 0.4.0) is not worked on
// before its parent is committed: window 1, no execution on an
// uncommitted parent; once the rules say Pipelined, window 2.
func TestRulesGatePipelining(t *testing.T) {
	var pipelined atomicBool
	rules := consensus.RulesFunc(func(uint64) (consensus.Rules, error) {
		return consensus.Rules{Pipelined: pipelined.get()}, nil
	})
	c := newClusterWith(t, crypto.ECDSA(), 4, true, rules)
	all := []int{0, 1, 2, 3}
	for range 3 {
		txs := []*types.Transaction{c.NewTx(500), c.NewTx(500)}
		c.Submit(txs, all...)
		c.WaitCommitted(txs, all...)
	}
	for i, e := range c.Drivers {
		if s := e.Stats(); s.Window != 1 || s.PipelinedExecs != 0 {
			t.Fatalf("node %d: window %d, %d pipelined executions below 0.4.0", i, s.Window, s.PipelinedExecs)
		}
	}
	pipelined.set(true)
	txs := []*types.Transaction{c.NewTx(500)}
	c.Submit(txs, all...)
	c.WaitCommitted(txs, all...)
	c.waitStats("window 2 once pipelined", func(_ int, s Stats) bool { return s.Window == 2 }, all...)
}

type atomicBool struct{ v atomic.Bool }

func (b *atomicBool) get() bool  { return b.v.Load() }
func (b *atomicBool) set(v bool) { b.v.Store(v) }

// TestPipelinedEpochSwitch: sealers {0,1,2,3} with unit weights until
// height switchAt-1, weighing 3,1,1,1 from switchAt (a new epoch, as a
// 0.4.0 governance change made two blocks before). Within the first epoch
// heights are pipelined; switchAt is not worked on by the old core while
// switchAt-1 is uncommitted (window 1, no verdict, no execution): with
// the checkpoints of switchAt-1 held back, nothing above it is decided.
// Released, the new epoch certifies from switchAt with its weights.
func TestPipelinedEpochSwitch(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	const switchAt = 5
	weights := []uint64{3, 1, 1, 1}
	epochsFor := func(i int) func(uint64) (Epoch, error) {
		return func(h uint64) (Epoch, error) {
			if head := c.Nodes[i].Ledger.Height(); h > head+2 {
				return Epoch{}, fmt.Errorf("%w: height %d, head %d", consensus.ErrRulesPending, h, head)
			}
			if h < switchAt {
				return Epoch{Sealers: c.Sealers, LeaderPeriod: 1}, nil
			}
			return Epoch{Sealers: c.Sealers, Weights: weights, LeaderPeriod: 1}, nil
		}
	}
	all := []int{0, 1, 2, 3}
	for _, i := range all {
		c.startEpochs(i, c.Sealers, epochsFor(i))
	}
	for c.Nodes[1].Ledger.Height() < switchAt-3 {
		c.step(all...)
	}
	c.waitStats("window 2 within the first epoch", func(_ int, s Stats) bool { return s.Window == 2 }, all...)

	// Hold the checkpoints of switchAt-1 and above: switchAt-2 commits,
	// switchAt-1 is decided and executed on it, pipelined.
	c.setFilter(func(_, _ int, data []byte) bool {
		m, err := pbft.DecodeMessage(data, 1<<30)
		return err == nil && m.Kind == pbft.KindEnvelope && m.Env.Type == pbft.MsgCheckpoint && m.Env.Height >= switchAt-1
	})
	var txs []*types.Transaction
	for range 2 {
		tx := c.NewTx(500)
		txs = append(txs, tx)
		c.Submit([]*types.Transaction{tx}, all...)
		c.waitStats("next height executed", func(_ int, s Stats) bool { return s.Executed >= switchAt-3+uint64(len(txs)) }, all...)
	}
	c.waitStats("switchAt-2 committed, switchAt-1 executed", func(i int, s Stats) bool {
		return c.Nodes[i].Ledger.Height() == switchAt-2 && s.Executed == switchAt-1 && s.Window == 1
	}, all...)
	late := c.NewTx(500)
	txs = append(txs, late)
	c.Submit([]*types.Transaction{late}, all...)
	for range 50 { // the old epoch's cores must not order switchAt: nothing to wait for, so look a while
		for _, i := range all {
			if s := c.Drivers[i].Stats(); s.Decided >= switchAt || s.Executed >= switchAt {
				t.Fatalf("node %d: decided %d, executed %d: height %d of the new epoch worked on by the old core", i, s.Decided, s.Executed, switchAt)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.setFilter(nil)
	// A sealer that got too few checkpoints of switchAt-1 before the others
	// switched (they no longer resend old-epoch messages) catches up by
	// block sync, as in a node (simulated here).
	var src int
	waitUntil(t, "a sealer commits the last block of the old epoch", func() bool {
		for _, i := range all {
			if c.Nodes[i].Ledger.Height() >= switchAt-1 {
				src = i
				return true
			}
		}
		return false
	})
	for _, i := range all {
		c.syncFrom(i, src, switchAt-1)
	}
	c.WaitCommitted(txs, all...)
	c.step(all...)

	top := c.Nodes[0].Ledger.Height()
	c.checkCerts(top, switchAt, weights, nil)
	if top < switchAt {
		t.Fatalf("height %d", top)
	}
	for _, i := range all {
		for h := uint64(1); h <= min(top, c.Nodes[i].Ledger.Height()); h++ {
			want, _ := c.Nodes[0].Ledger.HashByNumber(h)
			if got, _ := c.Nodes[i].Ledger.HashByNumber(h); got != want {
				t.Fatalf("block %d: node %d has %s, node 0 %s", h, i, got, want)
			}
		}
		if n := c.countTxs(i, 0); n != int(c.Nodes[i].Ledger.Height()) {
			t.Fatalf("node %d: %d txs in %d blocks (one each)", i, n, top)
		}
	}
}

// TestPipelinedSyncRebuild: a sealer that gets no checkpoints decides and
// executes two heights it cannot certify (one on the other, uncommitted);
// block sync then commits them under it. Its driver rebuilds the core on
// the synced head and goes on with the others.
func TestPipelinedSyncRebuild(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, true)
	all := []int{0, 1, 2, 3}
	h := c.commitOne(all...)

	c.setFilter(func(_, to int, data []byte) bool { return to == 3 && isCheckpoint(data) })
	var txs []*types.Transaction
	for k := range 2 {
		tx := c.NewTx(500)
		txs = append(txs, tx)
		c.Submit([]*types.Transaction{tx}, all...)
		c.WaitCommitted(txs, 0, 1, 2)
		c.waitStats("node 3 executes what the others commit", func(_ int, s Stats) bool { return s.Executed >= h+uint64(k)+1 }, 3)
	}
	c.syncFrom(3, 0, h+2) // unless it certified them from catch-up proofs meanwhile
	c.setFilter(nil)
	last := []*types.Transaction{c.NewTx(500)}
	c.Submit(last, all...)
	c.WaitCommitted(append(txs, last...), all...)
	c.checkSameChain(all...)
	for _, i := range all {
		if n := c.countTxs(i, h); n != 3 {
			t.Fatalf("node %d holds %d txs above %d, want 3", i, n, h)
		}
	}
	t.Logf("node 3: %d rebuilds, %d pipelined executions", c.Drivers[3].Stats().Rebuilds, c.Drivers[3].Stats().PipelinedExecs)
}

// The head's hash is kept for the head it was computed of: asked again for
// the same header it is not computed again, and a new head gets its own.
func TestHeadHashKeptPerHead(t *testing.T) {
	e := &Engine{suite: crypto.ECDSA()}
	h1 := &types.Header{Number: 7, GasLimit: 1}
	want1 := h1.Hash(e.suite)
	if got := e.headHash(h1); got != want1 {
		t.Fatalf("hash of head 7: %s, want %s", got, want1)
	}
	// Changed behind the memo's back (which a ledger head never is): the
	// kept hash is returned, showing it was not computed again.
	h1.GasLimit = 2
	if got := e.headHash(h1); got != want1 {
		t.Fatalf("second ask for head 7 computed the hash again: %s, want the kept %s", got, want1)
	}
	h2 := &types.Header{Number: 8, ParentHash: want1}
	if got, want := e.headHash(h2), h2.Hash(e.suite); got != want {
		t.Fatalf("hash of head 8: %s, want %s", got, want)
	}
}
