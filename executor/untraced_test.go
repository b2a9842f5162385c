package executor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/tracing"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// TestUntracedMatchesTraced runs random blocks (transfers, tokens,
// creations, reverts, logs, system contracts called directly and through
// a contract, an Ethereum precompile) with every transaction under the
// tracing hooks, and again the default way, where transactions run
// without them when that gives the same result (and again with them when
// a contract called a system contract), serially and in parallel: the
// results must be identical. It does so at 0.1.0 (no permission rule for
// contracts' own calls), and at the latest version with the permission
// check off and on (then only code that makes no call runs without the
// hooks).
func TestUntracedMatchesTraced(t *testing.T) {
	blocks, size, seeds := 3, 60, 2
	if testing.Short() {
		blocks, size, seeds = 2, 40, 1
	}
	for _, tc := range []struct {
		name       string
		compat     string
		permission precompiled.PermissionSwitch
		again      bool // some transactions must run again with the hooks
	}{
		{"0.1.0", "", precompiled.PermissionUnknown, true},
		{"latest-check-off", precompiled.LatestCompatibility(), precompiled.PermissionOff, true},
		{"latest-check-on", precompiled.LatestCompatibility(), precompiled.PermissionOn, false},
	} {
		for _, strategy := range parallelStrategies {
			t.Run(tc.name+"/"+strategy, func(t *testing.T) {
				w := newParWorld(t, 24, 12)
				w.strategy, w.compat, w.permission = strategy, tc.compat, tc.permission
				for seed := range uint64(seeds) {
					rng := rand.New(rand.NewPCG(seed+1, 7))
					for b := range blocks {
						txs := w.randomBlock(t, rng, size, 0.3)
						if tc.compat != "" { // from 0.2.0 such a tx makes the block invalid
							txs = slices.DeleteFunc(txs, func(tx *types.Transaction) bool { return tx.Gas() > testTxGas })
						}
						w.traced = true
						want := w.executeWith(t, 1, txs)
						w.traced = false
						for _, workers := range []int{1, 2} {
							got := w.executeWith(t, workers, txs)
							sameResult(t, fmt.Sprintf("seed %d block %d workers %d", seed+1, b, workers), want, got)
						}
						w.commit(t, want)
					}
				}
				t.Logf("%d transactions run without the hooks, %d of them again with the hooks", w.untraced, w.tracedAgain)
				if w.untraced == 0 {
					t.Error("no transaction ran without the tracing hooks")
				}
				if tc.again && w.tracedAgain == 0 {
					t.Error("no transaction ran again with the tracing hooks: a system contract called by a contract was not tested")
				}
				if !tc.again && w.tracedAgain != 0 {
					t.Errorf("%d transactions ran again with the hooks where code that makes calls runs with them from the start", w.tracedAgain)
				}
			})
		}
	}
}

// TestCodeMayCall checks the scan for call and creation instructions,
// which skips the data of PUSH instructions.
func TestCodeMayCall(t *testing.T) {
	for _, tc := range []struct {
		code []byte
		want bool
	}{
		{nil, false},
		{[]byte{0x60, 0x01, 0x60, 0x02, 0x01, 0x00}, false}, // PUSH1 1 PUSH1 2 ADD STOP
		{[]byte{0xf1}, true},                       // CALL
		{[]byte{0x00, 0xf2}, true},                 // CALLCODE after STOP: still code
		{[]byte{0xf4}, true}, {[]byte{0xfa}, true}, // DELEGATECALL, STATICCALL
		{[]byte{0xf0}, true}, {[]byte{0xf5}, true}, // CREATE, CREATE2
		{[]byte{0x60, 0xf1}, false},                        // PUSH1 0xf1: data
		{append([]byte{0x7f}, make([]byte, 31)...), false}, // PUSH32 with its data
		{append(append([]byte{0x7f}, make([]byte, 32)...), 0xfa), true},
		{[]byte{0x61, 0xf1, 0xf1, 0xf1}, true}, // PUSH2 ends before the third byte
		{[]byte{0x7f, 0xf1}, false},            // push data cut short by the end
		{[]byte{0xff}, false},                  // SELFDESTRUCT reports no frame checked
	} {
		if got := codeMayCall(tc.code); got != tc.want {
			t.Errorf("codeMayCall(%x) = %v, want %v", tc.code, got, tc.want)
		}
	}
}

// loopCode is contract code that counts down from 10,000 and stops
// (about 260,000 gas of jumps and arithmetic), making no call.
var loopCode = []byte{
	0x61, 0x27, 0x10, // PUSH2 10000
	0x5b,       // JUMPDEST (3)
	0x60, 0x01, // PUSH1 1
	0x90,       // SWAP1
	0x03,       // SUB
	0x80,       // DUP1
	0x60, 0x03, // PUSH1 3
	0x57, // JUMPI
	0x00, // STOP
}

// deployCode deploys code on w's chain from its first native signer and
// returns the contract's address.
func deployCode(b testing.TB, w *parWorld, code []byte) common.Address {
	b.Helper()
	// PUSH1 len DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN, then the code
	init := append([]byte{0x60, byte(len(code)), 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3}, code...)
	res := w.c.block(w.natives[0].tx(b, nil, nil, init, 1_000_000))
	r := res.Receipts[0]
	if r.Status != types.ReceiptSuccess {
		b.Fatalf("deploying: %s", r.ErrorMessage)
	}
	return r.ContractAddress
}

// BenchmarkExecuteUntracedPaired executes blocks serially with every
// transaction under the system contracts' tracing hooks (as before) and
// the default way (without them when the result is the same), one after
// the other in each iteration, and reports the medians and the median
// ratio: 1000 token transfers, and 200 calls of a loop of 10,000
// iterations. The permission check is on, as on a new chain.
func BenchmarkExecuteUntracedPaired(b *testing.B) {
	for _, tc := range []struct {
		name  string
		block func(*testing.B) (*parWorld, []*types.Transaction)
	}{
		{"erc20", func(b *testing.B) (*parWorld, []*types.Transaction) { return erc20Block(b) }},
		{"loop", func(b *testing.B) (*parWorld, []*types.Transaction) {
			const n = 200
			w := newParWorld(b, n, 1)
			at := deployCode(b, w, loopCode)
			return w, verifiedNatives(b, w, n, func(_ int, s nativeSigner) *types.Transaction {
				return s.tx(b, &at, nil, nil, 500_000)
			})
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			w, txs := tc.block(b)
			traced, untraced := testExecutor(b), testExecutor(b)
			traced.alwaysTraced, untraced.runCounts = true, new(runCounts)
			env := latestEnv(b, traced, w)
			run := func(e *Executor) time.Duration {
				start := time.Now()
				res, err := e.ExecuteBlock(context.Background(), env, w.c.root, txs, w.c.kv)
				if err != nil {
					b.Fatal(err)
				}
				if last := res.Receipts[len(res.Receipts)-1]; last.Status != types.ReceiptSuccess {
					b.Fatal(last.ErrorMessage)
				}
				return time.Since(start)
			}
			benchPaired(b, func() time.Duration { return run(traced) }, func() time.Duration { return run(untraced) }, "traced-ms", "untraced-ms")
			if untraced.runCounts.untraced.Load() == 0 {
				b.Fatal("no transaction ran without the hooks")
			}
		})
	}
}

func testExecutor(b testing.TB) *Executor {
	b.Helper()
	e, err := New(testConfig(), crypto.ECDSA(), nil)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// TestMayCallRecipients checks what mayCall looks at: the recipient's
// code (remembered by its hash), nothing for an account without code, a
// creation's init code, and delegations (EIP-7702), which count as calls.
func TestMayCallRecipients(t *testing.T) {
	sdb := state.New(storage.NewMemory())
	plain, caller, delegating, account := common.Address{1}, common.Address{2}, common.Address{3}, common.Address{4}
	sdb.SetCode(plain, loopCode, tracing.CodeChangeUnspecified)
	sdb.SetCode(caller, []byte{0x60, 0x00, 0xf1}, tracing.CodeChangeUnspecified)
	sdb.SetCode(delegating, ethtypes.AddressToDelegation(plain), tracing.CodeChangeUnspecified)
	var c callScans
	for _, tc := range []struct {
		name string
		msg  core.Message
		want bool
	}{
		{"call-free code", core.Message{To: &plain}, false},
		{"code with CALL", core.Message{To: &caller}, true},
		{"again, remembered", core.Message{To: &caller}, true},
		{"no code", core.Message{To: &account}, false},
		{"delegated code", core.Message{To: &delegating}, true},
		{"creation, call-free init code", core.Message{Data: loopCode}, false},
		{"creation whose init code calls", core.Message{Data: []byte{0xfa}}, true},
		{"setting delegations", core.Message{To: &account, SetCodeAuthorizations: []ethtypes.SetCodeAuthorization{{}}}, true},
	} {
		if got := c.mayCall(sdb, &tc.msg); got != tc.want {
			t.Errorf("%s: mayCall = %v, want %v", tc.name, got, tc.want)
		}
	}
	n := 0
	c.seen.Range(func(any, any) bool { n++; return true })
	if n != 2 || c.size.Load() != 2 {
		t.Errorf("%d codes remembered (counted %d), want 2", n, c.size.Load())
	}
	// Full, it starts again from the code it has just scanned.
	c.size.Store(maxCallScans)
	other := common.Address{5}
	sdb.SetCode(other, []byte{0x00}, tracing.CodeChangeUnspecified)
	if c.mayCall(sdb, &core.Message{To: &other}) {
		t.Error("STOP makes no call")
	}
	if _, ok := c.seen.Load(sdb.GetCodeHash(caller)); ok || c.size.Load() != 1 {
		t.Errorf("after the bound: old code still remembered %v, count %d", ok, c.size.Load())
	}
}
