package blocksync

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/txtest"
	"github.com/gobcos/gobcos/ledger"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

const (
	testChainID = 7
	testGroupID = "group0"
)

// fakeExec verifies txs, gives each a receipt with one log and chains
// state roots as hash(parentRoot, number, tx hashes). At block disagreeAt
// (if not 0) it returns another state root, as a diverged node would.
type fakeExec struct {
	suite      crypto.Suite
	disagreeAt uint64
}

// fakeWrites is the fake executor's write set: one key per block.
type fakeWrites struct {
	number uint64
	root   common.Hash
}

func (w *fakeWrites) ApplyTo(s storage.Writer) error {
	return s.Put(fmt.Appendf(nil, "fake/state/%d", w.number), w.root[:])
}

func (x *fakeExec) ExecuteBlock(ctx context.Context, env consensus.BlockEnv, parentRoot common.Hash, txs []*types.Transaction) (*consensus.Result, error) {
	num := binary.BigEndian.AppendUint64(nil, env.Number)
	parts := [][]byte{parentRoot[:], num}
	res := &consensus.Result{}
	for _, tx := range txs {
		from, err := tx.Verify(x.suite, testChainID, testGroupID)
		if err != nil {
			return nil, err
		}
		h := tx.Hash()
		parts = append(parts, h[:])
		res.Receipts = append(res.Receipts, &types.Receipt{
			Status:  types.ReceiptSuccess,
			GasUsed: 21000,
			Logs:    []*types.Log{{Address: from, Topics: []common.Hash{h}}},
		})
	}
	res.StateRoot = x.suite.Hash(parts...)
	if env.Number == x.disagreeAt {
		res.StateRoot = x.suite.Hash(res.StateRoot[:], []byte("diverged"))
	}
	res.State = &fakeWrites{number: env.Number, root: res.StateRoot}
	return res, nil
}

// ledgerAdapter is the syncer's view of a real ledger, as the node's
// adapter will be.
type ledgerAdapter struct{ l *ledger.Ledger }

func (a ledgerAdapter) Head() *types.Header                          { return a.l.Head() }
func (a ledgerAdapter) BlockByNumber(n uint64) (*types.Block, error) { return a.l.BlockByNumber(n) }
func (a ledgerAdapter) HashByNumber(n uint64) (common.Hash, bool) {
	h, err := a.l.HashByNumber(n)
	return h, err == nil
}

func (a ledgerAdapter) Commit(b *types.Block, receipts []*types.Receipt, senders []common.Address, st any) error {
	var w ledger.StateWrites
	if st != nil {
		var ok bool
		if w, ok = st.(ledger.StateWrites); !ok {
			return fmt.Errorf("state of type %T", st)
		}
	}
	return a.l.Commit(b, receipts, senders, w, nil)
}

// testChain is a chain of certified blocks built with the fake executor.
type testChain struct {
	suite   crypto.Suite
	sealers []crypto.PrivateKey
	pubs    [][]byte
	user    crypto.PrivateKey
	blocks  []*types.Block // by number; [0] is genesis
	results []*consensus.Result
	nonce   int64
}

func newSealers(t testing.TB, suite crypto.Suite, n int) []crypto.PrivateKey {
	t.Helper()
	keys := make([]crypto.PrivateKey, n)
	for i := range keys {
		k, err := suite.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	return keys
}

// newTestChain makes a chain of n blocks after a genesis block stamped
// genesisTime, certified by the sealers (the first quorum of them).
func newTestChain(t testing.TB, sealers []crypto.PrivateKey, genesisTime uint64, n int) *testChain {
	t.Helper()
	suite := crypto.ECDSA()
	user, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c := &testChain{suite: suite, sealers: sealers, user: user}
	for _, k := range sealers {
		c.pubs = append(c.pubs, k.PublicKey())
	}
	g := &types.Header{Number: 0, Timestamp: genesisTime, StateRoot: suite.Hash([]byte("genesis")),
		TxRoot: types.TxRoot(suite, nil), ReceiptRoot: types.ReceiptRoot(suite, nil)}
	c.blocks = []*types.Block{{Header: g}}
	c.results = []*consensus.Result{{}}
	c.extend(t, n)
	return c
}

func (c *testChain) head() *types.Header { return c.blocks[len(c.blocks)-1].Header }

// extend adds n blocks of 1 to 3 txs each.
func (c *testChain) extend(t testing.TB, n int) {
	t.Helper()
	exec := &fakeExec{suite: c.suite}
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	for range n {
		parent := c.head()
		num := parent.Number + 1
		var txs []*types.Transaction
		for range 1 + int(num%3) {
			c.nonce++
			nt := &types.NativeTx{
				ChainID: testChainID, GroupID: testGroupID, BlockLimit: 1 << 40,
				Nonce: big.NewInt(c.nonce), To: &to, Value: new(big.Int), Input: []byte{byte(num)}, GasLimit: 100000,
			}
			txs = append(txs, txtest.SignNative(t, c.suite, c.user, nt))
		}
		env := consensus.BlockEnv{Number: num, Timestamp: parent.Timestamp + 1, Sealer: c.sealers[0].Address(),
			GasLimit: 1 << 30, ParentHash: parent.Hash(c.suite)}
		res, err := exec.ExecuteBlock(context.Background(), env, parent.StateRoot, txs)
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := consensus.BuildHeader(c.suite, env, txs, res)
		if err != nil {
			t.Fatal(err)
		}
		c.certify(t, h)
		c.blocks = append(c.blocks, &types.Block{Header: h, Txs: txs})
		c.results = append(c.results, res)
	}
}

// certify signs h by the first quorum of the sealers.
func (c *testChain) certify(t testing.TB, h *types.Header) {
	t.Helper()
	h.Signatures = nil
	for i := range BFTQuorum(len(c.sealers)) {
		sig, err := consensus.SignCommit(c.suite, c.sealers[i], h, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		h.Signatures = append(h.Signatures, sig)
	}
}

// newLedger makes a memory ledger holding the chain's blocks 0..upto.
func (c *testChain) newLedger(t testing.TB, upto int) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(storage.NewMemory(), c.suite, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.commitTo(t, l, 0, upto)
	return l
}

// commitTo commits the chain's blocks from..upto to l.
func (c *testChain) commitTo(t testing.TB, l *ledger.Ledger, from, upto int) {
	t.Helper()
	for n := from; n <= upto; n++ {
		r := c.results[n]
		var w ledger.StateWrites
		if r.State != nil {
			w = r.State.(ledger.StateWrites)
		}
		receipts := r.Receipts
		if receipts == nil {
			receipts = []*types.Receipt{}
		}
		if err := l.Commit(c.blocks[n], receipts, nil, w, nil); err != nil {
			t.Fatalf("committing test block %d: %v", n, err)
		}
	}
}

// manualClock ticks when the test says so.
type manualClock struct{ ch chan time.Time }

func newManualClock() *manualClock { return &manualClock{ch: make(chan time.Time, 1)} }

func (c *manualClock) NewTicker(time.Duration) (<-chan time.Time, func()) { return c.ch, func() {} }

// tick offers one tick; a tick still pending is not doubled.
func (c *manualClock) tick() {
	select {
	case c.ch <- time.Time{}:
	default:
	}
}

// memNet connects syncers in memory: Send delivers synchronously to the
// receiver's HandleMessage (which never blocks).
type memNet struct {
	mu       sync.Mutex
	handlers map[PeerID]func(PeerID, []byte)
	down     map[PeerID]bool
	// intercept, if set, sees every delivery and may take it (returning
	// true) to deliver later with deliverNow.
	intercept func(from, to PeerID, payload []byte) bool
	received  map[PeerID]map[Kind]int // deliveries by receiver and kind
}

func newMemNet() *memNet {
	return &memNet{handlers: make(map[PeerID]func(PeerID, []byte)), down: make(map[PeerID]bool), received: make(map[PeerID]map[Kind]int)}
}

func (n *memNet) attach(id PeerID, h func(PeerID, []byte)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.handlers[id] = h
	delete(n.down, id)
}

func (n *memNet) setIntercept(f func(from, to PeerID, payload []byte) bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.intercept = f
}

func (n *memNet) detach(id PeerID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.handlers, id)
}

func (n *memNet) send(from, to PeerID, payload []byte) error {
	n.mu.Lock()
	h := n.handlers[to]
	icpt := n.intercept
	n.mu.Unlock()
	if h == nil {
		return fmt.Errorf("peer %s not connected", to)
	}
	payload = bytes.Clone(payload)
	if icpt != nil && icpt(from, to, payload) {
		return nil
	}
	n.deliverNow(from, to, payload)
	return nil
}

func (n *memNet) deliverNow(from, to PeerID, payload []byte) {
	n.mu.Lock()
	h := n.handlers[to]
	if m, err := DecodeMessage(payload, DefaultMaxMessageSize); err == nil {
		if n.received[to] == nil {
			n.received[to] = make(map[Kind]int)
		}
		n.received[to][m.Kind]++
	}
	n.mu.Unlock()
	if h != nil {
		h(from, payload)
	}
}

func (n *memNet) receivedCount(id PeerID, k Kind) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.received[id][k]
}

func (n *memNet) peersOf(self PeerID) []PeerID {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []PeerID
	for id := range n.handlers {
		if id != self {
			out = append(out, id)
		}
	}
	return out
}

// memTransport is one node's Transport on a memNet. tamper, if set,
// rewrites every outgoing payload (a byzantine node).
type memTransport struct {
	net    *memNet
	self   PeerID
	tamper func(to PeerID, payload []byte) []byte
}

func (tr *memTransport) Send(to PeerID, payload []byte) error {
	if tr.tamper != nil {
		payload = tr.tamper(to, payload)
		if payload == nil {
			return nil // swallowed
		}
	}
	return tr.net.send(tr.self, to, payload)
}

func (tr *memTransport) Peers() []PeerID { return tr.net.peersOf(tr.self) }

// testNode is a syncer on a real memory ledger.
type testNode struct {
	id     PeerID
	ledger *ledger.Ledger
	syncer *Syncer
	clock  *manualClock
	tr     *memTransport
}

func testConfig() Config {
	c := DefaultConfig()
	c.TickInterval = 10 * time.Millisecond
	c.StatusInterval = 100 * time.Millisecond // 10 ticks
	c.RequestTimeout = 3 * time.Second        // 300 ticks
	c.TimeoutBackoff = 500 * time.Millisecond
	c.PenaltyDuration = time.Hour
	c.RetryInterval = 100 * time.Millisecond
	c.MaxBlocksPerRequest = 16
	c.MaxBufferedBlocks = 64
	return c
}

type nodeOpt struct {
	cfg    *Config
	exec   Executor
	tamper func(to PeerID, payload []byte) []byte
	ledger *ledger.Ledger
	logger *slog.Logger
	// sealers, when set, makes the node's SealerSet; nil: StaticSealers.
	sealers func(l *ledger.Ledger) SealerSet
}

// addNode starts a syncer named id whose ledger holds the chain's blocks
// 0..upto.
func (n *memNet) addNode(t *testing.T, c *testChain, id PeerID, upto int, o nodeOpt) *testNode {
	t.Helper()
	cfg := testConfig()
	if o.cfg != nil {
		cfg = *o.cfg
	}
	l := o.ledger
	if l == nil {
		l = c.newLedger(t, upto)
	}
	exec := o.exec
	if exec == nil {
		exec = &fakeExec{suite: c.suite}
	}
	tn := &testNode{id: id, ledger: l, clock: newManualClock(), tr: &memTransport{net: n, self: id, tamper: o.tamper}}
	var set SealerSet = StaticSealers(c.pubs)
	if o.sealers != nil {
		set = o.sealers(l)
	}
	s, err := New(Params{
		Config: cfg, Suite: c.suite, Ledger: ledgerAdapter{l}, Executor: exec, Transport: tn.tr,
		Sealers: set, Clock: tn.clock, Logger: o.logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	tn.syncer = s
	n.attach(id, s.HandleMessage)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return tn
}

// waitFor ticks every node's clock until cond holds, failing after a
// generous deadline (a liveness bound, not a timing assertion).
func waitFor(t *testing.T, nodes []*testNode, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, n := range nodes {
				fmt.Fprintf(&b, "\n  %s: %+v\n    stats %+v", n.id, n.syncer.Status(), n.syncer.Stats())
				for _, p := range n.syncer.Peers() {
					fmt.Fprintf(&b, "\n    peer %+v", p)
				}
			}
			t.Fatalf("gave up waiting for %s:%s", what, b.String())
		}
		for _, n := range nodes {
			n.clock.tick()
		}
		time.Sleep(500 * time.Microsecond)
	}
}

func headOf(l *ledger.Ledger) uint64 { return l.Height() }

// sameLedger checks that l holds exactly the chain's blocks 0..upto.
func sameLedger(t *testing.T, c *testChain, l *ledger.Ledger, upto int) {
	t.Helper()
	if h := l.Height(); h != uint64(upto) {
		t.Fatalf("ledger height %d, want %d", h, upto)
	}
	for n := 0; n <= upto; n++ {
		got, err := l.HashByNumber(uint64(n))
		if err != nil {
			t.Fatalf("block %d: %v", n, err)
		}
		if want := c.blocks[n].Header.Hash(c.suite); got != want {
			t.Fatalf("block %d hash %s, want %s", n, got, want)
		}
		b, err := l.BlockByNumber(uint64(n))
		if err != nil {
			t.Fatalf("block %d: %v", n, err)
		}
		if len(b.Header.Signatures) != len(c.blocks[n].Header.Signatures) {
			t.Fatalf("block %d stored with %d signatures, want %d", n, len(b.Header.Signatures), len(c.blocks[n].Header.Signatures))
		}
	}
}

func ledgerOpenEmpty(c *testChain) (*ledger.Ledger, error) {
	return ledger.Open(storage.NewMemory(), c.suite, nil)
}
