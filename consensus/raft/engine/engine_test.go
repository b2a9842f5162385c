package engine

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/raft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/drivertest"
	"github.com/gobcos/gobcos/types"
)

// memNet is an in-memory transport between drivers: no TLS, no loss
// except to nodes that are down.
type memNet struct {
	mu    sync.Mutex
	nodes []*Engine    // nil while a node is down
	cut   map[int]bool // nodes partitioned from all others
}

type memTransport struct {
	net  *memNet
	self int
	pubs [][]byte
}

func (t *memTransport) Send(to []byte, data []byte) error {
	for i, pub := range t.pubs {
		if string(pub) != string(to) {
			continue
		}
		t.net.mu.Lock()
		e := t.net.nodes[i]
		if t.net.cut[i] || t.net.cut[t.self] {
			e = nil
		}
		t.net.mu.Unlock()
		if e != nil {
			e.Deliver(t.pubs[t.self], append([]byte(nil), data...))
		}
	}
	return nil
}

// testNode is one sealer (drivertest.Node: a real ledger, executor and
// txpool over a memory store) with its driver.
type testNode struct {
	*drivertest.Node
	engine *Engine
	traces traceLog
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

// cluster is a set of sealers (drivertest.Chain) and their network.
type cluster struct {
	*drivertest.Chain
	keys    []crypto.PrivateKey
	sealers [][]byte
	net     *memNet
	nodes   []*testNode
}

func newCluster(t *testing.T, suite crypto.Suite, n int, run bool) *cluster {
	c := &cluster{Chain: drivertest.NewChain(t, suite, n), net: &memNet{nodes: make([]*Engine, n), cut: make(map[int]bool)}}
	for i := range n {
		k, err := suite.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		c.keys = append(c.keys, k)
		c.sealers = append(c.sealers, k.PublicKey())
		c.nodes = append(c.nodes, &testNode{Node: c.Nodes[i]})
	}
	for i := range n {
		if run {
			c.start(i)
		} else {
			c.build(i)
		}
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
	})
	return c
}

// start (re)starts node i's driver on its store, as a restarted process
// would; mod adjusts its parameters.
func (c *cluster) start(i int, mod ...func(*Params)) {
	e := c.build(i, mod...)
	c.net.mu.Lock()
	c.net.nodes[i] = e
	c.net.mu.Unlock()
	if err := e.Start(c.Ctx); err != nil {
		c.T.Fatal(err)
	}
}

// build makes node i's driver without starting it; mod adjusts its
// parameters.
func (c *cluster) build(i int, mod ...func(*Params)) *Engine {
	tn := c.nodes[i]
	cc := raft.DefaultConfig()
	cc.Suite, cc.Key, cc.Sealers = c.Suite, c.keys[i], c.sealers
	cc.SnapshotEntries, cc.KeepEntries = 6, 2
	cfg := DefaultConfig()
	cfg.ChainID, cfg.GroupID, cfg.BlockGasLimit = drivertest.ChainID, drivertest.GroupID, drivertest.GasLimit
	cfg.TickInterval = 20 * time.Millisecond
	p := Params{Config: cfg, Core: cc, KV: tn.KV, Ledger: drivertest.Ledger{Ledger: tn.Ledger}, Executor: drivertest.Executor{N: tn.Node},
		Pool: tn.Pool, Transport: &memTransport{net: c.net, self: i, pubs: c.sealers}, Tracer: &tn.traces}
	for _, m := range mod {
		m(&p)
	}
	e, err := New(p)
	if err != nil {
		c.T.Fatal(err)
	}
	tn.engine = e
	return e
}

func (c *cluster) stop(i int) {
	c.net.mu.Lock()
	c.net.nodes[i] = nil
	c.net.mu.Unlock()
	if e := c.nodes[i].engine; e != nil {
		if err := e.Stop(); err != nil {
			c.T.Error(err)
		}
	}
}

// restart simulates a process restart: a new ledger, pool and driver over
// the node's surviving store.
func (c *cluster) restart(i int) {
	c.nodes[i].Reopen(c.T, c.Suite)
	c.start(i)
}

// checkSameChain checks that nodes hold identical blocks, each signed by
// its leader, up to the lowest common height and returns it.
func (c *cluster) checkSameChain(nodes ...int) uint64 {
	c.T.Helper()
	return c.SameChain(c.sealers, 1, nodes...)
}

// leader waits for a leader among the running nodes and returns it.
func (c *cluster) leader(skip ...int) int {
	c.T.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for i, tn := range c.nodes {
			c.net.mu.Lock()
			up := c.net.nodes[i] != nil && !c.net.cut[i]
			c.net.mu.Unlock()
			if up && tn.engine.Status().Leader && !contains(skip, i) {
				return i
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.T.Fatalf("no leader; heights %v", c.Heights())
	return -1
}

func contains(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func TestThreeDrivers(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, true)
	all := []int{0, 1, 2}
	batch := []*types.Transaction{c.NewTx(500), c.NewTx(500), c.NewTx(500)}
	c.Submit(batch, all...)
	c.WaitCommitted(batch, all...)
	c.checkSameChain(all...)
	st := c.nodes[0].engine.Status()
	if st.Engine != consensus.NameRaft || st.View == 0 || !st.Sealer || !st.Running {
		t.Fatalf("status %+v", st)
	}

	// Stop the leader: the other two elect a new one and go on.
	ld := c.leader()
	c.stop(ld)
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
	c.restart(ld)
	more := []*types.Transaction{c.NewTx(500)}
	c.Submit(more, all...)
	c.WaitCommitted(append(batch, more...), all...)
	c.checkSameChain(all...)
}

func TestProposeConfChangeThroughDriver(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, true)
	ld := c.leader()
	extra, err := c.Suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	f := (ld + 1) % 3
	if err := c.nodes[f].engine.ProposeConfChange(c.Ctx, raft.AddLearner, extra.PublicKey()); !errors.Is(err, raft.ErrNotLeader) {
		t.Fatalf("follower: %v", err)
	}
	if err := c.nodes[ld].engine.ProposeConfChange(c.Ctx, raft.AddLearner, extra.PublicKey()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(c.nodes[f].engine.Signers()) != 4 {
		if time.Now().After(deadline) {
			t.Fatal("learner never added")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if l := c.nodes[f].engine.Stats().Core.Learners; len(l) != 1 || l[0] != raft.NodeID(c.Suite, extra.PublicKey()) {
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
	if err := c.nodes[0].engine.SetMembers(nil, nil); !errors.Is(err, raft.ErrBadConfChange) {
		t.Fatalf("empty list: %v", err)
	}
	// Demote node 2 to learner on every node, as governance would.
	for _, tn := range c.nodes {
		if err := tn.engine.SetMembers(c.sealers[:2], c.sealers[2:]); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := c.nodes[2].engine.Stats().Core
		if len(st.Voters) == 2 && len(st.Learners) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("configuration not reached: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c.nodes[2].engine.Status().Sealer {
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
	c.checkSameChain(all...)
	proposed := 0
	for _, i := range all {
		tn := c.nodes[i]
		traces := tn.traces.all()
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
				if b.Header.Sealer != c.Suite.Address(c.keys[i].PublicKey()) {
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
