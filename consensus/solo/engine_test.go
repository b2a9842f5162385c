package solo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

func TestConfig(t *testing.T) {
	for _, c := range []Config{DefaultConfig(), DevConfig()} {
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	if DevConfig().MinSealInterval != 0 {
		t.Fatal("dev config waits between blocks")
	}
	for _, c := range []Config{
		{MaxTxsPerBlock: 0, BlockGasLimit: 1},
		{MaxTxsPerBlock: 1, BlockGasLimit: 0},
		{MaxTxsPerBlock: 1, BlockGasLimit: 1, MinSealInterval: -time.Second},
	} {
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("%+v: %v", c, err)
		}
	}
}

func TestNewChecksDependencies(t *testing.T) {
	suite := crypto.ECDSA()
	key, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	smKey, err := crypto.SM().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	full := Params{Config: DevConfig(), Suite: suite, Key: key, Txs: newFakePool(),
		Executor: &fakeExecutor{}, Ledger: newFakeLedger(t, suite, nil)}
	if _, err := New(full); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Params){
		"suite":    func(p *Params) { p.Suite = nil },
		"key":      func(p *Params) { p.Key = nil },
		"txs":      func(p *Params) { p.Txs = nil },
		"executor": func(p *Params) { p.Executor = nil },
		"ledger":   func(p *Params) { p.Ledger = nil },
	} {
		p := full
		mut(&p)
		if _, err := New(p); !errors.Is(err, ErrMissingDep) {
			t.Errorf("without %s: %v", name, err)
		}
	}
	p := full
	p.Key = smKey
	if _, err := New(p); !errors.Is(err, consensus.ErrSuiteMismatch) {
		t.Errorf("SM key on an ECDSA chain: %v", err)
	}
	p = full
	p.Config.MaxTxsPerBlock = 0
	if _, err := New(p); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad config: %v", err)
	}
}

func TestLifecycle(t *testing.T) {
	baseline := runtime.NumGoroutine()
	suite := crypto.ECDSA()
	h := newHarness(t, suite, DevConfig(), nil)
	if s := h.engine.Status(); s.Running || s.Engine != consensus.NameSolo || !s.Sealer || !s.Leader {
		t.Fatalf("status before start: %+v", s)
	}
	if h.engine.Name() != consensus.NameSolo {
		t.Fatal(h.engine.Name())
	}
	if err := h.engine.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := h.engine.Start(t.Context()); !errors.Is(err, ErrAlreadyStarted) {
		t.Fatalf("second Start: %v", err)
	}
	if s := h.engine.Status(); !s.Running || s.Height != 0 || s.BlockHash != genesisHeader(suite).Hash(suite) {
		t.Fatalf("status after start: %+v", s)
	}
	if err := h.engine.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := h.engine.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if h.engine.Status().Running {
		t.Fatal("running after Stop")
	}
	if err := h.engine.Start(t.Context()); !errors.Is(err, ErrStopped) {
		t.Fatalf("Start after Stop: %v", err)
	}
	checkNoLeak(t, baseline)

	// Stop before Start is fine; Start without a genesis block is not.
	h2 := newHarness(t, suite, DevConfig(), nil)
	if err := h2.engine.Stop(); err != nil {
		t.Fatal(err)
	}
	h3 := newHarness(t, suite, DevConfig(), nil)
	h3.ledger.headers = nil
	if err := h3.engine.Start(t.Context()); !errors.Is(err, ErrNoHead) {
		t.Fatalf("Start without head: %v", err)
	}
}

func TestSealsOnlyWhenTxsExist(t *testing.T) {
	baseline := runtime.NumGoroutine()
	suite := crypto.ECDSA()
	h := newHarness(t, suite, DevConfig(), nil)
	if err := h.engine.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The engine looks, finds nothing and waits.
	if n := <-h.pool.pendingCh; n != 0 {
		t.Fatalf("first Pending returned %d", n)
	}
	if len(h.ledger.all()) != 0 {
		t.Fatal("sealed a block with no transactions")
	}
	txs := makeTxs(t, suite, 3, 0)
	h.pool.add(txs...)
	b := h.ledger.waitBlocks(t, 1)[0]
	if b.Header.Number != 1 || len(b.Txs) != 3 {
		t.Fatalf("block %d with %d txs", b.Header.Number, len(b.Txs))
	}
	// After the block it looks again, finds nothing and waits: no empty block.
	for n := range h.pool.pendingCh {
		if n == 0 {
			break
		}
	}
	if err := h.engine.Stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(h.ledger.all()); n != 1 {
		t.Fatalf("%d blocks committed, want 1", n)
	}
	if got := h.pool.committedBlocks(); len(got) != 1 || got[0] != b {
		t.Fatalf("pool told of %d blocks", len(got))
	}
	if s := h.engine.Status(); s.Height != 1 || s.BlockHash != b.Header.Hash(suite) || s.LastBlockTime.IsZero() {
		t.Fatalf("status %+v", s)
	}
	checkNoLeak(t, baseline)
}

func TestBlocksChainAndVerify(t *testing.T) {
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(suite.Name(), func(t *testing.T) {
			baseline := runtime.NumGoroutine()
			cfg := DevConfig()
			cfg.MaxTxsPerBlock = 3
			h := newHarness(t, suite, cfg, nil)
			// The genesis timestamp is ahead of the clock: blocks keep it.
			future := uint64(time.Now().Unix()) + 3600
			h.ledger.headers[0].Timestamp = future
			txs := makeTxs(t, suite, 8, 0)
			h.pool.add(txs...)
			if err := h.engine.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			blocks := h.ledger.waitBlocks(t, 3)
			if err := h.engine.Stop(); err != nil {
				t.Fatal(err)
			}

			wantSizes := []int{3, 3, 2}
			parent := genesisHeader(suite)
			parent.Timestamp = future
			commits := h.ledger.all()
			envs := h.exec.calls()
			var sealed []*types.Transaction
			for i, b := range blocks {
				hd := b.Header
				if len(b.Txs) != wantSizes[i] {
					t.Fatalf("block %d has %d txs, want %d", hd.Number, len(b.Txs), wantSizes[i])
				}
				sealed = append(sealed, b.Txs...)
				if hd.Number != parent.Number+1 || hd.ParentHash != parent.Hash(suite) {
					t.Fatalf("block %d does not chain to %d", hd.Number, parent.Number)
				}
				if hd.Timestamp != future {
					t.Fatalf("block %d timestamp %d, want the parent's %d", hd.Number, hd.Timestamp, future)
				}
				if hd.TxRoot != types.TxRoot(suite, b.Txs) {
					t.Fatalf("block %d tx root", hd.Number)
				}
				c := commits[i]
				if hd.ReceiptRoot != types.ReceiptRoot(suite, c.receipts) || hd.LogsBloom != types.LogsBloom(c.receipts) {
					t.Fatalf("block %d receipt root or bloom", hd.Number)
				}
				if hd.GasUsed != uint64(21000*len(b.Txs)) || hd.GasLimit != cfg.BlockGasLimit || hd.Sealer != h.key.Address() {
					t.Fatalf("block %d header %+v", hd.Number, hd)
				}
				parts := [][]byte{parent.StateRoot[:]}
				for _, tx := range b.Txs {
					th := tx.Hash()
					parts = append(parts, th[:])
				}
				if hd.StateRoot != suite.Hash(parts...) {
					t.Fatalf("block %d state root not executed on the parent's", hd.Number)
				}
				if len(hd.Signatures) != 1 || hd.Signatures[0].Index != 0 {
					t.Fatalf("block %d signatures %+v", hd.Number, hd.Signatures)
				}
				if err := consensus.VerifyCommit(suite, hd, [][]byte{h.key.PublicKey()}, 1); err != nil {
					t.Fatalf("block %d certificate: %v", hd.Number, err)
				}
				if c.state != fmt.Sprintf("writes of block %d", hd.Number) || len(c.senders) != len(b.Txs) {
					t.Fatalf("block %d commit: state %v, %d senders", hd.Number, c.state, len(c.senders))
				}
				for k, tx := range b.Txs {
					if c.senders[k] != tx.Sender() {
						t.Fatalf("block %d sender %d", hd.Number, k)
					}
				}
				env := envs[i]
				if env.Number != hd.Number || env.GetHash(parent.Number) != parent.Hash(suite) ||
					env.GetHash(0) != genesisWith(suite, future).Hash(suite) || env.GetHash(hd.Number) != (common.Hash{}) {
					t.Fatalf("block %d env %+v", hd.Number, env)
				}
				parent = hd
			}
			for i := range txs {
				if sealed[i] != txs[i] {
					t.Fatalf("tx %d sealed out of order", i)
				}
			}
			for _, max := range h.pool.maxes {
				if max != 3 {
					t.Fatalf("Pending asked for %d txs, the limit is 3", max)
				}
			}
			checkNoLeak(t, baseline)
		})
	}
}

func genesisWith(suite crypto.Suite, ts uint64) *types.Header {
	g := genesisHeader(suite)
	g.Timestamp = ts
	return g
}

func TestGasLimitSplitsBlocks(t *testing.T) {
	suite := crypto.ECDSA()
	cfg := DevConfig()
	cfg.BlockGasLimit = 50_000
	h := newHarness(t, suite, cfg, nil)
	small := makeTxs(t, suite, 3, 20_000) // two fit in a block
	huge := makeTxs(t, suite, 1, 80_000)  // above the limit: sealed alone
	h.pool.add(append(small, huge...)...)
	if err := h.engine.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	blocks := h.ledger.waitBlocks(t, 3)
	if err := h.engine.Stop(); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{2, 1, 1} {
		if len(blocks[i].Txs) != want {
			t.Fatalf("block %d has %d txs, want %d", i+1, len(blocks[i].Txs), want)
		}
	}
	if blocks[2].Txs[0] != huge[0] {
		t.Fatal("the oversized tx is not alone in its block")
	}
}

// TestMinSealInterval: blocks that are not full are committed at least
// the interval apart (one tx waits at a time; a block holds up to 2).
func TestMinSealInterval(t *testing.T) {
	suite := crypto.ECDSA()
	cfg := DevConfig()
	cfg.MaxTxsPerBlock = 2
	cfg.MinSealInterval = 30 * time.Millisecond
	h := newHarness(t, suite, cfg, nil)
	txs := makeTxs(t, suite, 3, 0)
	h.pool.add(txs[0])
	if err := h.engine.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= len(txs); i++ {
		h.ledger.waitBlocks(t, 1)
		if i < len(txs) {
			h.pool.add(txs[i])
		}
	}
	if err := h.engine.Stop(); err != nil {
		t.Fatal(err)
	}
	c := h.ledger.all()
	for i := 1; i < len(c); i++ {
		if gap := c[i].at.Sub(c[i-1].at); gap < cfg.MinSealInterval {
			t.Fatalf("blocks %d and %d committed %v apart, the minimum is %v", i, i+1, gap, cfg.MinSealInterval)
		}
	}
}

// TestFullBlockNotHeldByMinSealInterval: a pool holding a full block gets
// it sealed without waiting for the interval; the partial block left
// waits for it.
func TestFullBlockNotHeldByMinSealInterval(t *testing.T) {
	suite := crypto.ECDSA()
	cfg := DevConfig()
	cfg.MaxTxsPerBlock = 2
	cfg.MinSealInterval = time.Hour
	h := newHarness(t, suite, cfg, nil)
	h.pool.add(makeTxs(t, suite, 5, 0)...)
	if err := h.engine.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	blocks := h.ledger.waitBlocks(t, 2) // fails after 30 s, well within the hour
	if len(blocks[0].Txs) != 2 || len(blocks[1].Txs) != 2 {
		t.Fatalf("blocks of %d and %d txs, want two full ones", len(blocks[0].Txs), len(blocks[1].Txs))
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(h.ledger.all()); n != 2 {
		t.Fatalf("%d blocks: the last tx, not a full block, must wait for the interval", n)
	}
	h.pool.add(makeTxs(t, suite, 1, 0)...) // now a full block again
	h.ledger.waitBlocks(t, 1)
	if err := h.engine.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestRetriesAfterFailures(t *testing.T) {
	baseline := runtime.NumGoroutine()
	suite := crypto.ECDSA()
	records := make(chan slog.Record, 100)
	h := newHarness(t, suite, DevConfig(), slog.New(recordHandler{records}))
	h.exec.fails = 2
	h.ledger.fails = 1
	txs := makeTxs(t, suite, 2, 0)
	h.pool.add(txs...)
	if err := h.engine.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	b := h.ledger.waitBlocks(t, 1)[0]
	if err := h.engine.Stop(); err != nil {
		t.Fatal(err)
	}
	if b.Header.Number != 1 || len(b.Txs) != 2 {
		t.Fatalf("block %d with %d txs", b.Header.Number, len(b.Txs))
	}
	if n := len(h.exec.calls()); n != 4 { // 2 failures, 1 commit failure, 1 success
		t.Fatalf("%d executions, want 4", n)
	}
	if n := len(h.pool.committedBlocks()); n != 1 {
		t.Fatalf("pool told of %d blocks, want 1", n)
	}
	errorsLogged := 0
	for len(records) > 0 {
		if r := <-records; r.Level == slog.LevelError {
			errorsLogged++
		}
	}
	if errorsLogged != 3 {
		t.Fatalf("%d errors logged, want 3", errorsLogged)
	}
	checkNoLeak(t, baseline)
}

func TestUnverifiedTxIsNotSealed(t *testing.T) {
	suite := crypto.ECDSA()
	records := make(chan slog.Record, 100)
	h := newHarness(t, suite, DevConfig(), slog.New(recordHandler{records}))
	key, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	nt := &types.NativeTx{ChainID: 1, GroupID: "g", BlockLimit: 100}
	if err := nt.Sign(suite, key.PublicKey(), key.Sign); err != nil {
		t.Fatal(err)
	}
	h.pool.add(types.NewNativeTx(suite, nt)) // never verified
	if err := h.engine.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	for r := range records {
		if r.Level == slog.LevelError {
			break
		}
	}
	if err := h.engine.Stop(); err != nil {
		t.Fatal(err)
	}
	if len(h.exec.calls()) != 0 || len(h.ledger.all()) != 0 {
		t.Fatal("an unverified tx was executed or committed")
	}
}

func TestStopDuringExecution(t *testing.T) {
	baseline := runtime.NumGoroutine()
	suite := crypto.ECDSA()
	h := newHarness(t, suite, DevConfig(), nil)
	h.exec.block = true
	h.pool.add(makeTxs(t, suite, 1, 0)...)
	if err := h.engine.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-h.exec.entered
	if err := h.engine.Stop(); err != nil {
		t.Fatal(err)
	}
	if len(h.ledger.all()) != 0 || len(h.pool.committedBlocks()) != 0 {
		t.Fatal("a block was committed after its execution was canceled")
	}
	checkNoLeak(t, baseline)
}

func TestCommitFinishesWhenContextEnds(t *testing.T) {
	baseline := runtime.NumGoroutine()
	suite := crypto.ECDSA()
	h := newHarness(t, suite, DevConfig(), nil)
	h.ledger.hold = true
	h.ledger.entered = make(chan struct{}, 1)
	h.ledger.release = make(chan struct{})
	h.pool.add(makeTxs(t, suite, 2, 0)...)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := h.engine.Start(ctx); err != nil {
		t.Fatal(err)
	}
	<-h.ledger.entered
	cancel() // the engine's context ends while the block is being committed
	stopped := make(chan error)
	go func() { stopped <- h.engine.Stop() }()
	close(h.ledger.release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if len(h.ledger.all()) != 1 {
		t.Fatal("the in-flight block was not committed")
	}
	if len(h.pool.committedBlocks()) != 1 {
		t.Fatal("the pool was not told of the committed block")
	}
	if s := h.engine.Status(); s.Height != 1 || s.Running {
		t.Fatalf("status %+v", s)
	}
	checkNoLeak(t, baseline)
}

func TestFitGas(t *testing.T) {
	suite := crypto.ECDSA()
	cfg := DevConfig()
	cfg.BlockGasLimit = 100
	e := &Engine{cfg: cfg}
	mk := func(gases ...uint64) []*types.Transaction {
		var out []*types.Transaction
		for _, g := range gases {
			out = append(out, makeTxs(t, suite, 1, g)...)
		}
		return out
	}
	for _, c := range []struct {
		gases []uint64
		want  int
	}{
		{[]uint64{10, 20, 30}, 3},
		{[]uint64{50, 50, 1}, 2},
		{[]uint64{150, 1}, 1},
		{[]uint64{1, 150, 1}, 1},
		{[]uint64{0, 0, 100}, 3},
		{[]uint64{^uint64(0), ^uint64(0)}, 1},
		{[]uint64{^uint64(0), 1}, 1},
		{[]uint64{60, ^uint64(0) - 30}, 1},
	} {
		if got := len(e.fitGas(mk(c.gases...))); got != c.want {
			t.Errorf("gases %v: kept %d, want %d", c.gases, got, c.want)
		}
	}
}
