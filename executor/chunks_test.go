package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/types"
)

// tokenGas is the gas limit of the token transfers of these tests: with
// it, 10 of them fit in the test block gas limit many times over.
const tokenGas = 100_000

// chunkBlockTxs is a block of n conflict-free token transfers, tx i from
// w's native sender i to an address of its own, with the transfers in
// special replacing theirs.
func chunkBlockTxs(t *testing.T, w *parWorld, n int, special map[int]*types.Transaction) []*types.Transaction {
	t.Helper()
	txs := make([]*types.Transaction, n)
	for i := range txs {
		if tx, ok := special[i]; ok {
			txs[i] = tx
			continue
		}
		to := common.BigToAddress(big.NewInt(int64(0x10000 + i)))
		txs[i] = w.natives[i].tx(t, &tokenAddr, nil, tokenCall(to, 1), tokenGas)
	}
	return txs
}

// runChunks executes txs serially and in chunks on the given number of
// workers, none taking from another's chunk, requires identical results, and returns the serial result and
// how many chunks were executed again.
func runChunks(t *testing.T, w *parWorld, workers int, txs []*types.Transaction) (*BlockResult, int64) {
	t.Helper()
	want := w.executeWith(t, 1, txs)
	w.strategy, w.noSteal, w.parallel, w.fallbacks, w.reexecuted = ParallelChunks, true, 0, 0, 0
	got := w.executeWith(t, workers, txs)
	sameResult(t, fmt.Sprintf("chunks, %d workers", workers), want, got)
	if w.parallel != 1 || w.fallbacks != 0 {
		t.Fatalf("%d blocks in parallel, %d handed back to serial; want 1 and 0", w.parallel, w.fallbacks)
	}
	return want, w.reexecuted
}

func mustStatus(t *testing.T, res *BlockResult, i int, want uint64) {
	t.Helper()
	if r := res.Receipts[i]; r.Status != want {
		t.Fatalf("tx %d: status %d (%s), want %d: the test does not test what it says", i, r.Status, r.ErrorMessage, want)
	}
}

// A conflict in the middle of the second of three chunks: tx 15 can pay
// only with what tx 3 (first chunk) sent it, so the second chunk runs
// again; tx 25 (third chunk) can pay only with what tx 15 sent it, which
// only the second chunk's second run wrote, so the third runs again too.
// Without tx 25's dependency the third chunk stays valid.
func TestChunksConflictMidChunk(t *testing.T) {
	for _, chained := range []bool{false, true} {
		t.Run(fmt.Sprintf("chained=%v", chained), func(t *testing.T) {
			w := newParWorld(t, 30, 1)
			n3, n15, n25 := w.natives[3], w.natives[15], w.natives[25]
			to15 := common.HexToAddress("0xbeef") // tx 25 reads nothing tx 15 wrote
			if chained {
				to15 = n25.addr()
			}
			special := map[int]*types.Transaction{
				3:  n3.tx(t, &tokenAddr, nil, tokenCall(n15.addr(), 10), tokenGas),
				15: n15.tx(t, &tokenAddr, nil, tokenCall(to15, 1_000_005), tokenGas),
			}
			if chained {
				special[25] = n25.tx(t, &tokenAddr, nil, tokenCall(common.HexToAddress("0xbeef"), 2_000_005), tokenGas)
			}
			want, again := runChunks(t, w, 3, chunkBlockTxs(t, w, 30, special))
			mustStatus(t, want, 15, types.ReceiptSuccess)
			wantAgain := int64(1)
			if chained {
				mustStatus(t, want, 25, types.ReceiptSuccess)
				wantAgain = 2
			}
			if again != wantAgain {
				t.Fatalf("%d chunks executed again, want %d", again, wantAgain)
			}
		})
	}
}

// Keys that an earlier chunk changes and restores to their starting value
// are no conflict for a later chunk that reads them: within one chunk
// (its net writes drop them), and when a chunk executed again restores
// what an earlier one changed.
func TestChunksRestoredKeys(t *testing.T) {
	t.Run("within a chunk", func(t *testing.T) {
		w := newParWorld(t, 10, 1)
		n1, n2 := w.natives[1], w.natives[2]
		special := map[int]*types.Transaction{
			1: n1.tx(t, &tokenAddr, nil, tokenCall(n2.addr(), 10), tokenGas),
			2: n2.tx(t, &tokenAddr, nil, tokenCall(n1.addr(), 10), tokenGas),
			7: w.natives[7].tx(t, &tokenAddr, nil, tokenCall(n2.addr(), 1), tokenGas),
			8: w.natives[8].tx(t, &tokenAddr, nil, tokenCall(n1.addr(), 1), tokenGas),
		}
		_, again := runChunks(t, w, 2, chunkBlockTxs(t, w, 10, special))
		if again != 0 {
			t.Fatalf("%d chunks executed again, want 0", again)
		}
	})
	t.Run("by a chunk executed again", func(t *testing.T) {
		w := newParWorld(t, 11, 1)
		n1, n4 := w.natives[9], w.natives[10] // sending no other tx of the block
		special := map[int]*types.Transaction{
			0: n1.tx(t, &tokenAddr, nil, tokenCall(n4.addr(), 10), tokenGas),
			3: n4.tx(t, &tokenAddr, nil, tokenCall(n1.addr(), 10), tokenGas),
			// Transfers of 0 read the recipient's balance and leave it.
			6: w.natives[6].tx(t, &tokenAddr, nil, tokenCall(n1.addr(), 0), tokenGas),
			7: w.natives[7].tx(t, &tokenAddr, nil, tokenCall(n4.addr(), 0), tokenGas),
		}
		want, again := runChunks(t, w, 3, chunkBlockTxs(t, w, 9, special))
		for _, x := range want.Writes.Writes() {
			for _, a := range []common.Address{n1.addr(), n4.addr()} {
				if bytes.Equal(x.Key, state.StorageKey(tokenAddr, common.BytesToHash(a.Bytes()))) {
					t.Fatalf("serial write set changes the token balance of %v, which the block restored", a)
				}
			}
		}
		if again != 1 {
			t.Fatalf("%d chunks executed again, want 1 (the second)", again)
		}
	})
}

// Every transaction reads the sealer's account (go-ethereum credits it
// the zero fee): value sent to the sealer conflicts with every later
// chunk.
func TestChunksValueToSealer(t *testing.T) {
	w := newParWorld(t, 12, 1)
	special := map[int]*types.Transaction{
		2: w.natives[2].tx(t, &testSealer, big.NewInt(5), nil, tokenGas),
	}
	want, again := runChunks(t, w, 3, chunkBlockTxs(t, w, 12, special))
	mustStatus(t, want, 2, types.ReceiptSuccess)
	if again != 2 {
		t.Fatalf("%d chunks executed again, want 2", again)
	}
	// Sent from the last chunk, it conflicts with nothing.
	w.commit(t, want)
	special = map[int]*types.Transaction{
		11: w.natives[11].tx(t, &testSealer, big.NewInt(5), nil, tokenGas),
	}
	if _, again := runChunks(t, w, 3, chunkBlockTxs(t, w, 12, special)); again != 0 {
		t.Fatalf("%d chunks executed again, want 0", again)
	}
}

// Serial execution rejects a transaction when the gas used before it plus
// its gas limit exceeds the block's; a chunk's gas pool did not hold the
// earlier chunks' gas, so the block runs serially instead, with serial
// results. A block whose gas limits all fit runs in chunks.
func TestChunksBlockGasLimit(t *testing.T) {
	w := newParWorld(t, 8, 1)
	var txs []*types.Transaction
	for i := range 8 {
		txs = append(txs, w.natives[i].tx(t, &w.storeAt, nil, w.store.pack(t, "spin"), 400_000))
	}
	cfg := testConfig()
	cfg.TxGasLimit, cfg.BlockGasLimit = 400_000, 7*400_000 // the eighth does not fit
	cfg.Workers = 1
	serialExec, err := New(cfg, crypto.ECDSA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workers, cfg.Parallel = 2, ParallelChunks
	chunkExec, err := New(cfg, crypto.ECDSA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		txs       []*types.Transaction
		fallbacks int64
	}{{txs[:7], 0}, {txs, 1}} {
		want, err := serialExec.ExecuteBlock(context.Background(), w.c.env(), w.c.root, tc.txs, w.c.kv)
		if err != nil {
			t.Fatal(err)
		}
		before := chunkExec.serialFallbacks.Load()
		got, err := chunkExec.ExecuteBlock(context.Background(), w.c.env(), w.c.root, tc.txs, w.c.kv)
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, fmt.Sprintf("%d txs", len(tc.txs)), want, got)
		if n := chunkExec.serialFallbacks.Load() - before; n != tc.fallbacks {
			t.Fatalf("%d txs: %d fallbacks, want %d", len(tc.txs), n, tc.fallbacks)
		}
		if last := want.Receipts[len(tc.txs)-1]; (tc.fallbacks == 1) != (last.ErrorMessage != "" && last.GasUsed == 0) {
			t.Fatalf("%d txs: last receipt %+v: the test does not test", len(tc.txs), last)
		}
	}
}

// A block cancelled while its chunks run fails with the context's error.
func TestChunksCancelledWhileRunning(t *testing.T) {
	w := newParWorld(t, 10, 1)
	txs := chunkBlockTxs(t, w, 10, map[int]*types.Transaction{
		7: w.natives[7].tx(t, &w.storeAt, nil, w.store.pack(t, "hashOf", new(big.Int).SetUint64(w.c.number)), tokenGas),
	})
	cfg := testConfig()
	cfg.Workers, cfg.Parallel = 2, ParallelChunks
	e, err := New(cfg, crypto.ECDSA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := w.c.env()
	var asked atomic.Bool
	env.GetHash = func(uint64) common.Hash { // BLOCKHASH in tx 7
		asked.Store(true)
		cancel()
		return common.Hash{}
	}
	if _, err := e.ExecuteBlock(ctx, env, w.c.root, txs, w.c.kv); !errors.Is(err, context.Canceled) {
		t.Fatalf("block cancelled during tx 7: %v", err)
	}
	if !asked.Load() {
		t.Fatal("tx 7 did not ask for a block hash: the test does not test")
	}
}

func TestConfigParallel(t *testing.T) {
	for _, tc := range []struct {
		parallel string
		ok       bool
	}{{"", true}, {ParallelBlockSTM, true}, {ParallelChunks, true}, {"Chunks", false}, {"stm", false}} {
		cfg := testConfig()
		cfg.Parallel = tc.parallel
		if err := cfg.Validate(); (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalidConfig)) {
			t.Errorf("Parallel %q: %v", tc.parallel, err)
		}
	}
}

// A worker that finishes its chunk takes the second half of what another
// has not started: here the first chunk waits in tx 1 (BLOCKHASH) until
// the other worker has taken from it, and tx 9, in a taken part, can pay
// only with what tx 3, left to the first chunk, sent it.
func TestChunksSteal(t *testing.T) {
	w := newParWorld(t, 24, 1)
	n3, n9 := w.natives[3], w.natives[9]
	txs := chunkBlockTxs(t, w, 24, map[int]*types.Transaction{
		1: w.natives[1].tx(t, &w.storeAt, nil, w.store.pack(t, "hashOf", new(big.Int).SetUint64(w.c.number)), tokenGas),
		3: n3.tx(t, &tokenAddr, nil, tokenCall(n9.addr(), 10), tokenGas),
		9: n9.tx(t, &tokenAddr, nil, tokenCall(common.HexToAddress("0xbeef"), 1_000_005), tokenGas),
	})
	want := w.executeWith(t, 1, txs)
	mustStatus(t, want, 9, types.ReceiptSuccess)

	cfg := testConfig()
	cfg.Workers, cfg.Parallel = 2, ParallelChunks
	e, err := New(cfg, crypto.ECDSA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.chunkStealMin = 2
	env := w.c.env()
	hash := env.GetHash
	env.GetHash = func(n uint64) common.Hash {
		deadline := time.Now().Add(time.Minute)
		for e.stolenChunks.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		return hash(n)
	}
	got, err := e.ExecuteBlock(context.Background(), env, w.c.root, txs, w.c.kv)
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, "chunks with steals", want, got)
	if e.stolenChunks.Load() == 0 || e.reexecutedChunks.Load() == 0 {
		t.Fatalf("%d chunks taken, %d executed again: want both above 0", e.stolenChunks.Load(), e.reexecutedChunks.Load())
	}
	t.Logf("%d chunks taken, %d executed again", e.stolenChunks.Load(), e.reexecutedChunks.Load())
}

// An account that existed before the block and is deleted in it (EIP-161:
// touched while empty) must have its stored slots enumerated to delete
// them. A chunk kept as it ran cannot (its reader does not record which
// slots exist): the block runs serially. A chunk executed again, on the
// overlaid state, can.
func TestChunksDeleteExistingAccount(t *testing.T) {
	for _, conflict := range []bool{false, true} {
		t.Run(fmt.Sprintf("executed again=%v", conflict), func(t *testing.T) {
			w := newParWorld(t, 10, 1)
			empty := common.HexToAddress("0xe4e4")
			slot := common.Hash{31: 9}
			// An empty account with a stored slot, written as the state
			// stores them (no genesis makes one).
			if err := w.c.kv.Put(state.AccountKey(empty), []byte{0xc3, 0x80, 0x80, 0x80}); err != nil {
				t.Fatal(err)
			}
			if err := w.c.kv.Put(state.StorageKey(empty, slot), []byte{1}); err != nil {
				t.Fatal(err)
			}
			special := map[int]*types.Transaction{
				7: w.natives[7].tx(t, &empty, big.NewInt(0), nil, tokenGas), // touches it
			}
			if conflict {
				special[2] = w.natives[2].tx(t, &testSealer, big.NewInt(5), nil, tokenGas)
			}
			txs := chunkBlockTxs(t, w, 10, special)
			want := w.executeWith(t, 1, txs)
			deleted := 0
			for _, x := range want.Writes.Writes() {
				if x.Delete && (bytes.Equal(x.Key, state.AccountKey(empty)) || bytes.Equal(x.Key, state.StorageKey(empty, slot))) {
					deleted++
				}
			}
			if deleted != 2 {
				t.Fatalf("serial execution deleted %d of the account and its slot: the test does not test", deleted)
			}
			w.strategy, w.noSteal, w.parallel, w.fallbacks, w.reexecuted = ParallelChunks, true, 0, 0, 0
			sameResult(t, "chunks", want, w.executeWith(t, 2, txs))
			if conflict {
				if w.fallbacks != 0 || w.reexecuted != 1 {
					t.Fatalf("%d fallbacks, %d chunks executed again; want 0 and 1", w.fallbacks, w.reexecuted)
				}
			} else if w.fallbacks != 1 {
				t.Fatalf("%d fallbacks, want 1", w.fallbacks)
			}
		})
	}
}

// A read set keeps the first transaction that read each key, for state
// keys and for longer ones alike, and tells keys of different lengths
// apart.
func TestReadSet(t *testing.T) {
	s := newReadSet()
	long := bytes.Repeat([]byte{7}, 80)
	slot := state.StorageKey(common.HexToAddress("0x01"), common.Hash{2})
	for i, k := range [][]byte{slot, long, slot[:10], slot, long} {
		s.add(k, i)
	}
	for _, c := range []struct {
		key  []byte
		tx   int
		read bool
	}{{slot, 0, true}, {long, 1, true}, {slot[:10], 2, true}, {slot[:11], 0, false}, {long[:79], 0, false}} {
		if tx, ok := s.get(c.key); ok != c.read || (ok && tx != c.tx) {
			t.Errorf("key of %d bytes: %d %v, want %d %v", len(c.key), tx, ok, c.tx, c.read)
		}
	}
	if s.len() != 3 {
		t.Fatalf("%d keys, want 3", s.len())
	}
	s.reset()
	if _, ok := s.get(slot); ok || s.len() != 0 {
		t.Fatal("reset kept a key")
	}
}

// firstConflict finds the first transaction that read a written key,
// looking the writes up in the reads or, for few reads, the reads in the
// writes.
func TestFirstConflict(t *testing.T) {
	key := func(i int) []byte {
		return state.StorageKey(common.HexToAddress("0x01"), common.BigToHash(big.NewInt(int64(i))))
	}
	var layer []state.Write
	for i := 0; i < 400; i += 2 { // the even keys
		layer = append(layer, state.Write{Key: key(i), Value: []byte{1}})
	}
	slices.SortFunc(layer, func(a, b state.Write) int { return bytes.Compare(a.Key, b.Key) })
	layers := [][]state.Write{layer[:100], layer[100:]}
	for _, c := range []struct {
		name  string
		reads map[int]int // key -> tx
		want  int
	}{
		{"few reads, none written", map[int]int{1: 10, 3: 11}, 50},
		{"few reads", map[int]int{1: 10, 4: 12, 300: 11, 7: 13}, 11},
		{"many reads, none written", manyReads(1, 401, 20), 50},
		{"many reads", manyReads(1, 401, 20, 250), 20},
	} {
		ch := &chunkRun{start: 10, end: 50, reads: newReadSet()}
		for k, tx := range c.reads {
			ch.reads.add(key(k), tx)
		}
		if got := firstConflict(ch, layers); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// manyReads reads the odd keys in [from, to) at tx, and the keys in even
// at tx too.
func manyReads(from, to, tx int, even ...int) map[int]int {
	m := map[int]int{}
	for k := from; k < to; k += 2 {
		m[k] = tx
	}
	for _, k := range even {
		m[k] = tx
	}
	return m
}

// TestChunksAfterConflict runs blocks with and without conflicts on one
// executor: a block after one whose chunks conflicted builds its write set
// only after its chunks are checked, the others while they are.
func TestChunksAfterConflict(t *testing.T) {
	w := newParWorld(t, 8, 2)
	cfg := testConfig()
	cfg.Workers, cfg.Parallel = 2, ParallelChunks
	e, err := New(cfg, crypto.ECDSA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for b, conflict := range []float64{1, 0, 0, 1, 1, 0} {
		txs := w.randomBlock(t, rng, 40, conflict)
		before := e.reexecutedChunks.Load()
		got, err := e.ExecuteBlock(context.Background(), w.c.env(), w.c.root, txs, w.c.kv)
		if err != nil {
			t.Fatal(err)
		}
		want := w.executeWith(t, 1, txs)
		sameResult(t, fmt.Sprintf("block %d, conflict %.0f", b, conflict), want, got)
		if again := e.reexecutedChunks.Load() > before; e.chunksConflicted.Load() != again {
			t.Fatalf("block %d: chunks executed again %v, remembered %v", b, again, e.chunksConflicted.Load())
		}
		w.commit(t, want)
	}
	if e.reexecutedChunks.Load() == 0 {
		t.Fatal("no chunk was executed again: the blocks after a conflict were not tested")
	}
}

// A block's state root is its write set hashed in parts from
// compatibility version 0.5.0 and in one pass before it, whichever way
// the block is executed.
func TestStateRootByCompatibility(t *testing.T) {
	w := newParWorld(t, 200, 0)
	txs := verifiedNatives(t, w, 200, func(i int, s nativeSigner) *types.Transaction {
		to := common.BigToAddress(big.NewInt(int64(0x10000 + i)))
		return s.tx(t, &tokenAddr, nil, tokenCall(to, 5), 100_000)
	})
	for _, compat := range []string{precompiled.CompatV0_4, precompiled.CompatV0_5} {
		for _, bc := range benchStrategies(2) {
			cfg := testConfig()
			cfg.Workers, cfg.Parallel = bc.workers, bc.strategy
			e, err := New(cfg, crypto.ECDSA(), nil)
			if err != nil {
				t.Fatal(err)
			}
			env := w.c.envUnder(t, e, compat, precompiled.PermissionUnknown)
			res, err := e.ExecuteBlock(context.Background(), env, w.c.root, txs, w.c.kv)
			if err != nil {
				t.Fatal(err)
			}
			want := res.Writes.FlatRoot(w.c.root, crypto.ECDSA())
			if compat == precompiled.CompatV0_5 {
				want = res.Writes.Root(w.c.root, crypto.ECDSA())
			}
			if res.StateRoot != want || res.Writes.Len() <= 256 {
				t.Fatalf("%s, %s: root %v, want %v (%d writes)", compat, bc, res.StateRoot, want, res.Writes.Len())
			}
		}
	}
}
