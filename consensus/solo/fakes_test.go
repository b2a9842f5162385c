package solo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// fakePool is a TxSource holding executable txs in order.
type fakePool struct {
	mu        sync.Mutex
	txs       []*types.Transaction
	notify    chan struct{}
	pendingCh chan int // receives the length of every Pending result, if set
	maxes     []int
	committed []*types.Block
}

func newFakePool() *fakePool {
	return &fakePool{notify: make(chan struct{}, 1), pendingCh: make(chan int, 1000)}
}

func (p *fakePool) add(txs ...*types.Transaction) {
	p.mu.Lock()
	p.txs = append(p.txs, txs...)
	p.mu.Unlock()
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

func (p *fakePool) Pending(max int) []*types.Transaction {
	p.mu.Lock()
	out := slices.Clone(p.txs[:min(max, len(p.txs))])
	p.maxes = append(p.maxes, max)
	p.mu.Unlock()
	select {
	case p.pendingCh <- len(out):
	default:
	}
	return out
}

func (p *fakePool) Notify() <-chan struct{} { return p.notify }

func (p *fakePool) Stats() (count int, bytes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tx := range p.txs {
		bytes += len(tx.Bytes())
	}
	return len(p.txs), bytes
}

func (p *fakePool) OnCommitted(b *types.Block) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.committed = append(p.committed, b)
	in := make(map[common.Hash]bool)
	for _, tx := range b.Txs {
		in[tx.Hash()] = true
	}
	p.txs = slices.DeleteFunc(p.txs, func(tx *types.Transaction) bool { return in[tx.Hash()] })
}

func (p *fakePool) committedBlocks() []*types.Block {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.committed)
}

// fakeExecutor gives every tx a receipt with one log and chains state
// roots as hash(parentRoot, tx hashes).
type fakeExecutor struct {
	t     *testing.T
	suite crypto.Suite

	mu    sync.Mutex
	fails int // fail this many calls first
	envs  []consensus.BlockEnv
	// block, if set, makes ExecuteBlock wait for ctx to end and signal entered.
	block   bool
	entered chan struct{}
}

func (x *fakeExecutor) ExecuteBlock(ctx context.Context, env consensus.BlockEnv, parentRoot common.Hash, txs []*types.Transaction) (*consensus.Result, error) {
	x.mu.Lock()
	x.envs = append(x.envs, env)
	fail := x.fails > 0
	if fail {
		x.fails--
	}
	block := x.block
	x.mu.Unlock()
	if len(txs) == 0 {
		x.t.Errorf("block %d executed with no transactions", env.Number)
	}
	if block {
		x.entered <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if fail {
		return nil, errors.New("injected execution failure")
	}
	res := &consensus.Result{State: fmt.Sprintf("writes of block %d", env.Number)}
	parts := [][]byte{parentRoot[:]}
	for _, tx := range txs {
		h := tx.Hash()
		parts = append(parts, h[:])
		res.Receipts = append(res.Receipts, &types.Receipt{
			Status:  types.ReceiptSuccess,
			GasUsed: 21000,
			Logs:    []*types.Log{{Address: tx.Sender(), Topics: []common.Hash{h}}},
		})
	}
	res.StateRoot = x.suite.Hash(parts...)
	return res, nil
}

func (x *fakeExecutor) calls() []consensus.BlockEnv {
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Clone(x.envs)
}

// committed is one Ledger.Commit call.
type committed struct {
	block    *types.Block
	receipts []*types.Receipt
	senders  []common.Address
	state    any
	at       time.Time
}

// fakeLedger keeps headers in memory and checks every block extends the head.
type fakeLedger struct {
	t     *testing.T
	suite crypto.Suite

	mu      sync.Mutex
	headers []*types.Header
	commits []committed
	fails   int
	// hold, if set, makes Commit signal entered and wait for release.
	hold     bool
	entered  chan struct{}
	release  chan struct{}
	commitCh chan *types.Block // receives every committed block
}

func newFakeLedger(t *testing.T, suite crypto.Suite, genesis *types.Header) *fakeLedger {
	l := &fakeLedger{t: t, suite: suite, commitCh: make(chan *types.Block, 100)}
	if genesis != nil {
		l.headers = []*types.Header{genesis}
	}
	return l
}

func (l *fakeLedger) Head() *types.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.headers) == 0 {
		return nil
	}
	h := *l.headers[len(l.headers)-1]
	return &h
}

func (l *fakeLedger) HashByNumber(n uint64) (common.Hash, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n >= uint64(len(l.headers)) {
		return common.Hash{}, false
	}
	return l.headers[n].Hash(l.suite), true
}

func (l *fakeLedger) Commit(b *types.Block, receipts []*types.Receipt, senders []common.Address, state any, roots *types.BlockRoots) error {
	l.mu.Lock()
	hold := l.hold
	l.mu.Unlock()
	if hold {
		l.entered <- struct{}{}
		<-l.release
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fails > 0 {
		l.fails--
		return errors.New("injected commit failure")
	}
	head := l.headers[len(l.headers)-1]
	if b.Header.Number != head.Number+1 || b.Header.ParentHash != head.Hash(l.suite) {
		l.t.Errorf("block %d does not extend head %d", b.Header.Number, head.Number)
	}
	if !roots.Match(l.suite, b.Header, b.Txs, receipts) { // the roots sealing computed
		l.t.Errorf("block %d committed without the roots of its header, txs and receipts", b.Header.Number)
	}
	l.headers = append(l.headers, b.Header)
	l.commits = append(l.commits, committed{b, receipts, senders, state, time.Now()})
	l.commitCh <- b
	return nil
}

func (l *fakeLedger) all() []committed {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.commits)
}

// waitBlocks waits for n more committed blocks.
func (l *fakeLedger) waitBlocks(t *testing.T, n int) []*types.Block {
	t.Helper()
	var out []*types.Block
	timeout := time.After(30 * time.Second)
	for len(out) < n {
		select {
		case b := <-l.commitCh:
			out = append(out, b)
		case <-timeout:
			t.Fatalf("waited too long: %d of %d blocks committed", len(out), n)
		}
	}
	return out
}

// harness wires an engine to fakes.
type harness struct {
	suite  crypto.Suite
	key    crypto.PrivateKey
	pool   *fakePool
	exec   *fakeExecutor
	ledger *fakeLedger
	engine *Engine
}

func genesisHeader(suite crypto.Suite) *types.Header {
	return &types.Header{Number: 0, Timestamp: 1_600_000_000, StateRoot: suite.Hash([]byte("genesis"))}
}

func newHarness(t *testing.T, suite crypto.Suite, cfg Config, logger *slog.Logger) *harness {
	t.Helper()
	key, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		suite:  suite,
		key:    key,
		pool:   newFakePool(),
		exec:   &fakeExecutor{t: t, suite: suite, entered: make(chan struct{}, 1)},
		ledger: newFakeLedger(t, suite, genesisHeader(suite)),
	}
	h.engine, err = New(Params{Config: cfg, Suite: suite, Key: key, Txs: h.pool, Executor: h.exec, Ledger: h.ledger, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// txs makes n verified native txs.
func makeTxs(t *testing.T, suite crypto.Suite, n int, gas uint64) []*types.Transaction {
	t.Helper()
	key, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*types.Transaction, n)
	for i := range out {
		nt := &types.NativeTx{ChainID: 1, GroupID: "g", BlockLimit: 100, GasLimit: gas, Input: fmt.Appendf(nil, "tx %d", i)}
		if err := nt.Sign(suite, key.PublicKey(), key.Sign); err != nil {
			t.Fatal(err)
		}
		tx := types.NewNativeTx(suite, nt)
		if _, err := tx.Verify(suite, 1, "g"); err != nil {
			t.Fatal(err)
		}
		out[i] = tx
	}
	return out
}

// checkNoLeak fails if goroutines started after baseline are still running.
func checkNoLeak(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines running, %d before the test:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recordHandler is a slog handler sending records to a channel.
type recordHandler struct{ ch chan slog.Record }

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.ch <- r:
	default:
	}
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }
