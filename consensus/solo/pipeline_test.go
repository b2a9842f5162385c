package solo

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// pendingExec is the fake executor with ExecuteBlockOn: its results do
// not depend on the store, so a block runs the same on a pending parent.
// It checks what it is given and reports each call on onPending.
type pendingExec struct {
	*fakeExecutor
	t         *testing.T
	mu        sync.Mutex
	onPending int
	called    chan uint64 // the number of each block executed on a pending one
}

func (x *pendingExec) ExecuteBlockOn(ctx context.Context, env consensus.BlockEnv, parentRoot common.Hash, txs []*types.Transaction, pending []consensus.Pending) (*consensus.Result, error) {
	last := pending[len(pending)-1].Header
	if len(pending) != 1 || last.Number+1 != env.Number || last.StateRoot != parentRoot ||
		env.ParentHash != last.Hash(x.suite) || pending[0].State != fmt.Sprintf("writes of block %d", last.Number) {
		x.t.Errorf("block %d executed on pending %+v", env.Number, pending)
	}
	x.mu.Lock()
	x.onPending++
	x.mu.Unlock()
	res, err := x.ExecuteBlock(ctx, env, parentRoot, txs)
	if x.called != nil {
		x.called <- env.Number
	}
	return res, err
}

func newPipelineHarness(t *testing.T, serial bool, maxTxs int) (*harness, *pendingExec) {
	t.Helper()
	suite := crypto.ECDSA()
	cfg := DevConfig()
	cfg.MaxTxsPerBlock = maxTxs
	cfg.Serial = serial
	h := newHarness(t, suite, cfg, nil)
	pe := &pendingExec{fakeExecutor: h.exec, t: t}
	var err error
	h.engine, err = New(Params{Config: cfg, Suite: suite, Key: h.key, Txs: h.pool, Executor: pe, Ledger: h.ledger,
		Now: func() time.Time { return time.Unix(1_700_000_000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	return h, pe
}

// TestOverlapCommitsSameChain seals the same txs with and without
// overlap, with each commit held until the next block was executed on top
// of it: the chains are the same, block for block.
func TestOverlapCommitsSameChain(t *testing.T) {
	baseline := runtime.NumGoroutine()
	key, _ := crypto.ECDSA().GenerateKey()
	txs := makeTxs(t, crypto.ECDSA(), 11, 0)
	var chains [2][]common.Hash
	for i, serial := range []bool{true, false} {
		h, pe := newPipelineHarness(t, serial, 3)
		h.engine.key = key // same sealer: same headers
		h.ledger.hold = true
		h.ledger.entered = make(chan struct{}, 1)
		h.ledger.release = make(chan struct{})
		pe.called = make(chan uint64, 10)
		h.pool.add(txs...)
		if err := h.engine.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= 4; n++ {
			waitFor[struct{}](t, h.ledger.entered)
			if !serial && n < 4 {
				// Block n+1 runs on block n while n's commit is held.
				if got := waitFor(t, pe.called); got != uint64(n+1) {
					t.Fatalf("block %d executed on a pending one, want %d", got, n+1)
				}
			}
			release(t, h.ledger)
		}
		for _, b := range h.ledger.waitBlocks(t, 4) {
			chains[i] = append(chains[i], b.Header.Hash(crypto.ECDSA()))
			if b.Header.Number != uint64(len(chains[i])) {
				t.Fatalf("block %d committed as the %dth", b.Header.Number, len(chains[i]))
			}
		}
		if err := h.engine.Stop(); err != nil {
			t.Fatal(err)
		}
		if n := pe.onPending; (serial && n != 0) || (!serial && n != 3) {
			t.Fatalf("serial %v: %d blocks executed on a pending one", serial, n)
		}
		if got := len(h.pool.committedBlocks()); got != 4 {
			t.Fatalf("the pool was told of %d blocks, want 4", got)
		}
	}
	if fmt.Sprint(chains[0]) != fmt.Sprint(chains[1]) {
		t.Fatalf("chains differ:\nserial  %v\noverlap %v", chains[0], chains[1])
	}
	checkNoLeak(t, baseline)
}

// TestOverlapAnnouncesOnlyCommitted holds block 1's commit while block 2
// executes on it: nothing is told of block 1 before its commit returns,
// block 2's commit does not start before, and block 2 is not announced
// before its own commit returns.
func TestOverlapAnnouncesOnlyCommitted(t *testing.T) {
	baseline := runtime.NumGoroutine()
	h, pe := newPipelineHarness(t, false, 2)
	tr := make(chanTracer, 10)
	h.engine.tracer = tr
	h.ledger.hold = true
	h.ledger.entered = make(chan struct{}, 1)
	h.ledger.release = make(chan struct{})
	pe.called = make(chan uint64, 10)
	h.pool.add(makeTxs(t, h.suite, 4, 0)...)
	if err := h.engine.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	announced := func() (int, uint64, int) {
		return len(h.pool.committedBlocks()), h.engine.Status().Height, len(tr)
	}
	waitFor[struct{}](t, h.ledger.entered) // block 1 commits
	if got := waitFor(t, pe.called); got != 2 {
		t.Fatalf("executed block %d on the pending one", got)
	}
	select {
	case <-h.ledger.entered:
		t.Fatal("block 2's commit started before block 1's ended")
	case <-time.After(50 * time.Millisecond):
	}
	if p, s, n := announced(); p != 0 || s != 0 || n != 0 {
		t.Fatalf("block 1 announced before its commit: pool %d, status height %d, traces %d", p, s, n)
	}
	release(t, h.ledger)
	waitFor[struct{}](t, h.ledger.entered) // block 2 commits: block 1 is announced by now
	if p, s, n := announced(); p != 1 || s != 1 || n != 1 {
		t.Fatalf("after block 1's commit: pool %d, status height %d, traces %d", p, s, n)
	}
	release(t, h.ledger)
	h.ledger.waitBlocks(t, 2)
	if err := h.engine.Stop(); err != nil {
		t.Fatal(err)
	}
	if p, s, n := announced(); p != 2 || s != 2 || n != 2 {
		t.Fatalf("after block 2's commit: pool %d, status height %d, traces %d", p, s, n)
	}
	checkNoLeak(t, baseline)
}

// TestOverlapParentCommitFails fails block 1's commit after block 2 was
// executed on it: block 2 is discarded, nothing is announced of either,
// and the engine seals both again on the committed head.
func TestOverlapParentCommitFails(t *testing.T) {
	baseline := runtime.NumGoroutine()
	h, pe := newPipelineHarness(t, false, 2)
	h.ledger.hold = true
	h.ledger.fails = 1
	h.ledger.entered = make(chan struct{}, 1)
	h.ledger.release = make(chan struct{})
	pe.called = make(chan uint64, 10)
	txs := makeTxs(t, h.suite, 4, 0)
	h.pool.add(txs...)
	if err := h.engine.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor[struct{}](t, h.ledger.entered) // block 1, whose commit fails
	if got := waitFor(t, pe.called); got != 2 {
		t.Fatalf("executed block %d on the pending one", got)
	}
	release(t, h.ledger)
	for range 2 { // block 1 again, then block 2 (executed on it)
		waitFor[struct{}](t, h.ledger.entered)
		if p := len(h.pool.committedBlocks()); p > 1 {
			t.Fatalf("pool told of %d blocks", p)
		}
		release(t, h.ledger)
	}
	blocks := h.ledger.waitBlocks(t, 2)
	if err := h.engine.Stop(); err != nil {
		t.Fatal(err)
	}
	var sealed []*types.Transaction
	for _, b := range blocks {
		sealed = append(sealed, b.Txs...)
	}
	if fmt.Sprint(sealed) != fmt.Sprint(txs) || len(h.ledger.all()) != 2 || len(h.pool.committedBlocks()) != 2 {
		t.Fatalf("committed %d blocks (pool told of %d) holding %d txs", len(h.ledger.all()), len(h.pool.committedBlocks()), len(sealed))
	}
	checkNoLeak(t, baseline)
}

func waitFor[T any](t *testing.T, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(30 * time.Second):
		t.Fatal("waited too long")
		panic("unreachable")
	}
}

// release lets one held commit go on.
func release(t *testing.T, l *fakeLedger) {
	t.Helper()
	select {
	case l.release <- struct{}{}:
	case <-time.After(30 * time.Second):
		t.Fatal("no commit to release")
	}
}
