package drivertest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/ledger"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/txpool"
	"github.com/gobcos/gobcos/txverify"
	"github.com/gobcos/gobcos/types"
)

// The chain the test nodes run.
const (
	ChainID  = 7
	GroupID  = "group0"
	GasLimit = 3_000_000_000 // the block gas limit
)

// DriverConfig is the drivers' configuration on the test chain: its chain,
// group and block gas limit, the default bounds and 20 ms ticks.
func DriverConfig() consensus.DriverConfig {
	c := consensus.DefaultDriverConfig()
	c.ChainID, c.GroupID, c.BlockGasLimit = ChainID, GroupID, GasLimit
	c.TickInterval = 20 * time.Millisecond
	return c
}

// Node is one node's ledger, executor and txpool over a memory store.
type Node struct {
	// HoldExec makes the node's Executor fail while set (a block decided
	// but not yet executed and committed).
	HoldExec atomic.Bool
	// PendingExecs counts the blocks the node's Executor ran on top of
	// pending (executed, uncommitted) blocks.
	PendingExecs atomic.Int64
	// Commits counts the blocks a driver committed through a Ledger whose
	// N is this node, and RootsRecomputed those of them the driver did not
	// hand the roots of (types.BlockRoots.Match), which the ledger then
	// computed again.
	Commits, RootsRecomputed atomic.Int64
	KV                       *storage.Memory
	Ledger                   *ledger.Ledger
	Exec                     *executor.Executor
	Pool                     *txpool.Pool
}

// NewNode makes a node over an empty store and commits the genesis block.
func NewNode(t testing.TB, suite crypto.Suite) *Node {
	t.Helper()
	n := &Node{KV: storage.NewMemory()}
	var err error
	if n.Exec, err = executor.New(executor.Config{ChainID: ChainID, GroupID: GroupID, TxGasLimit: 300_000_000, BlockGasLimit: GasLimit}, suite, nil); err != nil {
		t.Fatal(err)
	}
	n.Reopen(t, suite)
	writes, root, err := n.Exec.Genesis(nil, n.KV, "")
	if err != nil {
		t.Fatal(err)
	}
	g := &types.Header{Timestamp: 1_700_000_000, TxRoot: types.TxRoot(suite, nil), ReceiptRoot: types.ReceiptRoot(suite, nil),
		StateRoot: root, GasLimit: GasLimit, Extra: common.Hash{0x9e}.Bytes()}
	if err := n.Ledger.Commit(&types.Block{Header: g}, nil, nil, writes, nil); err != nil {
		t.Fatal(err)
	}
	return n
}

// Reopen opens a new ledger and pool over the node's store, as a
// restarted process would.
func (n *Node) Reopen(t testing.TB, suite crypto.Suite) {
	t.Helper()
	var err error
	if n.Ledger, err = ledger.Open(n.KV, suite, nil); err != nil {
		t.Fatal(err)
	}
	if n.Pool, err = txpool.New(txpool.DefaultConfig(), suite, ChainID, GroupID, poolChain{n}, nil); err != nil {
		t.Fatal(err)
	}
}

// ShareVerifier rebuilds the node's executor and pool around one
// txverify.Verifier over suite, as the node wires them, and returns it
// for the driver.
func (n *Node) ShareVerifier(t testing.TB, suite crypto.Suite) *txverify.Verifier {
	t.Helper()
	v, err := txverify.New(suite, ChainID, GroupID, txverify.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if n.Exec, err = executor.New(executor.Config{ChainID: ChainID, GroupID: GroupID, TxGasLimit: 300_000_000, BlockGasLimit: GasLimit, Verifier: v}, suite, nil); err != nil {
		t.Fatal(err)
	}
	pcfg := txpool.DefaultConfig()
	pcfg.Verifier = v
	if n.Pool, err = txpool.New(pcfg, suite, ChainID, GroupID, poolChain{n}, nil); err != nil {
		t.Fatal(err)
	}
	return v
}

// poolChain is what the pool reads of the node's chain.
type poolChain struct{ n *Node }

func (c poolChain) Height() uint64 { return c.n.Ledger.Height() }
func (c poolChain) AccountNonce(a common.Address) (uint64, error) {
	return state.NewReader(c.n.KV).Nonce(a)
}
func (c poolChain) NativeNonceUsed(n *big.Int) (bool, error) { return c.n.Ledger.NativeNonceUsed(n) }
func (c poolChain) TxCommitted(h common.Hash) (bool, error)  { return c.n.Ledger.TxCommitted(h) }

// Executor adapts the node's executor to the drivers' Executor.
type Executor struct{ N *Node }

// ExecuteBlock runs txs on the node's state at parentRoot; it fails
// while the node's HoldExec is set.
func (a Executor) ExecuteBlock(ctx context.Context, env consensus.BlockEnv, parentRoot common.Hash, txs []*types.Transaction) (*consensus.Result, error) {
	if a.N.HoldExec.Load() {
		return nil, errors.New("test: execution held")
	}
	res, err := a.N.Exec.ExecuteBlock(ctx, executor.BlockEnv{Number: env.Number, Timestamp: env.Timestamp, Sealer: env.Sealer, GetHash: env.GetHash}, parentRoot, txs, a.N.KV)
	if err != nil {
		return nil, err
	}
	return &consensus.Result{Receipts: res.Receipts, StateRoot: res.StateRoot, State: res.Writes}, nil
}

// ExecuteBlockOn implements consensus.PendingExecutor: it runs txs on the
// node's state with the write sets of the pending blocks above the ledger
// head laid over it: over a snapshot of the store taken after the head is
// read, so a pending block committed meanwhile (the PBFT driver commits
// while its execution goroutine runs) is read from the snapshot or from
// its layer, with the same values either way. It fails while the node's
// HoldExec is set.
func (a Executor) ExecuteBlockOn(ctx context.Context, env consensus.BlockEnv, parentRoot common.Hash, txs []*types.Transaction, pending []consensus.Pending) (*consensus.Result, error) {
	if a.N.HoldExec.Load() {
		return nil, errors.New("test: execution held")
	}
	head := a.N.Ledger.Height()
	var layers []*state.WriteSet
	for _, p := range pending {
		if p.Header.Number <= head {
			continue
		}
		ws, ok := p.State.(*state.WriteSet)
		if !ok {
			return nil, fmt.Errorf("test: pending block %d carries state of type %T", p.Header.Number, p.State)
		}
		layers = append(layers, ws)
	}
	if len(pending) == 0 || pending[len(pending)-1].Header.Number+1 != env.Number || pending[len(pending)-1].Header.StateRoot != parentRoot {
		if len(pending) == 0 {
			return a.ExecuteBlock(ctx, env, parentRoot, txs)
		}
		return nil, fmt.Errorf("test: block %d is not the child of the last pending block", env.Number)
	}
	if len(layers) > 0 {
		a.N.PendingExecs.Add(1)
	}
	snap, err := a.N.KV.NewSnapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Release()
	res, err := a.N.Exec.ExecuteBlock(ctx, executor.BlockEnv{Number: env.Number, Timestamp: env.Timestamp, Sealer: env.Sealer, GetHash: env.GetHash}, parentRoot, txs, state.NewOverlay(snap, layers...))
	if err != nil {
		return nil, err
	}
	return &consensus.Result{Receipts: res.Receipts, StateRoot: res.StateRoot, State: res.Writes}, nil
}

var _ consensus.PendingExecutor = Executor{}

// Ledger adapts a ledger to the drivers' Ledger.
type Ledger struct {
	*ledger.Ledger
	N *Node // when set, its Commits and RootsRecomputed count the commits
}

// Commit commits b with the state writes of its execution.
func (l Ledger) Commit(b *types.Block, r []*types.Receipt, s []common.Address, st any, roots *types.BlockRoots) error {
	w, ok := st.(ledger.StateWrites)
	if !ok {
		return fmt.Errorf("state of type %T", st)
	}
	if err := l.Ledger.Commit(b, r, s, w, roots); err != nil {
		return err
	}
	if l.N != nil {
		l.N.Commits.Add(1)
		if !roots.Match(l.Ledger.Hasher(), b.Header, b.Txs, r) {
			l.N.RootsRecomputed.Add(1)
		}
	}
	return nil
}

// CommittedTx is the encoding of the committed tx with this hash, if the
// ledger holds it.
func (l Ledger) CommittedTx(h common.Hash) ([]byte, bool) {
	tx, _, err := l.Ledger.TxByHash(h)
	if err != nil {
		return nil, false
	}
	return tx.Bytes(), true
}

// HashByNumber is the hash of block n, if the ledger holds it.
func (l Ledger) HashByNumber(n uint64) (common.Hash, bool) {
	h, err := l.Ledger.HashByNumber(n)
	return h, err == nil
}

// Chain is a set of nodes with one user who sends transactions.
type Chain struct {
	T     testing.TB
	Ctx   context.Context
	Suite crypto.Suite
	User  crypto.PrivateKey
	Nodes []*Node
}

// NewChain makes n nodes, each with the genesis block committed.
func NewChain(t testing.TB, suite crypto.Suite, n int) *Chain {
	t.Helper()
	user, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c := &Chain{T: t, Ctx: t.Context(), Suite: suite, User: user}
	for range n {
		c.Nodes = append(c.Nodes, NewNode(t, suite))
	}
	return c
}

// NewTx is a native tx of the user with a random nonce and the given
// block limit, decoded from its bytes.
func (c *Chain) NewTx(blockLimit uint64) *types.Transaction {
	nonce, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	to := common.Address{0xaa}
	n := &types.NativeTx{ChainID: ChainID, GroupID: GroupID, BlockLimit: blockLimit, Nonce: nonce, To: &to, Input: []byte("hi")}
	if err := n.Sign(c.Suite, c.User.PublicKey(), c.User.Sign); err != nil {
		c.T.Fatal(err)
	}
	tx, err := types.DecodeTx(c.Suite, types.NewNativeTx(c.Suite, n).Bytes())
	if err != nil {
		c.T.Fatal(err)
	}
	return tx
}

// Submit adds txs to the pools of the nodes in to (as tx gossip would);
// a tx a node already committed may be refused as such.
func (c *Chain) Submit(txs []*types.Transaction, to ...int) {
	c.T.Helper()
	for _, i := range to {
		for j, err := range c.Nodes[i].Pool.Add(c.Ctx, txs) {
			if err != nil && !errors.Is(err, txpool.ErrAlreadyCommitted) { // a fast leader may commit before gossip ends
				c.T.Fatalf("node %d refused tx %d: %v", i, j, err)
			}
		}
	}
}

// Offer adds copies of txs decoded from their bytes (as gossip delivers
// them: no sender cached by another node) to the pools of the nodes in to,
// and ignores refusals: a node may have committed a tx, learning it from a
// block, before it is offered there.
func (c *Chain) Offer(txs []*types.Transaction, to ...int) {
	for _, i := range to {
		copies := make([]*types.Transaction, len(txs))
		for k, tx := range txs {
			cp, err := types.DecodeTx(c.Suite, tx.Bytes())
			if err != nil {
				c.T.Fatal(err)
			}
			copies[k] = cp
		}
		c.Nodes[i].Pool.Add(c.Ctx, copies)
	}
}

// WaitCommitted waits (a minute at most) until every node in nodes has
// committed every tx.
func (c *Chain) WaitCommitted(txs []*types.Transaction, nodes ...int) {
	c.T.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, i := range nodes {
		for _, tx := range txs {
			for {
				ok, err := c.Nodes[i].Ledger.TxCommitted(tx.Hash())
				if err != nil {
					c.T.Fatal(err)
				}
				if ok {
					break
				}
				if time.Now().After(deadline) {
					c.T.Fatalf("node %d: tx %s not committed; heights %v", i, tx.Hash(), c.Heights())
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
}

// Heights are the nodes' ledger heights.
func (c *Chain) Heights() []uint64 {
	var hs []uint64
	for _, n := range c.Nodes {
		hs = append(hs, n.Ledger.Height())
	}
	return hs
}

// SameChain checks that nodes hold identical blocks up to the lowest
// common height, each with a commit certificate of quorum signatures of
// sealers, and returns that height.
func (c *Chain) SameChain(sealers [][]byte, quorum int, nodes ...int) uint64 {
	c.T.Helper()
	first := c.Nodes[nodes[0]].Ledger
	low := first.Height()
	for _, i := range nodes {
		low = min(low, c.Nodes[i].Ledger.Height())
	}
	for h := uint64(1); h <= low; h++ {
		want, err := first.HashByNumber(h)
		if err != nil {
			c.T.Fatal(err)
		}
		for _, i := range nodes[1:] {
			got, err := c.Nodes[i].Ledger.HashByNumber(h)
			if err != nil {
				c.T.Fatal(err)
			}
			if got != want {
				c.T.Fatalf("block %d: node %d has %s, node %d has %s", h, nodes[0], want, i, got)
			}
		}
		hdr, err := first.HeaderByNumber(h)
		if err != nil {
			c.T.Fatal(err)
		}
		if err := consensus.VerifyCommit(c.Suite, hdr, sealers, quorum); err != nil {
			c.T.Fatalf("block %d: %v", h, err)
		}
	}
	return low
}

// CheckVerifiedOnce checks that, with each node's verifier shared by its
// pool, driver and executor, every node checks each of the user's tx
// signatures exactly once, whether it got the tx from gossip (then the
// driver and the execution reuse the sender) or first in a proposal or
// block (then the execution reuses it). start(i, suite) must start node
// i's driver around Node.ShareVerifier(suite); twenty txs are then given
// to every node, and five to the nodes few names only; sameChain checks
// the nodes' chains at the end.
func (c *Chain) CheckVerifiedOnce(start func(i int, suite crypto.Suite), few func() []int, sameChain func(nodes ...int) uint64) {
	c.T.Helper()
	suites := make([]*cryptotest.CountingSuite, len(c.Nodes))
	var all []int
	for i := range c.Nodes {
		suites[i] = &cryptotest.CountingSuite{Suite: c.Suite, Pub: c.User.PublicKey()}
		start(i, suites[i])
		all = append(all, i)
	}
	var gossiped, held []*types.Transaction
	for range 20 {
		gossiped = append(gossiped, c.NewTx(500))
	}
	c.Offer(gossiped, all...)
	c.WaitCommitted(gossiped, all...)
	for range 5 {
		held = append(held, c.NewTx(500))
	}
	c.Offer(held, few()...)
	c.WaitCommitted(held, all...)
	sameChain(all...)
	want := int64(len(gossiped) + len(held))
	for i, s := range suites {
		if got := s.Calls(); got != want {
			c.T.Errorf("node %d checked tx signatures %d times for %d txs", i, got, want)
		}
	}
}
