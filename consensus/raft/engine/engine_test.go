package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/raft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/ledger"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/txpool"
	"github.com/gobcos/gobcos/types"
)

const (
	testChainID = 7
	testGroup   = "group0"
	gasLimit    = 3_000_000_000
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

// testNode is one sealer with a real ledger, executor and txpool over a
// memory store.
type testNode struct {
	kv     *storage.Memory
	ledger *ledger.Ledger
	exec   *executor.Executor
	pool   *txpool.Pool
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

type poolChain struct{ n *testNode }

func (c poolChain) Height() uint64 { return c.n.ledger.Height() }
func (c poolChain) AccountNonce(a common.Address) (uint64, error) {
	return state.NewReader(c.n.kv).Nonce(a)
}
func (c poolChain) NativeNonceUsed(n *big.Int) (bool, error) { return c.n.ledger.NativeNonceUsed(n) }
func (c poolChain) TxCommitted(h common.Hash) (bool, error)  { return c.n.ledger.TxCommitted(h) }

type execAdapter struct{ n *testNode }

func (a execAdapter) ExecuteBlock(ctx context.Context, env consensus.BlockEnv, parentRoot common.Hash, txs []*types.Transaction) (*consensus.Result, error) {
	res, err := a.n.exec.ExecuteBlock(ctx, executor.BlockEnv{Number: env.Number, Timestamp: env.Timestamp, Sealer: env.Sealer, GetHash: env.GetHash}, parentRoot, txs, a.n.kv)
	if err != nil {
		return nil, err
	}
	return &consensus.Result{Receipts: res.Receipts, StateRoot: res.StateRoot, State: res.Writes}, nil
}

type ledgerAdapter struct{ *ledger.Ledger }

func (l ledgerAdapter) Commit(b *types.Block, r []*types.Receipt, s []common.Address, st any) error {
	w, ok := st.(ledger.StateWrites)
	if !ok {
		return fmt.Errorf("state of type %T", st)
	}
	return l.Ledger.Commit(b, r, s, w)
}

func (l ledgerAdapter) HashByNumber(n uint64) (common.Hash, bool) {
	h, err := l.Ledger.HashByNumber(n)
	return h, err == nil
}

type cluster struct {
	t       *testing.T
	suite   crypto.Suite
	keys    []crypto.PrivateKey
	sealers [][]byte
	net     *memNet
	nodes   []*testNode
	user    crypto.PrivateKey
	ctx     context.Context
	rules   consensus.RulesSource // given to the drivers built from now on
}

func newCluster(t *testing.T, suite crypto.Suite, n int, run bool) *cluster {
	c := &cluster{t: t, suite: suite, net: &memNet{nodes: make([]*Engine, n), cut: make(map[int]bool)}, ctx: t.Context()}
	for range n {
		k, err := suite.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		c.keys = append(c.keys, k)
		c.sealers = append(c.sealers, k.PublicKey())
	}
	var err error
	if c.user, err = suite.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		tn := &testNode{kv: storage.NewMemory()}
		if tn.exec, err = executor.New(executor.Config{ChainID: testChainID, GroupID: testGroup, TxGasLimit: 300_000_000, BlockGasLimit: gasLimit}, suite, nil); err != nil {
			t.Fatal(err)
		}
		tn.openLedger(t, suite)
		writes, root, err := tn.exec.Genesis(nil, tn.kv)
		if err != nil {
			t.Fatal(err)
		}
		g := &types.Header{Timestamp: 1_700_000_000, TxRoot: types.TxRoot(suite, nil), ReceiptRoot: types.ReceiptRoot(suite, nil),
			StateRoot: root, GasLimit: gasLimit, Extra: common.Hash{0x9e}.Bytes()}
		if err := tn.ledger.Commit(&types.Block{Header: g}, nil, nil, writes); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, tn)
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

func (tn *testNode) openLedger(t *testing.T, suite crypto.Suite) {
	var err error
	if tn.ledger, err = ledger.Open(tn.kv, suite, nil); err != nil {
		t.Fatal(err)
	}
	pcfg := txpool.DefaultConfig()
	if tn.pool, err = txpool.New(pcfg, suite, testChainID, testGroup, poolChain{tn}, nil); err != nil {
		t.Fatal(err)
	}
}

// start (re)starts node i's driver on its store, as a restarted process would.
func (c *cluster) start(i int) {
	e := c.build(i)
	c.net.mu.Lock()
	c.net.nodes[i] = e
	c.net.mu.Unlock()
	if err := e.Start(c.ctx); err != nil {
		c.t.Fatal(err)
	}
}

// build makes node i's driver without starting it.
func (c *cluster) build(i int) *Engine {
	tn := c.nodes[i]
	cc := raft.DefaultConfig()
	cc.Suite, cc.Key, cc.Sealers = c.suite, c.keys[i], c.sealers
	cc.SnapshotEntries, cc.KeepEntries = 6, 2
	cfg := DefaultConfig()
	cfg.ChainID, cfg.GroupID, cfg.BlockGasLimit = testChainID, testGroup, gasLimit
	cfg.TickInterval = 20 * time.Millisecond
	e, err := New(Params{Config: cfg, Core: cc, KV: tn.kv, Ledger: ledgerAdapter{tn.ledger}, Executor: execAdapter{tn},
		Pool: tn.pool, Transport: &memTransport{net: c.net, self: i, pubs: c.sealers}, Tracer: &tn.traces, Rules: c.rules})
	if err != nil {
		c.t.Fatal(err)
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
			c.t.Error(err)
		}
	}
}

// restart simulates a process restart: a new ledger, pool and driver over
// the node's surviving store.
func (c *cluster) restart(i int) {
	c.nodes[i].openLedger(c.t, c.suite)
	c.start(i)
}

func (c *cluster) newTx(blockLimit uint64) *types.Transaction {
	nonce, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	to := common.Address{0xaa}
	n := &types.NativeTx{ChainID: testChainID, GroupID: testGroup, BlockLimit: blockLimit, Nonce: nonce, To: &to, Input: []byte("hi")}
	if err := n.Sign(c.suite, c.user.PublicKey(), c.user.Sign); err != nil {
		c.t.Fatal(err)
	}
	raw := types.NewNativeTx(c.suite, n).Bytes()
	tx, err := types.DecodeTx(c.suite, raw)
	if err != nil {
		c.t.Fatal(err)
	}
	return tx
}

// submit adds txs to the pools of the nodes in to (as tx gossip would).
func (c *cluster) submit(txs []*types.Transaction, to ...int) {
	for _, i := range to {
		for j, err := range c.nodes[i].pool.Add(c.ctx, txs) {
			if err != nil && !errors.Is(err, txpool.ErrAlreadyCommitted) { // a fast leader may commit before gossip ends
				c.t.Fatalf("node %d refused tx %d: %v", i, j, err)
			}
		}
	}
}

// waitCommitted waits until every node in nodes has committed every tx.
func (c *cluster) waitCommitted(txs []*types.Transaction, nodes ...int) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, i := range nodes {
		for _, tx := range txs {
			for {
				ok, err := c.nodes[i].ledger.TxCommitted(tx.Hash())
				if err != nil {
					c.t.Fatal(err)
				}
				if ok {
					break
				}
				if time.Now().After(deadline) {
					c.t.Fatalf("node %d: tx %s not committed; heights %v", i, tx.Hash(), c.heights())
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
}

func (c *cluster) heights() []uint64 {
	var hs []uint64
	for _, tn := range c.nodes {
		hs = append(hs, tn.ledger.Height())
	}
	return hs
}

// checkSameChain checks that nodes hold identical blocks up to the lowest
// common height and returns that height.
func (c *cluster) checkSameChain(nodes ...int) uint64 {
	c.t.Helper()
	low := c.nodes[nodes[0]].ledger.Height()
	for _, i := range nodes {
		low = min(low, c.nodes[i].ledger.Height())
	}
	sealers := c.sealers
	for h := uint64(1); h <= low; h++ {
		want, err := c.nodes[nodes[0]].ledger.HashByNumber(h)
		if err != nil {
			c.t.Fatal(err)
		}
		for _, i := range nodes[1:] {
			got, err := c.nodes[i].ledger.HashByNumber(h)
			if err != nil {
				c.t.Fatal(err)
			}
			if got != want {
				c.t.Fatalf("block %d: node %d has %s, node %d has %s", h, nodes[0], want, i, got)
			}
		}
		hdr, err := c.nodes[nodes[0]].ledger.HeaderByNumber(h)
		if err != nil {
			c.t.Fatal(err)
		}
		if err := consensus.VerifyCommit(c.suite, hdr, sealers, 1); err != nil {
			c.t.Fatalf("block %d: %v", h, err)
		}
	}
	return low
}

// leader waits for a leader among the running nodes and returns it.
func (c *cluster) leader(skip ...int) int {
	c.t.Helper()
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
	c.t.Fatalf("no leader; heights %v", c.heights())
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
	batch := []*types.Transaction{c.newTx(500), c.newTx(500), c.newTx(500)}
	c.submit(batch, all...)
	c.waitCommitted(batch, all...)
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
	batch = []*types.Transaction{c.newTx(500), c.newTx(500)}
	c.submit(batch, rest...)
	c.waitCommitted(batch, rest...)

	// Restart it from its store: it catches up from the log or a snapshot.
	c.restart(ld)
	more := []*types.Transaction{c.newTx(500)}
	c.submit(more, all...)
	c.waitCommitted(append(batch, more...), all...)
	c.checkSameChain(all...)
}

func TestProposeConfChangeThroughDriver(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, true)
	ld := c.leader()
	extra, err := c.suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	f := (ld + 1) % 3
	if err := c.nodes[f].engine.ProposeConfChange(c.ctx, raft.AddLearner, extra.PublicKey()); !errors.Is(err, raft.ErrNotLeader) {
		t.Fatalf("follower: %v", err)
	}
	if err := c.nodes[ld].engine.ProposeConfChange(c.ctx, raft.AddLearner, extra.PublicKey()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(c.nodes[f].engine.Signers()) != 4 {
		if time.Now().After(deadline) {
			t.Fatal("learner never added")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if l := c.nodes[f].engine.Stats().Core.Learners; len(l) != 1 || l[0] != raft.NodeID(c.suite, extra.PublicKey()) {
		t.Fatalf("learners %v", l)
	}
	// The learner is down: the three voters still commit.
	batch := []*types.Transaction{c.newTx(500)}
	c.submit(batch, 0, 1, 2)
	c.waitCommitted(batch, 0, 1, 2)
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
	batch := []*types.Transaction{c.newTx(500)}
	c.submit(batch, 0, 1, 2)
	c.waitCommitted(batch, 0, 1, 2)
}

// TestBlockTraces checks the flow traces: every node traces each block it
// applies, with the raft term as view and the block's hash; the leader
// that sealed a block reports the seal and replicate phases, a follower
// none.
func TestBlockTraces(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, true)
	all := []int{0, 1, 2}
	batch := []*types.Transaction{c.newTx(500), c.newTx(500), c.newTx(500)}
	c.submit(batch, all...)
	c.waitCommitted(batch, all...)
	c.checkSameChain(all...)
	proposed := 0
	for _, i := range all {
		tn := c.nodes[i]
		traces := tn.traces.all()
		if len(traces) == 0 {
			t.Fatalf("node %d traced no block", i)
		}
		for _, bt := range traces {
			hash, err := tn.ledger.HashByNumber(bt.Number)
			if err != nil || hash != bt.Hash {
				t.Fatalf("node %d: trace of block %d has hash %v, the ledger %v", i, bt.Number, bt.Hash, hash)
			}
			b, err := tn.ledger.BlockByNumber(bt.Number)
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
				if b.Header.Sealer != c.suite.Address(c.keys[i].PublicKey()) {
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
