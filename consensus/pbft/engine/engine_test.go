package engine

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/drivertest"
	"github.com/gobcos/gobcos/types"
)

// memTransport carries a driver's messages to the cluster's other
// drivers, by index; it is also the driver's tx fetch transport.
type memTransport struct {
	c    *cluster
	self int
}

func (t *memTransport) deliver(to int, data []byte) {
	t.deliverAs(t.self, to, data)
}

// deliverAs hands data to cluster node to as coming from sealer index
// from.
func (t *memTransport) deliverAs(from, to int, data []byte) {
	t.c.fmu.Lock()
	filter := t.c.filter
	t.c.fmu.Unlock()
	if filter != nil && filter(t.self, to, data) {
		return
	}
	if e, ok := t.c.Peer(t.self, to); ok {
		e.Deliver(from, append([]byte(nil), data...))
	}
}

func (t *memTransport) Send(to int, data []byte) error {
	t.deliver(to, data)
	return nil
}

func (t *memTransport) Broadcast(data []byte) error {
	for i := range t.c.Drivers {
		if i != t.self {
			t.deliver(i, data)
		}
	}
	return nil
}

// SendFetch carries tx fetch messages; answers of noServe nodes are
// lost, those of corrupt nodes carry the cluster's wrong body instead.
func (t *memTransport) SendFetch(to int, data []byte) error {
	e, ok := t.c.Peer(t.self, to)
	if m, err := DecodeFetch(data, 1<<30); err == nil && m.Kind == FetchResponse {
		t.c.fmu.Lock()
		if t.c.noServe[t.self] {
			ok = false
		}
		if t.c.corrupt[t.self] && len(m.Bodies) > 0 {
			m.Bodies = [][]byte{t.c.wrong}
			data = EncodeFetch(m)
		}
		t.c.fmu.Unlock()
	}
	if ok {
		e.DeliverFetch(t.self, append([]byte(nil), data...))
	}
	return nil
}

// cluster is a set of sealers (drivertest.Cluster) running PBFT drivers,
// whose tx fetch answers tests can lose or corrupt per node.
type cluster struct {
	*drivertest.Cluster[*Engine, Params]
	rules consensus.RulesSource // nil: none (proposals carry tx bodies)

	fmu     sync.Mutex
	noServe map[int]bool // nodes whose tx fetch answers are lost
	corrupt map[int]bool // nodes whose tx fetch answers carry wrong instead
	wrong   []byte
	// filter, when set, drops the consensus messages it returns true for.
	filter func(from, to int, data []byte) bool
	// window is the drivers' core Window (newClusterWith: 2).
	window uint64
}

// setFilter sets (nil: clears) the consensus message filter.
func (c *cluster) setFilter(f func(from, to int, data []byte) bool) {
	c.fmu.Lock()
	c.filter = f
	c.fmu.Unlock()
}

// newCluster makes n sealers and builds their drivers, or starts them if
// run.
func newCluster(t *testing.T, suite crypto.Suite, n int, run bool) *cluster {
	return newClusterWith(t, suite, n, run, nil)
}

// newClusterWith is newCluster whose drivers follow rules.
func newClusterWith(t *testing.T, suite crypto.Suite, n int, run bool, rules consensus.RulesSource) *cluster {
	return newClusterWindow(t, suite, n, run, rules, 2)
}

// newClusterWindow is newClusterWith whose drivers run the core Window w.
func newClusterWindow(t *testing.T, suite crypto.Suite, n int, run bool, rules consensus.RulesSource, w uint64) *cluster {
	c := &cluster{rules: rules, noServe: make(map[int]bool), corrupt: make(map[int]bool), window: w}
	c.Cluster = drivertest.NewCluster(t, suite, n, func(_ *drivertest.Cluster[*Engine, Params], i int) Params {
		cc := pbft.DefaultConfig()
		cc.Suite, cc.Key, cc.Sealers, cc.Domain = c.Suite, c.Keys[i], c.Sealers, []byte("test/group0")
		cc.Window = c.window
		cc.TimeoutTicks, cc.HeartbeatTicks, cc.ResendTicks, cc.SyncTicks = 40, 5, 10, 25
		cfg := DefaultConfig()
		cfg.ChainID, cfg.GroupID, cfg.BlockGasLimit = drivertest.ChainID, drivertest.GroupID, drivertest.GasLimit
		cfg.TickInterval = 20 * time.Millisecond
		tn := c.Nodes[i]
		tr := &memTransport{c: c, self: i}
		return Params{Config: cfg, Core: cc, KV: tn.KV, Ledger: drivertest.Ledger{Ledger: tn.Ledger, N: tn}, Executor: drivertest.Executor{N: tn},
			Pool: tn.Pool, Transport: tr, Fetch: tr, Rules: c.rules}
	}, New)
	for i := range n {
		if run {
			c.Start(i)
		} else {
			c.Build(i)
		}
	}
	return c
}

// checkSameChain checks that nodes hold identical blocks, each with a
// quorum certificate, up to the lowest common height and returns it.
func (c *cluster) checkSameChain(nodes ...int) uint64 {
	c.T.Helper()
	return c.SameChain(c.Sealers, pbft.Quorum(len(c.Sealers)), nodes...)
}

// commitOne has nodes commit one tx sent to all of them and returns
// their common height (checkSameChain).
func (c *cluster) commitOne(nodes ...int) uint64 {
	c.T.Helper()
	txs := []*types.Transaction{c.NewTx(500)}
	c.Submit(txs, nodes...)
	c.WaitCommitted(txs, nodes...)
	return c.checkSameChain(nodes...)
}

func TestFourDrivers(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, true)
	all := []int{0, 1, 2, 3}

	// Txs gossiped to every pool.
	batch := []*types.Transaction{c.NewTx(500), c.NewTx(500), c.NewTx(500)}
	c.Submit(batch, all...)
	c.WaitCommitted(batch, all...)

	// A tx only f+1 sealers hold (as if gossip missed the others): a leader
	// without it only heartbeats, which does not hold off the timers of
	// sealers with txs waiting; their view changes (f+1 rule) replace it
	// until a holder leads.
	solo := []*types.Transaction{c.NewTx(500)}
	c.Submit(solo, 2, 3)
	c.WaitCommitted(solo, all...)
	c.checkSameChain(all...)

	// A committed tx is refused in a later proposal.
	next := c.Nodes[0].Ledger.Height() + 1
	again := pbft.VerifyRequest{Height: next, Proposal: &pbft.Proposal{Height: next, Txs: [][]byte{batch[0].Bytes()}}}
	if err := c.Drivers[0].verify(again); !errors.Is(err, ErrInvalidTx) {
		t.Fatalf("committed tx proposed again: %v", err)
	}

	// Stop node 3: the other three are a quorum and go on.
	c.Stop(3)
	down := c.Nodes[3].Ledger.Height()
	live := []int{0, 1, 2}
	for range 3 {
		txs := []*types.Transaction{c.NewTx(500), c.NewTx(500)}
		c.Submit(txs, live...)
		c.WaitCommitted(txs, live...)
	}
	if h := c.checkSameChain(live...); h <= down {
		t.Fatalf("no commits while node 3 was down: height %d", h)
	}

	// Restart node 3 from its store: it catches up and follows.
	c.Restart(3)
	txs := []*types.Transaction{c.NewTx(500)}
	c.Submit(txs, all...)
	c.WaitCommitted(txs, all...)
	c.checkSameChain(all...)
	if r := c.Drivers[3].Stats().Core.Refusals; r != 0 {
		t.Logf("node 3 refused %d signatures contradicting its persisted votes", r)
	}
	for i, e := range c.Drivers {
		if d := e.Stats().Drops[pbft.DropEquivocation]; d != 0 {
			t.Fatalf("node %d saw %d equivocating messages", i, d)
		}
	}
	// Every node, the leaders and the replicas, executed the blocks and
	// committed them with the roots it computed then.
	for i, tn := range c.Nodes {
		if n, re := tn.Commits.Load(), tn.RootsRecomputed.Load(); n == 0 || re != 0 {
			t.Errorf("node %d: %d of its %d commits computed the roots again", i, re, n)
		}
	}
	// Proposals of committed heights are pruned from the store.
	for i, tn := range c.Nodes {
		it := tn.KV.NewIterator(keyProposal, nil)
		n := 0
		for it.Next() {
			n++
		}
		it.Release()
		if n > 2 {
			t.Errorf("node %d keeps %d proposals at height %d", i, n, tn.Ledger.Height())
		}
	}
}

func TestVerify(t *testing.T) {
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(suite.Name(), func(t *testing.T) {
			c := newCluster(t, suite, 4, false)
			e := c.Drivers[0]
			a, b := c.NewTx(100), c.NewTx(100)
			req := func(h uint64, pending []*pbft.Proposal, txs ...[]byte) pbft.VerifyRequest {
				return pbft.VerifyRequest{Height: h, Proposal: &pbft.Proposal{Height: h, Txs: txs}, Pending: pending}
			}
			if err := e.verify(req(1, nil, a.Bytes(), b.Bytes())); err != nil {
				t.Fatalf("valid proposal: %v", err)
			}
			bad := []struct {
				name string
				req  pbft.VerifyRequest
			}{
				{"undecodable", req(1, nil, []byte{0x01, 0x02})},
				{"duplicate", req(1, nil, a.Bytes(), a.Bytes())},
				{"in pending", req(2, []*pbft.Proposal{{Height: 1, Txs: [][]byte{a.Bytes()}}}, a.Bytes())},
				{"block limit expired", req(101, nil, a.Bytes())},
				{"block limit too far", req(1, nil, c.NewTx(1002).Bytes())},
			}
			tampered := append([]byte(nil), b.Bytes()...)
			tampered[len(tampered)-5] ^= 1
			bad = append(bad, struct {
				name string
				req  pbft.VerifyRequest
			}{"bad signature", req(1, nil, tampered)})
			for _, tc := range bad {
				if err := e.verify(tc.req); err == nil {
					t.Errorf("%s: accepted", tc.name)
				}
			}
			if err := e.verify(req(1, nil, tampered)); !errors.Is(err, ErrInvalidTx) {
				t.Errorf("bad signature: %v", err)
			}
		})
	}
}

// syncFrom brings node dst up to height to from node src's ledger as the
// block syncer does: execute on dst's state, check the root, commit. A
// block dst's running driver commits meanwhile is left to it.
func (c *cluster) syncFrom(dst, src int, to uint64) {
	c.T.Helper()
	d, s := c.Nodes[dst], c.Nodes[src]
	for h := d.Ledger.Height() + 1; h <= to; h = d.Ledger.Height() + 1 {
		b, err := s.Ledger.BlockByNumber(h)
		if err != nil {
			c.T.Fatal(err)
		}
		committed := func() bool { got, _ := d.Ledger.HashByNumber(h); return got == b.Header.Hash(c.Suite) }
		parent := d.Ledger.Head()
		env := consensus.BlockEnv{Number: h, Timestamp: b.Header.Timestamp, Sealer: b.Header.Sealer, GasLimit: b.Header.GasLimit,
			ParentHash: parent.Hash(c.Suite), GetHash: func(uint64) common.Hash { return common.Hash{} }}
		res, err := drivertest.Executor{N: d}.ExecuteBlock(c.Ctx, env, parent.StateRoot, b.Txs)
		if err != nil {
			c.T.Fatal(err)
		}
		if res.StateRoot != b.Header.StateRoot {
			if committed() {
				continue // its driver committed it meanwhile
			}
			c.T.Fatalf("node %d, block %d: state root differs", dst, h)
		}
		if err := (drivertest.Ledger{Ledger: d.Ledger}).Commit(b, res.Receipts, nil, res.State, nil); err != nil {
			if committed() {
				continue
			}
			c.T.Fatalf("node %d, block %d: %v", dst, h, err)
		}
		d.Pool.OnCommitted(b)
	}
}

// checkCerts checks the commit certificate of every block of node 0's
// ledger up to top: blocks below switchAt by the unit quorum of four
// sealers, the others by weights (W = 6); each certificate checked by
// weight is also handed to weighted, when set.
func (c *cluster) checkCerts(top, switchAt uint64, weights []uint64, weighted func(h uint64, hdr *types.Header)) {
	c.T.Helper()
	for h := uint64(1); h <= top; h++ {
		hdr, err := c.Nodes[0].Ledger.HeaderByNumber(h)
		if err != nil {
			c.T.Fatal(err)
		}
		if h < switchAt {
			if err := consensus.VerifyCommit(c.Suite, hdr, c.Sealers, pbft.Quorum(4)); err != nil {
				c.T.Fatalf("block %d: %v", h, err)
			}
			continue
		}
		if err := consensus.VerifyCommitWeighted(c.Suite, hdr, c.Sealers, weights, consensus.QuorumWeight(6)); err != nil {
			c.T.Fatalf("block %d: %v", h, err)
		}
		if weighted != nil {
			weighted(h, hdr)
		}
	}
}

// TestLedgerMovedBySync: a sealer cut off while the others commit gets the
// blocks from a syncer (simulated) while its driver runs; the driver
// rebuilds its core on the new head and takes part again.
func TestLedgerMovedBySync(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, true)
	all, live := []int{0, 1, 2, 3}, []int{0, 1, 2}
	first := []*types.Transaction{c.NewTx(500)}
	c.Submit(first, all...)
	c.WaitCommitted(first, all...)
	// Dropped messages are counted across the rebuild (the metrics'
	// counters never go back): one malformed message makes sure node 3's
	// first core has dropped something.
	c.Drivers[3].Deliver(0, []byte{0xc3, 0x01, 0x02})
	c.waitStats("node 3 dropped the malformed message", func(_ int, s Stats) bool { return s.Drops[pbft.DropMalformed] > 0 }, 3)
	dropped := c.Drivers[3].Stats().Drops

	c.Cut(3, true)
	for range 3 {
		txs := []*types.Transaction{c.NewTx(500)}
		c.Submit(txs, live...)
		c.WaitCommitted(txs, live...)
	}
	c.syncFrom(3, 0, c.Nodes[0].Ledger.Height())
	c.Cut(3, false)

	// Node 3 is needed now: the others stop while it works.
	c.Stop(0)
	txs := []*types.Transaction{c.NewTx(500)}
	c.Submit(txs, 1, 2, 3)
	c.WaitCommitted(txs, 1, 2, 3)
	c.checkSameChain(1, 2, 3)
	if r := c.Drivers[3].Stats().Rebuilds; r == 0 {
		t.Fatal("node 3's core was not rebuilt after its ledger moved")
	}
	now := c.Drivers[3].Stats().Drops
	for r, n := range dropped {
		if now[r] < n {
			t.Fatalf("node 3's %s drops went from %d to %d over the rebuild", pbft.DropReason(r), n, now[r])
		}
	}
}

// ppOrder wraps a node's transport and checks that the pre-prepare of
// each height it proposes leaves after the driver called OnProposed.
type ppOrder struct {
	Transport
	mu        sync.Mutex
	announced int             // OnProposed calls
	heights   map[uint64]bool // heights whose pre-prepare was sent
	early     int             // pre-prepares of a new height sent before their OnProposed
}

func (o *ppOrder) proposed() {
	o.mu.Lock()
	o.announced++
	o.mu.Unlock()
}

func (o *ppOrder) Broadcast(data []byte) error {
	if m, err := pbft.DecodeMessage(data, 1<<30); err == nil && m.Env != nil && m.Env.Type == pbft.MsgPrePrepare {
		o.mu.Lock()
		if !o.heights[m.Env.Height] {
			o.heights[m.Env.Height] = true
			if len(o.heights) > o.announced {
				o.early++
			}
		}
		o.mu.Unlock()
	}
	return o.Transport.Broadcast(data)
}

// TestOnProposedBeforePrePrepare: a proposer calls Params.OnProposed (the
// node flushes its tx gossip there) before the proposal's pre-prepare
// leaves, once per proposal.
func TestOnProposedBeforePrePrepare(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	orders := make([]*ppOrder, len(c.Nodes))
	for i := range c.Nodes {
		c.Start(i, func(p *Params) {
			o := &ppOrder{Transport: p.Transport, heights: make(map[uint64]bool)}
			orders[i] = o
			p.Transport, p.OnProposed = o, o.proposed
		})
	}
	for range 3 {
		c.commitOne(0, 1, 2, 3)
	}
	proposals := 0
	for i, o := range orders {
		o.mu.Lock()
		if o.early != 0 || o.announced != len(o.heights) {
			t.Errorf("node %d: %d pre-prepares before OnProposed; %d calls for %d proposed heights", i, o.early, o.announced, len(o.heights))
		}
		proposals += len(o.heights)
		o.mu.Unlock()
	}
	if proposals < 3 {
		t.Fatalf("%d proposals for 3 blocks", proposals)
	}
}
