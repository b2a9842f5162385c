package executor

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// benchCall measures eth_call of data on a deployed Store. sys chooses the
// system contracts: with any registered, the EVM runs with the frame
// tracking hooks (go-ethereum's table-driven interpreter loop).
func benchCall(b *testing.B, sys *precompiled.Registry, method string, args ...any) {
	store := loadContract(b, "Store")
	cfg := testConfig()
	cfg.SystemContracts = sys
	c := newChain(b, crypto.ECDSA(), cfg, nil)
	user := newNativeSigner(b, crypto.ECDSA())
	addr := c.receipt(user.tx(b, nil, nil, store.deployData(b, big.NewInt(1)), 0)).ContractAddress
	msg := CallMsg{From: user.addr(), To: &addr, Data: store.pack(b, method, args...)}
	env := c.env()
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.e.Call(context.Background(), env, msg, c.kv)
		if err != nil || res.Err != nil {
			b.Fatalf("%v %v", err, res.Err)
		}
	}
}

func BenchmarkCallValue(b *testing.B) { benchCall(b, nil, "value") }

func BenchmarkCallFill50(b *testing.B) { benchCall(b, nil, "fill", big.NewInt(50)) }

func BenchmarkCallValueNoSystemContracts(b *testing.B) {
	benchCall(b, precompiled.NewRegistry(), "value")
}

func BenchmarkCallFill50NoSystemContracts(b *testing.B) {
	benchCall(b, precompiled.NewRegistry(), "fill", big.NewInt(50))
}

// BenchmarkExecuteBlock100 executes a block of 100 native txs calling
// Store.set (senders already verified, as the txpool leaves them).
func BenchmarkExecuteBlock100(b *testing.B) {
	store := loadContract(b, "Store")
	c := newChain(b, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(b, crypto.ECDSA())
	addr := c.receipt(user.tx(b, nil, nil, store.deployData(b, big.NewInt(1)), 0)).ContractAddress
	txs := make([]*types.Transaction, 100)
	for i := range txs {
		txs[i] = user.tx(b, &addr, nil, store.pack(b, "set", big.NewInt(int64(i))), 0)
		if _, err := txs[i].Verify(crypto.ECDSA(), testChainID, testGroup); err != nil {
			b.Fatal(err)
		}
	}
	env := c.env()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.e.ExecuteBlock(context.Background(), env, common.Hash{}, txs, c.kv); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecuteERC20 executes a block of 1000 conflict-free token
// transfers (distinct senders and recipients, native txs, senders already
// verified): execution alone, serially and with each parallel strategy on
// 2 and 4 workers. The parallel speed-up it reports depends on how many
// cores are free; the package documentation and BENCHMARKS.md have the
// figures measured on the shared 2-core reference machine (go test
// ./executor -run '^$' -bench ExecuteERC20 -benchtime 30x -count 3).
func BenchmarkExecuteERC20(b *testing.B) {
	w, txs := erc20Block(b)
	benchWorkers(b, w, txs, benchStrategies(2, 4), nil, lastSucceeded(b))
}

// erc20Block is BenchmarkExecuteERC20's world and block: 1000 transfers
// of a token, each from its own sender to its own recipient.
func erc20Block(b *testing.B) (*parWorld, []*types.Transaction) {
	const n = 1000
	w := newParWorld(b, n, 1)
	return w, verifiedNatives(b, w, n, func(i int, s nativeSigner) *types.Transaction {
		to := common.BigToAddress(big.NewInt(int64(0x10000 + i)))
		return s.tx(b, &tokenAddr, nil, tokenCall(to, 5), 100_000)
	})
}

// lastSucceeded is a benchWorkers check: the block's last transaction
// succeeded.
func lastSucceeded(b *testing.B) func(*BlockResult) {
	return func(res *BlockResult) {
		if last := res.Receipts[len(res.Receipts)-1]; last.Status != types.ReceiptSuccess {
			b.Fatal(last.ErrorMessage)
		}
	}
}

// BenchmarkExecuteERC20Cached is BenchmarkExecuteERC20 reading the state
// as a node does: through a state cache of the node's bounds, full, as a
// node's is once it has run a while (with the block's accounts and slots,
// and as many others as it holds).
func BenchmarkExecuteERC20Cached(b *testing.B) {
	w, txs := erc20Block(b)
	c := state.NewCache(state.DefaultCacheEntries, state.DefaultCacheBytes)
	fillCache(b, c, state.DefaultCacheEntries)
	benchWorkers(b, w, txs, benchStrategies(2), func() storage.Reader { return c.Reader(w.c.kv) }, lastSucceeded(b))
}

// fillCache fills c with n storage slots of an account no transaction
// touches, read through c from a store of their own.
func fillCache(b *testing.B, c *state.Cache, n int) {
	kv := storage.NewMemory()
	r := c.Reader(kv)
	for i := range n {
		slot := common.BigToHash(big.NewInt(int64(i)))
		key := state.StorageKey(common.Address{0xfe}, slot)
		if err := kv.Put(key, slot[:]); err != nil {
			b.Fatal(err)
		}
		if _, err := r.Get(key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecuteERC20Paired executes BenchmarkExecuteERC20's block
// serially and with each strategy on 2 workers in turn, block after block,
// so that both see the same load on a shared machine, and reports the
// median of the pairs' speed-ups (serial time over parallel time) with the
// median times. The "-cached" cases read the state as
// BenchmarkExecuteERC20Cached does, through a full state cache of a
// node's bounds.
func BenchmarkExecuteERC20Paired(b *testing.B) {
	w, txs := erc20Block(b)
	newExec := func(workers int, strategy string) *Executor {
		cfg := testConfig()
		cfg.Workers, cfg.Parallel = workers, strategy
		e, err := New(cfg, crypto.ECDSA(), nil)
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	var cache *state.Cache // filled when a cached case first runs
	readers := []struct {
		suffix string
		st     func() storage.Reader
	}{
		{"", func() storage.Reader { return w.c.kv }},
		{"-cached", func() storage.Reader {
			if cache == nil {
				cache = state.NewCache(state.DefaultCacheEntries, state.DefaultCacheBytes)
				fillCache(b, cache, state.DefaultCacheEntries)
			}
			return cache.Reader(w.c.kv)
		}},
	}
	for _, rd := range readers {
		for _, strategy := range parallelStrategies {
			b.Run(strategy+"-2"+rd.suffix, func(b *testing.B) {
				serial, par := newExec(1, ""), newExec(2, strategy)
				env := latestEnv(b, serial, w)
				st := rd.st()
				run := func(e *Executor) time.Duration {
					start := time.Now()
					if _, err := e.ExecuteBlock(context.Background(), env, w.c.root, txs, st); err != nil {
						b.Fatal(err)
					}
					return time.Since(start)
				}
				benchPaired(b, func() time.Duration { return run(serial) }, func() time.Duration { return run(par) }, "serial-ms", "parallel-ms")
				if par.serialFallbacks.Load() != 0 {
					b.Fatal("the block fell back to serial execution")
				}
			})
		}
	}
}

// benchPaired runs first and second one after the other in each
// iteration and reports the medians of their times, in milliseconds,
// named firstName and secondName, and the median ratio of the first's
// time to the second's ("speedup"): one process's pairs vary far less
// than separate processes on this shared machine.
func benchPaired(b *testing.B, first, second func() time.Duration, firstName, secondName string) {
	b.Helper()
	var t1, t2, ratios []float64
	for b.Loop() {
		x, y := first(), second()
		t1, t2 = append(t1, float64(x)), append(t2, float64(y))
		ratios = append(ratios, float64(x)/float64(y))
	}
	median := func(v []float64) float64 {
		slices.Sort(v)
		return v[len(v)/2]
	}
	b.ReportMetric(median(t1)/1e6, firstName)
	b.ReportMetric(median(t2)/1e6, secondName)
	b.ReportMetric(median(ratios), "speedup")
}

// BenchmarkExecuteERC20Conflict is BenchmarkExecuteERC20 with half the
// transfers (chosen at random, the same each run) sent to one hot
// recipient: each of those reads and writes the balance the one before it
// wrote.
func BenchmarkExecuteERC20Conflict(b *testing.B) {
	const n = 1000
	w := newParWorld(b, n, 1)
	rng := rand.New(rand.NewPCG(5, 5))
	hot := common.HexToAddress("0x0ba5e")
	txs := verifiedNatives(b, w, n, func(i int, s nativeSigner) *types.Transaction {
		to := common.BigToAddress(big.NewInt(int64(0x10000 + i)))
		if rng.IntN(2) == 0 {
			to = hot
		}
		return s.tx(b, &tokenAddr, nil, tokenCall(to, 5), 100_000)
	})
	benchWorkers(b, w, txs, benchStrategies(2), nil, func(res *BlockResult) {
		if res.Receipts[n-1].Status != types.ReceiptSuccess {
			b.Fatal(res.Receipts[n-1].ErrorMessage)
		}
	})
}

// BenchmarkExecuteCompute executes 200 conflict-free txs that each burn
// 500k gas in an EVM loop (Store.spin, ending out of gas): heavy
// transactions, where the parallel path's bookkeeping is small beside the
// EVM's work.
func BenchmarkExecuteCompute(b *testing.B) {
	const n = 200
	w := newParWorld(b, n, 1)
	txs := verifiedNatives(b, w, n, func(_ int, s nativeSigner) *types.Transaction {
		return s.tx(b, &w.storeAt, nil, w.store.pack(b, "spin"), 500_000)
	})
	benchWorkers(b, w, txs, benchStrategies(2), nil, nil)
}

// benchCase is one way of executing a block: serial (workers 1), or a
// parallel strategy on a number of workers.
type benchCase struct {
	workers  int
	strategy string
}

func (c benchCase) String() string {
	if c.workers <= 1 {
		return "serial"
	}
	return fmt.Sprintf("%s-%d", c.strategy, c.workers)
}

// benchStrategies is serial execution, then each parallel strategy on
// each of the worker counts.
func benchStrategies(workers ...int) []benchCase {
	cases := []benchCase{{workers: 1}}
	for _, n := range workers {
		for _, s := range parallelStrategies {
			cases = append(cases, benchCase{workers: n, strategy: s})
		}
	}
	return cases
}

// verifiedNatives makes n txs, tx i by mk from w's native sender i, with
// their senders already verified, as the txpool leaves them.
func verifiedNatives(tb testing.TB, w *parWorld, n int, mk func(i int, s nativeSigner) *types.Transaction) []*types.Transaction {
	tb.Helper()
	txs := make([]*types.Transaction, n)
	for i := range txs {
		txs[i] = mk(i, w.natives[i])
		if _, err := txs[i].Verify(crypto.ECDSA(), testChainID, testGroup); err != nil {
			tb.Fatal(err)
		}
	}
	return txs
}

// benchWorkers executes the block txs on w's chain in a sub-benchmark per
// case and reports transactions per second and the CPU time per block;
// check, when not nil, looks at every result. A block that falls back to
// serial execution fails the benchmark.
func benchWorkers(b *testing.B, w *parWorld, txs []*types.Transaction, cases []benchCase, st func() storage.Reader, check func(*BlockResult)) {
	if st == nil {
		st = func() storage.Reader { return w.c.kv }
	}
	for _, bc := range cases {
		b.Run(bc.String(), func(b *testing.B) {
			cfg := testConfig()
			cfg.Workers, cfg.Parallel = bc.workers, bc.strategy
			e, err := New(cfg, crypto.ECDSA(), nil)
			if err != nil {
				b.Fatal(err)
			}
			env := latestEnv(b, e, w)
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				res, err := e.ExecuteBlock(context.Background(), env, w.c.root, txs, st())
				if err != nil {
					b.Fatal(err)
				}
				if check != nil {
					check(res)
				}
			}
			b.ReportMetric(float64(b.N*len(txs))/b.Elapsed().Seconds(), "tx/s")
			// CPU time spent (all threads): on a shared machine the
			// wall-clock figures depend on the other load, this does less.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			if bc.strategy == ParallelChunks {
				b.ReportMetric(float64(e.reexecutedChunks.Load())/float64(b.N), "reexec/op")
				b.ReportMetric(float64(e.stolenChunks.Load())/float64(b.N), "taken/op")
			}
			if e.serialFallbacks.Load() != 0 {
				b.Fatal("the block fell back to serial execution")
			}
		})
	}
}

// latestEnv is the environment of the block after w's chain, with the
// rules read from its state but for the compatibility version: the latest,
// as on a chain made with this code (a genesis names it), where the state
// root is hashed in parts.
func latestEnv(b *testing.B, e *Executor, w *parWorld) BlockEnv {
	b.Helper()
	return w.c.envUnder(b, e, precompiled.LatestCompatibility(), precompiled.PermissionUnknown)
}
