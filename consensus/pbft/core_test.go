package pbft

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus/enginetest"
)

func TestNormalCase(t *testing.T) {
	c := newCluster(t, 4, nil)
	c.addTxs(3)
	c.runUntil(50, "block 1 committed everywhere", c.allAt(1))
	c.checkChains()
	for _, nd := range c.nodes {
		b := nd.ledger.Block(1)
		if len(b.Txs) != 3 {
			t.Fatalf("node %d: block 1 has %d txs, want 3", nd.idx, len(b.Txs))
		}
		if len(b.Header.Signatures) < Quorum(4) {
			t.Fatalf("node %d: %d signatures", nd.idx, len(b.Header.Signatures))
		}
		p := &Proposal{Height: 1, Parent: c.genesis.Hash(c.suite), Timestamp: b.Header.Timestamp,
			Proposer: uint64(nd.core.Leader(1, 0)), Txs: b.Txs}
		if common.BytesToHash(b.Header.Extra) != p.Digest(c.suite) {
			t.Fatalf("header Extra is not the proposal digest")
		}
		st := nd.core.Status()
		if st.Stats.ViewChanges != 0 || st.View != 0 || st.Finalized != 1 || st.Height != 2 {
			t.Fatalf("node %d status %+v", nd.idx, st)
		}
		if d := st.Drops; d.Total() != d[DropOldHeight]+d[DropDuplicate]+d[DropSurplus] {
			t.Fatalf("node %d dropped unexpected messages: %v", nd.idx, d.Map())
		}
	}
	// More transactions make more blocks on the same chain.
	c.addTxs(5)
	c.runUntil(100, "all 8 txs committed", c.allCommitted(8))
	c.checkChains()
}

func TestLeaderRotationWithPeriod(t *testing.T) {
	c := newCluster(t, 4, func(cfg *Config) { cfg.LeaderPeriod = 2 })
	for h := uint64(1); h <= 7; h++ {
		c.addTxs(1)
		c.runUntil(60, "next block", c.allAt(h))
	}
	c.checkChains()
	for h := uint64(1); h <= 7; h++ {
		want := c.suite.Address(c.pubs[(h/2)%4])
		if got := c.nodes[0].ledger.Block(h).Header.Sealer; got != want {
			t.Fatalf("block %d sealed by %s, want leader %d (%s)", h, got, (h/2)%4, want)
		}
	}
	if vc := c.nodes[0].core.Status().Stats.ViewChanges; vc != 0 {
		t.Fatalf("%d view changes in a healthy network", vc)
	}
}

func TestViewChangeOnDeadLeader(t *testing.T) {
	c := newCluster(t, 4, nil)
	dead := c.nodes[0].core.Leader(1, 0)
	c.crash(dead)
	c.addTxs(2)
	c.runUntil(200, "block 1 committed by the live nodes", c.allAt(1))
	c.checkChains()
	for i, nd := range c.nodes {
		if i == dead {
			continue
		}
		st := nd.core.Status()
		if st.Stats.ViewChanges == 0 || nd.ledger.Block(1).Header.Sealer == c.suite.Address(c.pubs[dead]) {
			t.Fatalf("node %d: no view change away from the dead leader (%+v)", i, st)
		}
	}
	// The dead leader comes back, catches up and the chain goes on.
	c.restart(dead)
	c.addTxs(2)
	c.runUntil(300, "block 2 everywhere", c.allAt(2))
	c.checkChains()
}

func TestPreparedValueCarriedAcrossViewChange(t *testing.T) {
	c := newCluster(t, 4, nil)
	leader := c.nodes[0].core.Leader(1, 0)
	// Lose every commit: the proposal gets prepared but not decided.
	c.drop = func(from, to int, m *Message) bool { return m.Kind == KindEnvelope && m.Env.Type == MsgCommit }
	c.addTxs(2)
	for range 3 {
		c.tick()
	}
	var prepared common.Hash
	for i, nd := range c.nodes {
		pc := nd.core.round.prepared
		if pc == nil {
			t.Fatalf("node %d did not prepare", i)
		}
		prepared = pc.Digest
	}
	// The leader dies; new transactions arrive, so a fresh proposal would differ.
	c.crash(leader)
	c.drop = func(from, to int, m *Message) bool {
		return m.Kind == KindEnvelope && m.Env.Type == MsgCommit && m.Env.View == 0
	}
	c.addTxs(3)
	c.runUntil(300, "block 1 committed by the live nodes", c.allAt(1))
	c.checkChains()
	for i, nd := range c.nodes {
		if i == leader {
			continue
		}
		b := nd.ledger.Block(1)
		if common.BytesToHash(b.Header.Extra) != prepared || len(b.Txs) != 2 {
			t.Fatalf("node %d committed %x with %d txs, want the prepared proposal %s", i, b.Header.Extra, len(b.Txs), prepared)
		}
		if b.Header.Sealer != c.suite.Address(c.pubs[leader]) {
			t.Fatalf("the carried proposal should keep its proposer")
		}
		if nd.core.Status().Stats.NewViews == 0 {
			t.Fatalf("node %d never entered a new view", i)
		}
	}
}

func TestRestartNeverDoubleSigns(t *testing.T) {
	c := newCluster(t, 4, nil)
	leader := c.nodes[0].core.Leader(1, 0)
	victim := (leader + 1) % 4
	// Only the victim hears the first proposal.
	c.drop = func(from, to int, m *Message) bool { return to != victim }
	c.addTxs(1)
	c.tick()
	nd := c.nodes[victim]
	prepares := nd.sentOf(MsgPrepare)
	if len(prepares) != 1 {
		t.Fatalf("victim sent %d prepares, want 1", len(prepares))
	}
	signed := prepares[0].Digest
	// The victim crashes and restarts from its persisted state.
	c.crash(victim)
	c.q = nil
	c.restart(victim)
	// The equivocating leader now sends the victim another proposal for the
	// same height and view.
	lc := c.nodes[leader].core
	alt := &Proposal{Height: 1, Parent: c.genesis.Hash(c.suite), Timestamp: 99, Proposer: uint64(leader),
		Txs: [][]byte{enginetest.MakeTx(c.suite, 1000)}}
	env := &Envelope{Type: MsgPrePrepare, Height: 1, View: 0, Digest: alt.Digest(c.suite)}
	if !lc.sign(env) {
		t.Fatal("sign")
	}
	nd.sent = nil
	err := nd.core.Step(leader, EncodeEnvelope(env, alt))
	c.process(nd)
	if err == nil {
		t.Fatal("the restarted node accepted a second proposal for a height and view it voted in")
	}
	for _, e := range nd.sentOf(MsgPrepare) {
		if e.Digest != signed {
			t.Fatalf("restarted node signed a second prepare: %s after %s", e.Digest, signed)
		}
	}
	if nd.core.Drops()[DropEquivocation] == 0 {
		t.Fatalf("equivocation not counted: %v", nd.core.Drops().Map())
	}
	// Asking the core directly to vote otherwise is refused too.
	if nd.core.vote(MsgPrepare, 0, alt.Digest(c.suite)) {
		t.Fatal("vote accepted a conflicting prepare")
	}
	// The network heals and the chain proceeds.
	c.drop = nil
	c.runUntil(300, "block 1 everywhere", c.allAt(1))
	c.checkChains()
}

func TestHeartbeatsKeepIdleChainQuiet(t *testing.T) {
	c := newCluster(t, 4, nil)
	for range 10 * int(c.cfg.TimeoutTicks) {
		c.tick()
	}
	leader := c.nodes[0].core.Leader(1, 0)
	for i, nd := range c.nodes {
		st := nd.core.Status()
		if st.Stats.ViewChanges != 0 || st.View != 0 || nd.ledger.Height() != 0 {
			t.Fatalf("idle chain: node %d changed view or height: %+v", i, st)
		}
		for _, m := range nd.sent {
			if m.Kind != KindEnvelope || m.Env.Type != MsgHeartbeat || i != leader {
				t.Fatalf("idle chain: node %d sent something else than a leader heartbeat: %+v", i, m.Env)
			}
		}
	}
	if n := len(c.nodes[leader].sentOf(MsgHeartbeat)); n < 10 {
		t.Fatalf("leader sent %d heartbeats", n)
	}
	// An idle leader that dies is replaced: without heartbeats the
	// replicas change view even with nothing to order.
	c.crash(leader)
	c.runUntil(100, "a view change", func() bool { return c.nodes[(leader+1)%4].core.Status().View > 0 })
}

func TestLeaderNotProposingIsReplaced(t *testing.T) {
	c := newCluster(t, 4, nil)
	leader := c.nodes[0].core.Leader(1, 0)
	c.nodes[leader].noPropose = true // it heartbeats but censors
	c.addTxs(1)
	c.runUntil(200, "block 1 committed", c.allAt(1))
	if c.nodes[0].ledger.Block(1).Header.Sealer == c.suite.Address(c.pubs[leader]) {
		t.Fatal("the censoring leader sealed the block")
	}
}

func TestPipelineWindow(t *testing.T) {
	c := newCluster(t, 4, func(cfg *Config) { cfg.Window = 2 })
	for _, nd := range c.nodes {
		nd.holdExec = true
	}
	c.addTxs(1)
	c.runUntil(50, "height 1 decided", func() bool { return c.nodes[0].core.Status().Decided >= 1 })
	c.addTxs(1)
	c.runUntil(50, "height 2 decided while 1 is not executed", func() bool { return c.nodes[0].core.Status().Decided >= 2 })
	c.addTxs(1)
	for range 40 {
		c.tick()
	}
	st := c.nodes[0].core.Status()
	if st.Decided != 2 || st.Finalized != 0 || st.Stats.ViewChanges != 0 {
		t.Fatalf("window 2 with nothing executed: %+v", st)
	}
	for _, nd := range c.nodes {
		nd.holdExec = false
		c.execute(nd)
	}
	c.deliver()
	c.runUntil(100, "all 3 blocks committed", c.allAt(3))
	c.checkChains()
	for _, nd := range c.nodes {
		if nd.core.Status().Stats.ViewChanges != 0 {
			t.Fatalf("node %d changed view while the pipeline was full", nd.idx)
		}
	}
}

func TestLaggardCatchesUp(t *testing.T) {
	c := newCluster(t, 4, func(cfg *Config) { cfg.RetainBlocks = 2 })
	lag := (c.nodes[0].core.Leader(1, 0) + 1) % 4
	c.crash(lag)
	for h := uint64(1); h <= 6; h++ {
		c.addTxs(1)
		c.runUntil(100, "next block", c.allAt(h))
	}
	// The laggard misses more blocks than its peers retain: it asks for a
	// sync, gets the blocks and follows the chain again.
	c.restart(lag)
	nd := c.nodes[lag]
	c.runUntil(300, "a sync request", func() bool { return nd.syncReq != nil })
	if nd.syncReq.From != 1 || nd.syncReq.To < 6 || len(nd.syncReq.Peers) < 2 {
		t.Fatalf("sync request %+v", nd.syncReq)
	}
	syncFrom(t, c, nd, c.nodes[nd.syncReq.Peers[0]])
	c.addTxs(1)
	c.runUntil(200, "block 7 everywhere", c.allAt(7))
	c.checkChains()
}

func TestShortLaggardCatchesUpWithoutSync(t *testing.T) {
	c := newCluster(t, 4, nil)
	lag := (c.nodes[0].core.Leader(1, 0) + 1) % 4
	c.crash(lag)
	for h := uint64(1); h <= 3; h++ {
		c.addTxs(1)
		c.runUntil(100, "next block", c.allAt(h))
	}
	c.restart(lag)
	c.runUntil(300, "the laggard at height 3", c.allAt(3))
	if nd := c.nodes[lag]; nd.syncReq != nil || nd.core.Status().Stats.Finalized != 3 {
		t.Fatalf("laggard used sync %+v or did not finalize: %+v", nd.syncReq, nd.core.Status())
	}
	c.checkChains()
}

// syncFrom feeds a node the blocks of a peer's ledger, as a sync would.
func syncFrom(t *testing.T, c *cluster, nd, peer *tnode) {
	t.Helper()
	for h := nd.ledger.Height() + 1; h <= peer.ledger.Height(); h++ {
		b := peer.ledger.Block(h)
		if err := nd.core.SyncedBlock(b.Header, b.Txs); err != nil {
			t.Fatalf("synced block %d: %v", h, err)
		}
		c.process(nd)
	}
}

// heldExecution starts a 4-node cluster whose node 0 holds its
// executions, and returns it, node 0 and node 0's first execution
// request, taken off its queue.
func heldExecution(t *testing.T) (*cluster, *tnode, ExecRequest) {
	c := newCluster(t, 4, nil)
	nd := c.nodes[0]
	nd.holdExec = true
	c.addTxs(1)
	c.runUntil(50, "node 0 asked to execute height 1", func() bool { return len(nd.execQ) > 0 })
	req := nd.execQ[0]
	nd.execQ = nd.execQ[1:]
	return c, nd, req
}

// failExecution reports req failed for a passing cause (bodies being
// fetched) and checks that it is not asked again at once.
func failExecution(t *testing.T, c *cluster, nd *tnode, req ExecRequest) {
	t.Helper()
	if err := nd.core.Executed(req.Height, nil, errors.New("tx bodies of the proposal are being fetched")); err != nil {
		t.Fatal(err)
	}
	c.process(nd)
	if len(nd.execQ) != 0 {
		t.Fatalf("execution asked again at once: %+v", nd.execQ)
	}
}

// releaseHeld lets nd execute again and runs the cluster until block 1 is
// committed everywhere, on one chain.
func releaseHeld(c *cluster, nd *tnode) {
	nd.holdExec = false
	c.execute(nd)
	c.deliver()
	c.runUntil(50, "block 1 committed everywhere", c.allAt(1))
	c.checkChains()
}

// TestFailedExecutionRetriedNextTick: an execution that fails (bodies
// being fetched, the ledger moved) is asked again at the next tick, not
// after ResendTicks, and the block is then committed.
func TestFailedExecutionRetriedNextTick(t *testing.T) {
	c, nd, req := heldExecution(t)
	failExecution(t, c, nd, req)
	if c.cfg.ResendTicks < 2 {
		t.Fatalf("ResendTicks %d: the test needs at least 2", c.cfg.ResendTicks)
	}
	c.tick()
	if len(nd.execQ) != 1 || nd.execQ[0].Height != req.Height {
		t.Fatalf("after one tick, execution requests %+v; want height %d again", nd.execQ, req.Height)
	}
	releaseHeld(c, nd)
}

// TestNoWriteForCommitAlone: acknowledging a commit (Advance) does not by
// itself ask for a HardState write; a sealer restarted from the HardState
// written before the commit (which still lists the committed height as
// decided) skips that height and goes on with the others.
func TestNoWriteForCommitAlone(t *testing.T) {
	c := newCluster(t, 4, nil)
	c.addTxs(2)
	c.runUntil(50, "block 1 committed everywhere", c.allAt(1))
	for _, nd := range c.nodes {
		if nd.commitWrites != 0 {
			t.Fatalf("node %d: %d HardState writes asked for by commits alone", nd.idx, nd.commitWrites)
		}
	}
	hs, err := DecodeHardState(c.nodes[1].store.Get("hs"))
	if err != nil {
		t.Fatal(err)
	}
	stale := false
	for _, d := range hs.Decided {
		stale = stale || d.Height <= c.nodes[1].ledger.Height()
	}
	if !stale {
		t.Fatalf("node 1's HardState %+v lists no committed height; the restart below tests nothing", hs.Decided)
	}
	c.crash(1)
	c.restart(1)
	c.addTxs(3)
	c.runUntil(200, "all 5 txs committed everywhere", c.allCommitted(5))
	c.checkChains()
}

// TestMustSyncForVotesOnly: every vote a sealer sends is in a state its
// driver was asked to sync first (Ready.MustSync), and the states that
// hold only what the sealer learns again after a crash (a decision, the
// next height, a finalized block) are not asked to be synced.
func TestMustSyncForVotesOnly(t *testing.T) {
	c := newCluster(t, 4, nil)
	c.addTxs(3)
	c.runUntil(50, "block 1 committed everywhere", c.allAt(1))
	c.addTxs(3)
	c.runUntil(100, "block 2 committed everywhere", c.allAt(2))
	for _, nd := range c.nodes {
		if len(nd.unsyncedVotes) > 0 {
			t.Errorf("node %d sent votes its synced state did not hold: %v", nd.idx, nd.unsyncedVotes)
		}
		// Per block: the decision (with the next height) and the
		// finalized block's certificate.
		if nd.lazyWrites < 2 {
			t.Errorf("node %d: %d states written without sync over 2 blocks, want at least 2", nd.idx, nd.lazyWrites)
		}
	}
}

// TestFailedExecutionRetriedOnRetryExecution: an execution that failed
// for a passing cause is asked again as soon as the driver says the cause
// may have cleared (RetryExecution), without waiting for a tick; with no
// failed execution waiting, RetryExecution asks for nothing.
func TestFailedExecutionRetriedOnRetryExecution(t *testing.T) {
	c, nd, req := heldExecution(t)
	nd.core.RetryExecution() // nothing failed: the request is still outstanding
	c.process(nd)
	if len(nd.execQ) != 0 {
		t.Fatalf("execution asked again while outstanding: %+v", nd.execQ)
	}
	failExecution(t, c, nd, req)
	nd.core.RetryExecution()
	c.process(nd)
	if len(nd.execQ) != 1 || nd.execQ[0].Height != req.Height {
		t.Fatalf("after RetryExecution and no tick, execution requests %+v; want height %d again", nd.execQ, req.Height)
	}
	releaseHeld(c, nd)
}
