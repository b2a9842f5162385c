package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
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
	mu      sync.Mutex
	nodes   []*Engine    // nil while a node is down
	cut     map[int]bool // nodes partitioned from all others
	noServe map[int]bool // nodes whose tx fetch answers are lost
	corrupt map[int]bool // nodes whose tx fetch answers carry wrongBody instead
	wrong   []byte
}

type memTransport struct {
	net  *memNet
	self int
}

func (t *memTransport) deliver(to int, data []byte) {
	t.net.mu.Lock()
	e := t.net.nodes[to]
	if t.net.cut[to] || t.net.cut[t.self] {
		e = nil
	}
	t.net.mu.Unlock()
	if e != nil {
		e.Deliver(t.self, append([]byte(nil), data...))
	}
}

func (t *memTransport) Send(to int, data []byte) error {
	t.deliver(to, data)
	return nil
}

// SendFetch carries tx fetch messages; answers of noServe nodes are lost.
func (t *memTransport) SendFetch(to int, data []byte) error {
	t.net.mu.Lock()
	e := t.net.nodes[to]
	if t.net.cut[to] || t.net.cut[t.self] {
		e = nil
	}
	if m, err := DecodeFetch(data, 1<<30); err == nil && m.Kind == FetchResponse {
		if t.net.noServe[t.self] {
			e = nil
		}
		if t.net.corrupt[t.self] && len(m.Bodies) > 0 {
			m.Bodies = [][]byte{t.net.wrong}
			data = EncodeFetch(m)
		}
	}
	t.net.mu.Unlock()
	if e != nil {
		e.DeliverFetch(t.self, append([]byte(nil), data...))
	}
	return nil
}

func (t *memTransport) Broadcast(data []byte) error {
	for i := range t.net.nodes {
		if i != t.self {
			t.deliver(i, data)
		}
	}
	return nil
}

// testNode is one sealer with a real ledger, executor and txpool over a
// memory store.
type testNode struct {
	holdExec atomic.Bool // execution fails while set
	kv       *storage.Memory
	ledger   *ledger.Ledger
	exec     *executor.Executor
	pool     *txpool.Pool
	engine   *Engine
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
	if a.n.holdExec.Load() {
		return nil, errors.New("test: execution held")
	}
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

func (l ledgerAdapter) CommittedTx(h common.Hash) ([]byte, bool) {
	tx, _, err := l.Ledger.TxByHash(h)
	if err != nil {
		return nil, false
	}
	return tx.Bytes(), true
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
	rules   consensus.RulesSource // nil: none (proposals carry tx bodies)
}

func newCluster(t *testing.T, suite crypto.Suite, n int, run bool) *cluster {
	return newClusterWith(t, suite, n, run, nil)
}

// newClusterWith is newCluster whose drivers follow rules.
func newClusterWith(t *testing.T, suite crypto.Suite, n int, run bool, rules consensus.RulesSource) *cluster {
	c := &cluster{t: t, suite: suite, net: &memNet{nodes: make([]*Engine, n), cut: make(map[int]bool), noServe: make(map[int]bool), corrupt: make(map[int]bool)}, ctx: t.Context(), rules: rules}
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
	cc := pbft.DefaultConfig()
	cc.Suite, cc.Key, cc.Sealers, cc.Domain = c.suite, c.keys[i], c.sealers, []byte("test/group0")
	cc.Window = 1
	cc.TimeoutTicks, cc.HeartbeatTicks, cc.ResendTicks, cc.SyncTicks = 40, 5, 10, 25
	cfg := DefaultConfig()
	cfg.ChainID, cfg.GroupID, cfg.BlockGasLimit = testChainID, testGroup, gasLimit
	cfg.TickInterval = 20 * time.Millisecond
	e, err := New(Params{Config: cfg, Core: cc, KV: tn.kv, Ledger: ledgerAdapter{tn.ledger}, Executor: execAdapter{tn},
		Pool: tn.pool, Transport: &memTransport{net: c.net, self: i}, Fetch: &memTransport{net: c.net, self: i}, Rules: c.rules})
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
// The first nodes may commit a tx before the later ones get it: a pool
// then refuses it as committed, which is fine.
func (c *cluster) submit(txs []*types.Transaction, to ...int) {
	for _, i := range to {
		for j, err := range c.nodes[i].pool.Add(c.ctx, txs) {
			if err != nil && !errors.Is(err, txpool.ErrAlreadyCommitted) {
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
		if err := consensus.VerifyCommit(c.suite, hdr, sealers, pbft.Quorum(len(sealers))); err != nil {
			c.t.Fatalf("block %d: %v", h, err)
		}
	}
	return low
}

func TestFourDrivers(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, true)
	all := []int{0, 1, 2, 3}

	// Txs gossiped to every pool.
	batch := []*types.Transaction{c.newTx(500), c.newTx(500), c.newTx(500)}
	c.submit(batch, all...)
	c.waitCommitted(batch, all...)

	// A tx only f+1 sealers hold (as if gossip missed the others): a leader
	// without it only heartbeats, which does not hold off the timers of
	// sealers with txs waiting; their view changes (f+1 rule) replace it
	// until a holder leads.
	solo := []*types.Transaction{c.newTx(500)}
	c.submit(solo, 2, 3)
	c.waitCommitted(solo, all...)
	c.checkSameChain(all...)

	// A committed tx is refused in a later proposal.
	next := c.nodes[0].ledger.Height() + 1
	again := pbft.VerifyRequest{Height: next, Proposal: &pbft.Proposal{Height: next, Txs: [][]byte{batch[0].Bytes()}}}
	if err := c.nodes[0].engine.verify(again); !errors.Is(err, ErrInvalidTx) {
		t.Fatalf("committed tx proposed again: %v", err)
	}

	// Stop node 3: the other three are a quorum and go on.
	c.stop(3)
	down := c.nodes[3].ledger.Height()
	live := []int{0, 1, 2}
	for range 3 {
		txs := []*types.Transaction{c.newTx(500), c.newTx(500)}
		c.submit(txs, live...)
		c.waitCommitted(txs, live...)
	}
	if h := c.checkSameChain(live...); h <= down {
		t.Fatalf("no commits while node 3 was down: height %d", h)
	}

	// Restart node 3 from its store: it catches up and follows.
	c.restart(3)
	txs := []*types.Transaction{c.newTx(500)}
	c.submit(txs, all...)
	c.waitCommitted(txs, all...)
	c.checkSameChain(all...)
	if r := c.nodes[3].engine.Stats().Core.Refusals; r != 0 {
		t.Logf("node 3 refused %d signatures contradicting its persisted votes", r)
	}
	for i, tn := range c.nodes {
		if d := tn.engine.Stats().Drops[pbft.DropEquivocation]; d != 0 {
			t.Fatalf("node %d saw %d equivocating messages", i, d)
		}
	}
	// Proposals of committed heights are pruned from the store.
	for i, tn := range c.nodes {
		it := tn.kv.NewIterator(keyProposal, nil)
		n := 0
		for it.Next() {
			n++
		}
		it.Release()
		if n > 2 {
			t.Errorf("node %d keeps %d proposals at height %d", i, n, tn.ledger.Height())
		}
	}
}

func TestVerify(t *testing.T) {
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(suite.Name(), func(t *testing.T) {
			c := newCluster(t, suite, 4, false)
			e := c.nodes[0].engine
			a, b := c.newTx(100), c.newTx(100)
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
				{"block limit too far", req(1, nil, c.newTx(1002).Bytes())},
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

// syncFrom copies blocks from node src's ledger to node dst's as the block
// syncer does: execute on dst's state, check the root, commit.
func (c *cluster) syncFrom(dst, src int, to uint64) {
	c.t.Helper()
	d, s := c.nodes[dst], c.nodes[src]
	for h := d.ledger.Height() + 1; h <= to; h++ {
		b, err := s.ledger.BlockByNumber(h)
		if err != nil {
			c.t.Fatal(err)
		}
		parent := d.ledger.Head()
		env := consensus.BlockEnv{Number: h, Timestamp: b.Header.Timestamp, Sealer: b.Header.Sealer, GasLimit: b.Header.GasLimit,
			ParentHash: parent.Hash(c.suite), GetHash: func(uint64) common.Hash { return common.Hash{} }}
		res, err := execAdapter{d}.ExecuteBlock(c.ctx, env, parent.StateRoot, b.Txs)
		if err != nil {
			c.t.Fatal(err)
		}
		if res.StateRoot != b.Header.StateRoot {
			c.t.Fatalf("block %d: state root differs", h)
		}
		if err := (ledgerAdapter{d.ledger}).Commit(b, res.Receipts, nil, res.State); err != nil {
			c.t.Fatal(err)
		}
		d.pool.OnCommitted(b)
	}
}

// TestLedgerMovedBySync: a sealer cut off while the others commit gets the
// blocks from a syncer (simulated) while its driver runs; the driver
// rebuilds its core on the new head and takes part again.
func TestLedgerMovedBySync(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, true)
	all, live := []int{0, 1, 2, 3}, []int{0, 1, 2}
	first := []*types.Transaction{c.newTx(500)}
	c.submit(first, all...)
	c.waitCommitted(first, all...)

	c.net.mu.Lock()
	c.net.cut[3] = true
	c.net.mu.Unlock()
	for range 3 {
		txs := []*types.Transaction{c.newTx(500)}
		c.submit(txs, live...)
		c.waitCommitted(txs, live...)
	}
	c.syncFrom(3, 0, c.nodes[0].ledger.Height())
	c.net.mu.Lock()
	c.net.cut[3] = false
	c.net.mu.Unlock()

	// Node 3 is needed now: the others stop while it works.
	c.stop(0)
	txs := []*types.Transaction{c.newTx(500)}
	c.submit(txs, 1, 2, 3)
	c.waitCommitted(txs, 1, 2, 3)
	c.checkSameChain(1, 2, 3)
	if r := c.nodes[3].engine.Stats().Rebuilds; r == 0 {
		t.Fatal("node 3's core was not rebuilt after its ledger moved")
	}
}
