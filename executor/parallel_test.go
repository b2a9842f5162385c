package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/types"
)

// tokenTransferTopic is the Transfer(address,address,uint256) event topic.
var tokenTransferTopic = ethcrypto.Keccak256Hash([]byte("Transfer(address,address,uint256)"))

// tokenRuntime is a minimal ERC20-like token, hand-assembled: calldata is
// (to, amount) as two words; it moves amount from the caller's balance
// (storage slot = caller address) to to's, reverts when the balance is too
// low, and logs Transfer(from, to, amount).
func tokenRuntime() []byte {
	code := []byte{
		0x60, 0x20, 0x35, // PUSH1 32 CALLDATALOAD: amount
		0x80,       // DUP1
		0x33, 0x54, // CALLER SLOAD: balance of the caller
		0x81, 0x81, 0x10, // DUP2 DUP2 LT: balance < amount
		0x60, 0x00, 0x57, // PUSH1 revert JUMPI (target patched below)
		0x03,       // SUB
		0x33, 0x55, // CALLER SSTORE
		0x60, 0x00, 0x35, // PUSH1 0 CALLDATALOAD: to
		0x80, 0x54, // DUP1 SLOAD
		0x82, 0x01, // DUP3 ADD
		0x90, 0x55, // SWAP1 SSTORE
		0x60, 0x00, 0x52, // PUSH1 0 MSTORE: amount
		0x60, 0x00, 0x35, // PUSH1 0 CALLDATALOAD: to
		0x33, // CALLER
		0x7f, // PUSH32 topic
	}
	code = append(code, tokenTransferTopic[:]...)
	code = append(code, 0x60, 0x20, 0x60, 0x00, 0xa3, 0x00) // LOG3(0, 32) STOP
	code[10] = byte(len(code))
	return append(code, 0x5b, 0x60, 0x00, 0x80, 0xfd) // JUMPDEST REVERT(0, 0)
}

// tokenInit deploys tokenRuntime crediting the deployer with 1e30.
func tokenInit() []byte {
	rt := tokenRuntime()
	supply := new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil).FillBytes(make([]byte, 16))
	code := append([]byte{0x6f}, supply...)
	code = append(code, 0x33, 0x55) // CALLER SSTORE
	const prefix = 19 + 7 + 5
	code = append(code, 0x60, byte(len(rt)), 0x60, prefix, 0x60, 0x00, 0x39) // CODECOPY(0, prefix, len)
	code = append(code, 0x60, byte(len(rt)), 0x60, 0x00, 0xf3)               // RETURN(0, len)
	return append(code, rt...)
}

func tokenCall(to common.Address, amount int64) []byte {
	return append(common.LeftPadBytes(to[:], 32), common.LeftPadBytes(big.NewInt(amount).Bytes(), 32)...)
}

var tokenAddr = common.HexToAddress("0x70c0")

// parWorld is the state the differential tests build blocks on.
type parWorld struct {
	c       *chain
	store   contract
	storeAt common.Address
	natives []nativeSigner
	eths    []ethSigner

	parallel, fallbacks int64 // blocks run in parallel, and handed back to serial
	reexecuted, stolen  int64 // chunks executed again, and taken from another worker (chunked execution)
	// strategy is the parallel execution strategy of executeWith
	// (Config.Parallel).
	strategy string
	// noSteal keeps chunked execution's workers to their own chunks.
	noSteal bool
	// traced runs every transaction with the tracing hooks
	// (Executor.alwaysTraced); untraced and tracedAgain count the
	// transactions run without them, and those run again with them after
	// such a run (Executor.runCounts).
	traced                bool
	untraced, tracedAgain int64
	// compat and permission, when compat is set, replace the blocks'
	// compatibility version and permission_check switch.
	compat     string
	permission precompiled.PermissionSwitch
}

// parallelStrategies are the values of Config.Parallel the differential
// tests run.
var parallelStrategies = []string{ParallelBlockSTM, ParallelChunks}

func newParWorld(t testing.TB, natives, eths int) *parWorld {
	t.Helper()
	w := &parWorld{store: loadContract(t, "Store")}
	alloc := map[common.Address]GenesisAccount{}
	tokenStorage := map[common.Hash]common.Hash{}
	fund := new(big.Int).Exp(big.NewInt(10), big.NewInt(24), nil)
	for range natives {
		s := newNativeSigner(t, crypto.ECDSA())
		w.natives = append(w.natives, s)
		alloc[s.addr()] = GenesisAccount{Balance: fund}
		tokenStorage[common.BytesToHash(s.addr().Bytes())] = common.BigToHash(big.NewInt(1_000_000))
	}
	for range eths {
		s := newEthSigner(t)
		w.eths = append(w.eths, s)
		alloc[s.addr()] = GenesisAccount{Balance: fund}
		tokenStorage[common.BytesToHash(s.addr().Bytes())] = common.BigToHash(big.NewInt(1_000_000))
	}
	alloc[tokenAddr] = GenesisAccount{Code: tokenRuntime(), Storage: tokenStorage}
	cfg := testConfig()
	cfg.Workers = 1
	w.c = newChain(t, crypto.ECDSA(), cfg, alloc)
	r := w.c.receipt(w.natives[0].tx(t, nil, big.NewInt(5), w.store.deployData(t, big.NewInt(1)), 0))
	mustSucceed(t, r)
	w.storeAt = r.ContractAddress
	return w
}

// randomBlock builds n txs. conflict in [0, 1] is the chance that a tx
// uses a shared sender, recipient or storage slot instead of its own.
func (w *parWorld) randomBlock(t testing.TB, rng *rand.Rand, n int, conflict float64) []*types.Transaction {
	t.Helper()
	hot := func() bool { return rng.Float64() < conflict }
	reader := w.c.reader()
	ethNonce := map[int]uint64{}
	nextNative, nextEth := 0, 0
	fresh := func() common.Address {
		var a common.Address
		for i := range a {
			a[i] = byte(rng.UintN(256))
		}
		return a
	}
	hotAddrs := []common.Address{common.HexToAddress("0xabcd"), testSealer, w.natives[0].addr()}
	recipient := func() common.Address {
		if hot() {
			return hotAddrs[rng.IntN(len(hotAddrs))]
		}
		return fresh()
	}
	txs := make([]*types.Transaction, 0, n)
	for range n {
		to, value, data, gas := w.pick(t, rng, hot, recipient)
		if rng.IntN(3) == 0 { // an Ethereum tx
			i := nextEth % len(w.eths)
			if hot() {
				i = 0
			} else {
				nextEth++
			}
			if _, ok := ethNonce[i]; !ok {
				n, err := reader.Nonce(w.eths[i].addr())
				if err != nil {
					t.Fatal(err)
				}
				ethNonce[i] = n
			}
			nonce := ethNonce[i]
			switch {
			case rng.IntN(20) == 0:
				nonce += 3 // too high: rejected
			case rng.IntN(20) == 0 && nonce > 0:
				nonce-- // too low: rejected
			default:
				ethNonce[i]++
			}
			if gas == 0 {
				gas = 3_000_000
			}
			if rng.IntN(4) == 0 { // with an access list (EIP-2930)
				list := ethtypes.AccessList{{Address: tokenAddr,
					StorageKeys: []common.Hash{common.BytesToHash(w.eths[i].addr().Bytes())}}}
				txs = append(txs, ethTxWithList(t, w.eths[i], nonce, to, value, data, gas, list))
				continue
			}
			txs = append(txs, w.eths[i].tx(t, nonce, to, value, data, gas))
			continue
		}
		i := nextNative % len(w.natives)
		if hot() {
			i = 0
		} else {
			nextNative++
		}
		txs = append(txs, w.natives[i].tx(t, to, value, data, gas))
	}
	return txs
}

// pick chooses what a tx does.
func (w *parWorld) pick(t testing.TB, rng *rand.Rand, hot func() bool, recipient func() common.Address) (to *common.Address, value *big.Int, data []byte, gas uint64) {
	store, tok := addrPtr(w.storeAt), addrPtr(tokenAddr)
	switch k := rng.IntN(20); k {
	case 0, 1, 2: // plain transfer
		return addrPtr(recipient()), big.NewInt(int64(1 + rng.IntN(1000))), nil, 0
	case 3, 4, 5, 6: // token transfer, sometimes more than the balance
		amount := int64(1 + rng.IntN(100))
		if rng.IntN(15) == 0 {
			amount = 1 << 40
		}
		return tok, nil, tokenCall(recipient(), amount), 0
	case 7: // a hot slot, or fresh slots
		if hot() {
			return store, nil, w.store.pack(t, "set", big.NewInt(int64(rng.IntN(1000)))), 0
		}
		return store, nil, w.store.pack(t, "transientRoundTrip", big.NewInt(int64(rng.IntN(1000)))), 0
	case 8:
		return store, nil, w.store.pack(t, "fail", "no"), 0
	case 9: // out of gas
		return store, nil, w.store.pack(t, "spin"), 60_000
	case 10: // CREATE and CREATE2 from a factory; a repeated salt collides
		var salt [32]byte
		salt[0] = byte(rng.IntN(4))
		return store, nil, w.store.pack(t, "deploy", salt), 0
	case 11:
		return store, nil, w.store.pack(t, "deployAndKill"), 0
	case 12: // system contract through a contract, and directly
		if rng.IntN(2) == 0 {
			return store, nil, w.store.pack(t, "sysInfo"), 0
		}
		return addrPtr(precompiled.SystemInfoAddress), nil, ethcrypto.Keccak256([]byte("info()"))[:4], 0
	case 13: // value through a contract
		return store, big.NewInt(int64(1 + rng.IntN(50))), w.store.pack(t, "pay", recipient()), 0
	case 14: // contract creation
		if rng.IntN(2) == 0 {
			return nil, nil, tokenInit(), 0
		}
		return nil, big.NewInt(3), w.store.deployData(t, big.NewInt(int64(rng.IntN(9)))), 0
	case 15: // an Ethereum precompile (identity)
		return addrPtr(common.BytesToAddress([]byte{4})), nil, []byte("echo"), 0
	case 16: // over the per-transaction gas limit: rejected
		return tok, nil, tokenCall(recipient(), 1), testTxGas + 1
	case 17: // more value than any account holds: rejected
		return addrPtr(recipient()), new(big.Int).Lsh(big.NewInt(1), 100), nil, 0
	case 18:
		return store, nil, w.store.pack(t, "fill", big.NewInt(int64(rng.IntN(4)))), 0
	default: // read state written by others, or BLOCKHASH
		if rng.IntN(2) == 0 {
			return store, nil, w.store.pack(t, "hashOf", new(big.Int).SetUint64(w.c.number+2-uint64(rng.IntN(3)))), 0
		}
		return store, nil, w.store.pack(t, "value"), 0
	}
}

// executeWith runs txs on the world's current state with a worker count.
func (w *parWorld) executeWith(t testing.TB, workers int, txs []*types.Transaction) *BlockResult {
	t.Helper()
	cfg := testConfig()
	cfg.Workers, cfg.Parallel = workers, w.strategy
	e, err := New(cfg, crypto.ECDSA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.chunkStealMin = 1 // a worker done first takes from the others whenever it can
	if w.noSteal {
		e.chunkStealMin = len(txs) + 1
	}
	e.alwaysTraced = w.traced
	e.runCounts = new(runCounts)
	env := w.c.env()
	if w.compat != "" {
		env = w.c.envUnder(t, e, w.compat, w.permission)
	}
	res, err := e.ExecuteBlock(context.Background(), env, w.c.root, txs, w.c.kv)
	if err != nil {
		t.Fatalf("%d workers: %v", workers, err)
	}
	w.untraced += e.runCounts.untraced.Load()
	w.tracedAgain += e.runCounts.again.Load()
	if workers > 1 {
		w.parallel += e.parallelBlocks.Load()
		w.fallbacks += e.serialFallbacks.Load()
		w.reexecuted += e.reexecutedChunks.Load()
		w.stolen += e.stolenChunks.Load()
	}
	return res
}

// commit applies a block's result to the world.
func (w *parWorld) commit(t testing.TB, res *BlockResult) {
	t.Helper()
	if err := res.Writes.ApplyTo(w.c.kv); err != nil {
		t.Fatal(err)
	}
	w.c.number++
	w.c.root = res.StateRoot
	w.c.hashes[w.c.number] = common.BigToHash(big.NewInt(int64(1000 + w.c.number)))
}

// sameResult fails unless got (parallel) equals want (serial) in every
// field: root, write set, receipts with their logs, gas, bloom, senders.
func sameResult(t testing.TB, label string, want, got *BlockResult) {
	t.Helper()
	if got.StateRoot != want.StateRoot {
		t.Errorf("%s: state root %v, serial %v", label, got.StateRoot, want.StateRoot)
	}
	if !bytes.Equal(got.Writes.Encode(), want.Writes.Encode()) {
		t.Errorf("%s: write sets differ: %d writes, serial %d", label, got.Writes.Len(), want.Writes.Len())
		diffWrites(t, want, got)
	}
	if gb, _ := got.Writes.Block(); gb != blockOf(want.Writes.Block()) {
		t.Errorf("%s: write set numbered %d, serial %d", label, gb, blockOf(want.Writes.Block()))
	}
	if want.Bloom != types.LogsBloom(want.Receipts) {
		t.Errorf("%s: serial bloom %x is not the receipts' logs bloom", label, want.Bloom)
	}
	if got.GasUsed != want.GasUsed || got.Bloom != want.Bloom {
		t.Errorf("%s: gas %d bloom %x, serial %d %x", label, got.GasUsed, got.Bloom, want.GasUsed, want.Bloom)
	}
	if !reflect.DeepEqual(got.Senders, want.Senders) {
		t.Errorf("%s: senders differ", label)
	}
	if len(got.Receipts) != len(want.Receipts) {
		t.Fatalf("%s: %d receipts, serial %d", label, len(got.Receipts), len(want.Receipts))
	}
	for i := range want.Receipts {
		if !reflect.DeepEqual(got.Receipts[i], want.Receipts[i]) ||
			!bytes.Equal(types.EncodeReceipt(got.Receipts[i]), types.EncodeReceipt(want.Receipts[i])) {
			t.Errorf("%s: receipt %d:\n got %+v\nwant %+v", label, i, got.Receipts[i], want.Receipts[i])
		}
	}
}

func blockOf(n uint64, _ bool) uint64 { return n }

func diffWrites(t testing.TB, want, got *BlockResult) {
	t.Helper()
	m := map[string]string{}
	for _, x := range want.Writes.Writes() {
		m[string(x.Key)] = fmt.Sprintf("%x/%v", x.Value, x.Delete)
	}
	for _, x := range got.Writes.Writes() {
		v := fmt.Sprintf("%x/%v", x.Value, x.Delete)
		if m[string(x.Key)] != v {
			t.Logf("key %x: parallel %s, serial %s", x.Key, v, m[string(x.Key)])
		}
		delete(m, string(x.Key))
	}
	for k, v := range m {
		t.Logf("key %x: serial %s, missing in parallel", k, v)
	}
}

// runDifferential executes blocks random blocks serially and with each
// worker count and requires identical results, committing each block.
func runDifferential(t testing.TB, w *parWorld, seed uint64, conflict float64, blocks, size int, workers []int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, uint64(conflict*1000)))
	for b := range blocks {
		txs := w.randomBlock(t, rng, size, conflict)
		// The first parallel run sees unverified txs and verifies them itself.
		first := w.executeWith(t, workers[0], txs)
		want := w.executeWith(t, 1, txs)
		sameResult(t, fmt.Sprintf("seed %d conflict %.2f block %d workers %d", seed, conflict, b, workers[0]), want, first)
		for _, n := range workers[1:] {
			got := w.executeWith(t, n, txs)
			sameResult(t, fmt.Sprintf("seed %d conflict %.2f block %d workers %d", seed, conflict, b, n), want, got)
		}
		w.commit(t, want)
	}
}

func TestParallelMatchesSerial(t *testing.T) {
	blocks, size, seeds := 3, 60, 3
	if testing.Short() {
		blocks, size, seeds = 2, 40, 2
	}
	for _, strategy := range parallelStrategies {
		for _, conflict := range []float64{0, 0.1, 0.5, 1} {
			t.Run(fmt.Sprintf("%s/conflict=%.1f", strategy, conflict), func(t *testing.T) {
				for seed := range uint64(seeds) {
					w := newParWorld(t, 24, 12)
					w.strategy = strategy
					runDifferential(t, w, seed+1, conflict, blocks, size, []int{2, 3, 8})
					t.Logf("seed %d: %d parallel runs, %d handed back to serial, %d chunks executed again, %d taken", seed+1, w.parallel, w.fallbacks, w.reexecuted, w.stolen)
					if w.parallel == 0 {
						t.Error("no block ran on the parallel path")
					}
					if strategy == ParallelChunks && conflict > 0 && w.reexecuted == 0 {
						t.Error("no chunk was executed again: the conflicts were not tested")
					}
				}
			})
		}
	}
}

// TestParallelWorkers checks how Config.Workers chooses the path: 0 and 1
// are serial, more is that many workers, negative follows GOMAXPROCS and
// the block size.
func TestParallelWorkers(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	for _, tc := range []struct{ workers, txs, want int }{
		{0, 100, 1}, {1, 100, 1}, {4, 100, 4}, {4, 3, 3}, {4, 1, 1},
		{-1, MinParallelTxs - 1, 1}, {-1, MinParallelTxs, min(procs, MinParallelTxs)},
	} {
		e := &Executor{cfg: Config{Workers: tc.workers}}
		if got := e.workers(tc.txs); got != tc.want {
			t.Errorf("Workers %d, %d txs: %d workers, want %d", tc.workers, tc.txs, got, tc.want)
		}
	}
}

// FuzzParallelMatchesSerial runs one random block per seed.
func FuzzParallelMatchesSerial(f *testing.F) {
	f.Add(uint64(1), uint8(0))
	f.Add(uint64(2), uint8(128))
	f.Add(uint64(3), uint8(255))
	f.Add(uint64(4), uint8(30))
	f.Fuzz(func(t *testing.T, seed uint64, conflict uint8) {
		for _, strategy := range parallelStrategies {
			w := newParWorld(t, 8, 4)
			w.strategy = strategy
			runDifferential(t, w, seed, float64(conflict)/255, 1, 24, []int{2, 4})
		}
	})
}

// TestParallelFallsBackToSerial covers the blocks the parallel path hands
// back: a tx whose signature does not verify (the serial path's exact
// error), and a block whose txs stop fitting in the block gas limit
// (serial rejects the tail; results must still match).
func TestParallelFallsBackToSerial(t *testing.T) {
	for _, strategy := range parallelStrategies {
		t.Run(strategy, func(t *testing.T) { testParallelFallsBackToSerial(t, strategy) })
	}
}

func testParallelFallsBackToSerial(t *testing.T, strategy string) {
	w := newParWorld(t, 8, 2)
	rng := rand.New(rand.NewPCG(9, 9))
	txs := w.randomBlock(t, rng, 20, 0)

	bad := w.natives[1]
	n := &types.NativeTx{ChainID: testChainID, GroupID: "another-group", BlockLimit: 1000,
		Nonce: big.NewInt(nativeNonce.Add(1)), To: &tokenAddr, Value: new(big.Int), Input: tokenCall(tokenAddr, 1)}
	if err := n.Sign(bad.suite, bad.key.PublicKey(), bad.key.Sign); err != nil {
		t.Fatal(err)
	}
	invalid := append(append([]*types.Transaction(nil), txs[:10]...), types.NewNativeTx(bad.suite, n))
	cfg := testConfig()
	cfg.Workers, cfg.Parallel = 2, strategy
	e, err := New(cfg, crypto.ECDSA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ExecuteBlock(context.Background(), w.c.env(), w.c.root, invalid, w.c.kv); !errors.Is(err, ErrInvalidTx) {
		t.Fatalf("block with an invalid tx: %v, want ErrInvalidTx", err)
	}
	if e.serialFallbacks.Load() != 1 {
		t.Fatalf("%d fallbacks, want 1", e.serialFallbacks.Load())
	}

	// Txs running out of gas use all they asked for; native txs without a
	// gas limit reserve the per-tx limit: with a block limit of one tx's,
	// the later ones do not fit.
	txs = nil
	for i := range 6 {
		s := w.natives[i]
		txs = append(txs, s.tx(t, &w.storeAt, nil, w.store.pack(t, "spin"), 5_000_000),
			s.tx(t, &tokenAddr, nil, tokenCall(w.eths[0].addr(), 1), 0))
	}
	cfg.BlockGasLimit = testTxGas
	cfg.Workers = 1
	serialExec, err := New(cfg, crypto.ECDSA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workers = 3
	parExec, err := New(cfg, crypto.ECDSA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := serialExec.ExecuteBlock(context.Background(), w.c.env(), w.c.root, txs, w.c.kv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parExec.ExecuteBlock(context.Background(), w.c.env(), w.c.root, txs, w.c.kv)
	if err != nil {
		t.Fatal(err)
	}
	rejected := 0
	for _, r := range want.Receipts {
		if strings.Contains(r.ErrorMessage, "gas limit reached") {
			rejected++
		}
	}
	if rejected == 0 {
		t.Fatal("no tx was rejected for the block gas limit: the test does not test")
	}
	sameResult(t, "over the block gas limit", want, got)
	if parExec.serialFallbacks.Load() != 1 {
		t.Fatalf("%d fallbacks, want 1", parExec.serialFallbacks.Load())
	}
}

func TestParallelCancelled(t *testing.T) {
	w := newParWorld(t, 4, 1)
	txs := w.randomBlock(t, rand.New(rand.NewPCG(1, 1)), 20, 0.5)
	for _, strategy := range parallelStrategies {
		cfg := testConfig()
		cfg.Workers, cfg.Parallel = 2, strategy
		e, err := New(cfg, crypto.ECDSA(), nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := e.ExecuteBlock(ctx, w.c.env(), w.c.root, txs, w.c.kv); !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: cancelled block: %v", strategy, err)
		}
	}
}

// TestParallelRestoredValue: keys that several txs write and the last one
// restores to the starting value must not appear in the write set, as
// serially; so must a balance sent away and back.
func TestParallelRestoredValue(t *testing.T) {
	w := newParWorld(t, 4, 1)
	a, b := w.natives[1], w.natives[2]
	val := w.c.call(a.addr(), w.storeAt, w.store.pack(t, "value")).Return
	start := new(big.Int).SetBytes(val)
	txs := []*types.Transaction{
		a.tx(t, &w.storeAt, nil, w.store.pack(t, "set", big.NewInt(7)), 0),
		b.tx(t, &w.storeAt, nil, w.store.pack(t, "set", start), 0),
		a.tx(t, &tokenAddr, nil, tokenCall(b.addr(), 10), 0),
		b.tx(t, &tokenAddr, nil, tokenCall(a.addr(), 10), 0),
	}
	want := w.executeWith(t, 1, txs)
	for _, x := range want.Writes.Writes() {
		if bytes.HasPrefix(x.Key, state.StoragePrefix(w.storeAt)) || bytes.HasPrefix(x.Key, state.StoragePrefix(tokenAddr)) {
			t.Fatalf("serial write set changes slot %x, which the block restored", x.Key)
		}
	}
	for _, strategy := range parallelStrategies {
		w.strategy, w.parallel = strategy, 0
		for _, n := range []int{2, 4} {
			sameResult(t, fmt.Sprintf("%s, %d workers", strategy, n), want, w.executeWith(t, n, txs))
		}
		if w.parallel != 2 {
			t.Fatalf("%s: %d blocks ran in parallel, want 2", strategy, w.parallel)
		}
	}
}
