package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/raft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/drivertest"
	"github.com/gobcos/gobcos/types"
)

// memTransport carries a driver's messages to the cluster's other
// drivers, by public key.
type memTransport struct {
	c    *cluster
	self int
}

func (t *memTransport) Send(to []byte, data []byte) error {
	for i, pub := range t.c.Sealers {
		if string(pub) != string(to) {
			continue
		}
		if e, ok := t.c.Peer(t.self, i); ok {
			e.Deliver(t.c.Sealers[t.self], append([]byte(nil), data...))
		}
	}
	return nil
}

// traceLog records the block traces of one node.
type traceLog struct {
	mu sync.Mutex
	l  []consensus.BlockTrace
}

func (t *traceLog) BlockTraced(bt consensus.BlockTrace) {
	t.mu.Lock()
	t.l = append(t.l, bt)
	t.mu.Unlock()
}

func (t *traceLog) all() []consensus.BlockTrace {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.l)
}

// cluster is a set of sealers (drivertest.Cluster) running Raft drivers.
type cluster struct {
	*drivertest.Cluster[*Engine, Params]
	traces []traceLog // each node's block traces
}

// newCluster makes n sealers and builds their drivers, or starts them if
// run.
func newCluster(t *testing.T, suite crypto.Suite, n int, run bool) *cluster {
	c := &cluster{traces: make([]traceLog, n)}
	c.Cluster = drivertest.NewCluster(t, suite, n, func(_ *drivertest.Cluster[*Engine, Params], i int) Params {
		cc := raft.DefaultConfig()
		cc.Suite, cc.Key, cc.Sealers = c.Suite, c.Keys[i], c.Sealers
		cc.SnapshotEntries, cc.KeepEntries = 6, 2
		tn := c.Nodes[i]
		return Params{Config: Config{DriverConfig: drivertest.DriverConfig()}, Core: cc, KV: tn.KV, Ledger: drivertest.Ledger{Ledger: tn.Ledger, N: tn}, Executor: drivertest.Executor{N: tn},
			Pool: tn.Pool, Transport: &memTransport{c: c, self: i}, Tracer: &c.traces[i]}
	}, New)
	c.BuildAll(run)
	return c
}

// checkSameChain checks that nodes hold identical blocks, each signed by
// its leader, up to the lowest common height and returns it.
func (c *cluster) checkSameChain(nodes ...int) uint64 {
	c.T.Helper()
	return c.SameChain(c.Sealers, 1, nodes...)
}

// leader waits for a leader among the running nodes and returns it.
func (c *cluster) leader(skip ...int) int {
	c.T.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for i, e := range c.Drivers {
			if c.Up(i) && e.Status().Leader && !slices.Contains(skip, i) {
				return i
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.T.Fatalf("no leader; heights %v", c.Heights())
	return -1
}

func TestThreeDrivers(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, true)
	all := []int{0, 1, 2}
	batch := []*types.Transaction{c.NewTx(500), c.NewTx(500), c.NewTx(500)}
	c.Submit(batch, all...)
	c.WaitCommitted(batch, all...)
	c.checkSameChain(all...)
	st := c.Drivers[0].Status()
	if st.Engine != consensus.NameRaft || st.View == 0 || !st.Sealer || !st.Running {
		t.Fatalf("status %+v", st)
	}

	// Stop the leader: the other two elect a new one and go on.
	ld := c.leader()
	c.Stop(ld)
	rest := []int{}
	for _, i := range all {
		if i != ld {
			rest = append(rest, i)
		}
	}
	batch = []*types.Transaction{c.NewTx(500), c.NewTx(500)}
	c.Submit(batch, rest...)
	c.WaitCommitted(batch, rest...)

	// Restart it from its store: it catches up from the log or a snapshot.
	c.Restart(ld)
	more := []*types.Transaction{c.NewTx(500)}
	c.Submit(more, all...)
	c.WaitCommitted(append(batch, more...), all...)
	c.checkSameChain(all...)
	// The leaders committed their blocks with the roots computed when
	// sealing them, the followers with those computed when checking them.
	for i, tn := range c.Nodes {
		if n, re := tn.Commits.Load(), tn.RootsRecomputed.Load(); n == 0 || re != 0 {
			t.Errorf("node %d: %d of its %d commits computed the roots again", i, re, n)
		}
	}
}

func TestProposeConfChangeThroughDriver(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, true)
	ld := c.leader()
	extra, err := c.Suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	f := (ld + 1) % 3
	if err := c.Drivers[f].ProposeConfChange(c.Ctx, raft.AddLearner, extra.PublicKey()); !errors.Is(err, raft.ErrNotLeader) {
		t.Fatalf("follower: %v", err)
	}
	if err := c.Drivers[ld].ProposeConfChange(c.Ctx, raft.AddLearner, extra.PublicKey()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(c.Drivers[f].Signers()) != 4 {
		if time.Now().After(deadline) {
			t.Fatal("learner never added")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if l := c.Drivers[f].Stats().Core.Learners; len(l) != 1 || l[0] != raft.NodeID(c.Suite, extra.PublicKey()) {
		t.Fatalf("learners %v", l)
	}
	// The learner is down: the three voters still commit.
	batch := []*types.Transaction{c.NewTx(500)}
	c.Submit(batch, 0, 1, 2)
	c.WaitCommitted(batch, 0, 1, 2)
}

func TestSetMembers(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, true)
	c.leader()
	if err := c.Drivers[0].SetMembers(nil, nil); !errors.Is(err, raft.ErrBadConfChange) {
		t.Fatalf("empty list: %v", err)
	}
	// Demote node 2 to learner on every node, as governance would.
	for _, e := range c.Drivers {
		if err := e.SetMembers(c.Sealers[:2], c.Sealers[2:]); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := c.Drivers[2].Stats().Core
		if len(st.Voters) == 2 && len(st.Learners) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("configuration not reached: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c.Drivers[2].Status().Sealer {
		t.Fatal("a learner reports itself a sealer")
	}
	// The learner still applies blocks.
	batch := []*types.Transaction{c.NewTx(500)}
	c.Submit(batch, 0, 1, 2)
	c.WaitCommitted(batch, 0, 1, 2)
}

// TestBlockTraces checks the flow traces: every node traces each block it
// applies, with the raft term as view and the block's hash; the leader
// that sealed a block reports the seal and replicate phases, a follower
// none.
func TestBlockTraces(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, true)
	all := []int{0, 1, 2}
	batch := []*types.Transaction{c.NewTx(500), c.NewTx(500), c.NewTx(500)}
	c.Submit(batch, all...)
	c.WaitCommitted(batch, all...)
	top := c.checkSameChain(all...)
	// A node traces a block just after committing it: wait for the traces
	// of the blocks the test saw committed.
	for _, i := range all {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			traced := uint64(0)
			for _, bt := range c.traces[i].all() {
				traced = max(traced, bt.Number)
			}
			if traced >= top {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d traced blocks up to %d of %d", i, traced, top)
			}
		}
	}
	proposed := 0
	for _, i := range all {
		tn, traces := c.Nodes[i], c.traces[i].all()
		if len(traces) == 0 {
			t.Fatalf("node %d traced no block", i)
		}
		for _, bt := range traces {
			hash, err := tn.Ledger.HashByNumber(bt.Number)
			if err != nil || hash != bt.Hash {
				t.Fatalf("node %d: trace of block %d has hash %v, the ledger %v", i, bt.Number, bt.Hash, hash)
			}
			b, err := tn.Ledger.BlockByNumber(bt.Number)
			if err != nil {
				t.Fatal(err)
			}
			term, _, err := raft.DecodeExtra(b.Header.Extra)
			if err != nil || bt.View != term || term == 0 {
				t.Fatalf("node %d block %d: trace view %d, raft term %d (%v)", i, bt.Number, bt.View, term, err)
			}
			if bt.Txs != len(b.Txs) || bt.Total <= 0 || bt.Execute <= 0 {
				t.Fatalf("node %d block %d: trace %+v", i, bt.Number, bt)
			}
			if bt.Proposer {
				proposed++
				if len(bt.Phases) != 2 || bt.Phases[0].Name != consensus.PhaseSeal || bt.Phases[1].Name != consensus.PhaseReplicate {
					t.Fatalf("leader's trace of block %d: phases %+v", bt.Number, bt.Phases)
				}
				if b.Header.Sealer != c.Suite.Address(c.Keys[i].PublicKey()) {
					t.Fatalf("node %d traced block %d as its own, sealed by %v", i, bt.Number, b.Header.Sealer)
				}
			} else if len(bt.Phases) != 0 {
				t.Fatalf("follower's trace of block %d: phases %+v", bt.Number, bt.Phases)
			}
		}
	}
	if proposed == 0 {
		t.Fatal("no trace marks its node as the block's proposer")
	}
}

// syncingExec commits, at its first execution, the block being executed
// through sync (as the node's block syncer may meanwhile) and then fails
// as the node's executor does when the ledger head moved.
type syncingExec struct {
	Executor
	sync func()
	done bool
}

func (x *syncingExec) ExecuteBlock(ctx context.Context, env consensus.BlockEnv, root common.Hash, txs []*types.Transaction) (*consensus.Result, error) {
	if !x.done {
		x.done = true
		x.sync()
		return nil, fmt.Errorf("test: the ledger head moved: block %d is no longer the head's child", env.Number)
	}
	return x.Executor.ExecuteBlock(ctx, env, root, txs)
}

// TestApplyBlockSyncedMeanwhile: a committed block that the block syncer
// commits while the driver applies it is applied, not a fatal error (two
// of 4 Raft nodes stopped so under load) nor a rejected block.
func TestApplyBlockSyncedMeanwhile(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, true)
	c.Stop(2)
	for range 2 { // two blocks at least
		batch := []*types.Transaction{c.NewTx(500), c.NewTx(500)}
		c.Submit(batch, 0, 1)
		c.WaitCommitted(batch, 0, 1)
	}
	e, dst := c.Drivers[2], c.Nodes[2].Ledger
	parent := dst.Head()
	b, err := c.Nodes[0].Ledger.BlockByNumber(parent.Number + 1)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([][]byte, len(b.Txs))
	senders := make([]common.Address, len(b.Txs))
	for i, tx := range b.Txs {
		raw[i] = tx.Bytes()
		if senders[i], err = tx.Verify(c.Suite, drivertest.ChainID, drivertest.GroupID); err != nil {
			t.Fatal(err)
		}
	}
	synced := func() {
		res, err := drivertest.Executor{N: c.Nodes[2]}.ExecuteBlock(t.Context(), e.env(parent, b.Header.Timestamp, b.Header.Sealer), parent.StateRoot, b.Txs)
		if err != nil {
			t.Fatal(err)
		}
		if err := (drivertest.Ledger{Ledger: dst}).Commit(b, res.Receipts, senders, res.State, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.exec = &syncingExec{Executor: e.exec, sync: synced}
	if err := (&app{e: e, ctx: t.Context()}).Apply(b.Header, raw); err != nil {
		t.Fatalf("applying block %d, committed by sync meanwhile: %v", b.Header.Number, err)
	}
	// A failure stays one when the ledger does not hold the block: the
	// next block without its txs does not execute to its header.
	next, err := c.Nodes[0].Ledger.BlockByNumber(b.Header.Number + 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Txs) == 0 {
		t.Fatalf("block %d holds no tx", next.Header.Number)
	}
	if err := (&app{e: e, ctx: t.Context()}).Apply(next.Header, nil); err == nil {
		t.Fatalf("block %d applied without its txs", next.Header.Number)
	}
}
