package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/vm"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/types"
)

func TestCallWritesNothing(t *testing.T) {
	store := loadContract(t, "Store")
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())
	addr := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress
	before := c.kv.NewIterator(nil, nil)
	n := 0
	for before.Next() {
		n++
	}
	before.Release()

	res := c.call(user.addr(), addr, store.pack(t, "set", big.NewInt(99)))
	if res.Err != nil || res.GasUsed == 0 {
		t.Fatalf("call: %v, gas %d", res.Err, res.GasUsed)
	}
	if v, _ := c.reader().Storage(addr, common.Hash{}); v != common.BigToHash(big.NewInt(1)) {
		t.Fatalf("Call changed the state")
	}
	after := c.kv.NewIterator(nil, nil)
	m := 0
	for after.Next() {
		m++
	}
	after.Release()
	if n != m {
		t.Fatalf("Call wrote to storage: %d keys before, %d after", n, m)
	}

	res = c.call(user.addr(), addr, store.pack(t, "fail", "nope"))
	if !errors.Is(res.Err, vm.ErrExecutionReverted) || res.ErrorMessage() != "execution reverted: nope" || len(res.Revert) == 0 || res.Return != nil {
		t.Fatalf("reverted call: %+v %q", res, res.ErrorMessage())
	}

	// Value needs the balance; the call is rejected before execution.
	_, err := c.e.Call(context.Background(), c.env(), CallMsg{From: user.addr(), To: &addr, Value: big.NewInt(1)}, c.kv)
	if !errors.Is(err, ErrCallRejected) || !errors.Is(err, core.ErrInsufficientFunds) {
		t.Fatalf("want ErrCallRejected wrapping insufficient funds, got %v", err)
	}
	// A contract may be the sender of a call (no EOA check) and gas above
	// the chain's limit is capped.
	res, err = c.e.Call(context.Background(), c.env(), CallMsg{From: addr, To: &addr, Gas: 1 << 62, Data: store.pack(t, "value")}, c.kv)
	if err != nil || res.Err != nil {
		t.Fatalf("call from a contract: %v %v", err, res.Err)
	}
}

func TestEstimateGas(t *testing.T) {
	store := loadContract(t, "Store")
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())
	addr := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress

	for _, data := range [][]byte{
		store.pack(t, "set", big.NewInt(5)),
		store.pack(t, "fill", big.NewInt(10)),
		store.pack(t, "deploy", common.HexToHash("0x01")), // nested creations: the 63/64 rule applies
	} {
		msg := CallMsg{From: user.addr(), To: &addr, Data: data}
		gas, res, err := c.e.EstimateGas(context.Background(), c.env(), msg, c.kv)
		if err != nil || res == nil || res.Err != nil {
			t.Fatalf("estimate: %v", err)
		}
		if gas < res.GasUsed {
			t.Fatalf("estimate %d below the gas used %d", gas, res.GasUsed)
		}
		// The estimate is the smallest limit that works.
		msg.Gas = gas
		if r, err := c.e.Call(context.Background(), c.env(), msg, c.kv); err != nil || r.Err != nil {
			t.Fatalf("call with the estimate failed: %v %v", err, r.Err)
		}
		msg.Gas = gas - 1
		if r, err := c.e.Call(context.Background(), c.env(), msg, c.kv); err == nil && r.Err == nil {
			t.Fatalf("call with estimate-1 (%d) succeeded", gas-1)
		}
		// And a real transaction with it succeeds.
		mustSucceed(t, c.receipt(user.tx(t, &addr, nil, data, gas)))
	}

	// A plain transfer to an account costs exactly 21000.
	to := common.HexToAddress("0x70")
	if gas, _, err := c.e.EstimateGas(context.Background(), c.env(), CallMsg{From: user.addr(), To: &to}, c.kv); err != nil || gas != 21000 {
		t.Fatalf("transfer estimate %d, %v", gas, err)
	}

	// A call that reverts whatever the gas returns its revert data.
	_, res, err := c.e.EstimateGas(context.Background(), c.env(), CallMsg{From: user.addr(), To: &addr, Data: store.pack(t, "fail", "always")}, c.kv)
	if !errors.Is(err, ErrExecutionFailed) || res == nil || len(res.Revert) == 0 || res.ErrorMessage() != "execution reverted: always" {
		t.Fatalf("reverting estimate: %v %+v", err, res)
	}
	// A call that can never finish runs out of gas at the maximum.
	if _, _, err := c.e.EstimateGas(context.Background(), c.env(), CallMsg{From: user.addr(), To: &addr, Gas: 500_000, Data: store.pack(t, "spin")}, c.kv); !errors.Is(err, ErrExecutionFailed) {
		t.Fatalf("spinning estimate: %v", err)
	}
}

func TestCallFromSystemViewAndTxAgree(t *testing.T) {
	// Gas used by a call equals the gas used by the same tx.
	store := loadContract(t, "Store")
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())
	addr := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress
	data := store.pack(t, "set", big.NewInt(12345))
	res := c.call(user.addr(), addr, data)
	r := c.receipt(user.tx(t, &addr, nil, data, 0))
	if r.Status != types.ReceiptSuccess || r.GasUsed != res.GasUsed {
		t.Fatalf("tx gas %d, call gas %d", r.GasUsed, res.GasUsed)
	}
}

// TestConcurrentCalls runs calls of a contract that calls a system
// contract (Store.sysInfo) on several goroutines of one executor, at the
// chain's version and at the latest with the permission check on (where
// the executor's scan of contract code is shared): each answers what the
// same call under the tracing hooks answers.
func TestConcurrentCalls(t *testing.T) {
	store := loadContract(t, "Store")
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())
	addr := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress
	data := store.pack(t, "sysInfo")
	latest := c.envUnder(t, c.e, precompiled.LatestCompatibility(), precompiled.PermissionOn)
	for name, env := range map[string]BlockEnv{"chain's version": c.env(), "latest, check on": latest} {
		traced := testExecutor(t)
		traced.alwaysTraced = true
		want, err := traced.Call(context.Background(), env, CallMsg{To: &addr, Data: data}, c.kv)
		if err != nil || want.Err != nil {
			t.Fatalf("%s: traced call: %v %+v", name, err, want)
		}
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				for range 20 {
					res, err := c.e.Call(context.Background(), env, CallMsg{To: &addr, Data: data}, c.kv)
					switch {
					case err != nil:
					case res.Err != nil:
						err = res.Err
					case !bytes.Equal(res.Return, want.Return) || res.GasUsed != want.GasUsed:
						err = fmt.Errorf("returned %x with %d gas, traced %x with %d", res.Return, res.GasUsed, want.Return, want.GasUsed)
					}
					if err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
}

// TestCallAtPastBlock runs calls and estimates over state.AtBlock views:
// each sees the contract's storage as of its block, and a block before
// the deployment sees no code.
func TestCallAtPastBlock(t *testing.T) {
	store := loadContract(t, "Store")
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())
	addr := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress // block 1
	mustSucceed(t, c.receipt(user.tx(t, &addr, nil, store.pack(t, "set", big.NewInt(5)), 0)))      // block 2
	mustSucceed(t, c.receipt(user.tx(t, &addr, nil, store.pack(t, "fill", big.NewInt(3)), 0)))     // block 3
	mustSucceed(t, c.receipt(user.tx(t, &addr, nil, store.pack(t, "set", big.NewInt(7)), 0)))      // block 4

	for n, want := range map[uint64]int64{1: 1, 2: 5, 3: 5, 4: 7} {
		view, err := state.AtBlock(c.kv, n)
		if err != nil {
			t.Fatal(err)
		}
		env := BlockEnv{Number: n, Timestamp: 1_700_000_000 + n - 1, Sealer: testSealer}
		res, err := c.e.Call(context.Background(), env, CallMsg{From: user.addr(), To: &addr, Data: store.pack(t, "value")}, view)
		if err != nil || res.Err != nil {
			t.Fatalf("block %d: call: %v %v", n, err, res.Err)
		}
		if got := store.unpack(t, "value", res.Return)[0].(*big.Int); got.Int64() != want {
			t.Errorf("value at block %d = %v, want %d", n, got, want)
		}
		res, err = c.e.Call(context.Background(), env, CallMsg{To: &addr, Data: store.pack(t, "data", big.NewInt(2))}, view)
		if err != nil || res.Err != nil {
			t.Fatalf("block %d: data(2): %v %v", n, err, res.Err)
		}
		if got, filled := store.unpack(t, "data", res.Return)[0].(*big.Int).Int64(), n >= 3; (got == 3) != filled {
			t.Errorf("data(2) at block %d = %d", n, got)
		}
		// fill(3) writes fresh slots only where the data is still empty.
		gas, _, err := c.e.EstimateGas(context.Background(), env, CallMsg{From: user.addr(), To: &addr, Data: store.pack(t, "fill", big.NewInt(3))}, view)
		if err != nil {
			t.Fatalf("block %d: estimate: %v", n, err)
		}
		if fresh := gas > 60_000; fresh != (n < 3) {
			t.Errorf("block %d: estimate of fill(3) = %d", n, gas)
		}
	}
	// Before the deployment the address has no code: the call does nothing.
	view, err := state.AtBlock(c.kv, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.e.Call(context.Background(), BlockEnv{Number: 0}, CallMsg{To: &addr, Data: store.pack(t, "value")}, view)
	if err != nil || res.Err != nil || len(res.Return) != 0 {
		t.Fatalf("call before deployment: %x %v %v", res.Return, err, res.Err)
	}
}
