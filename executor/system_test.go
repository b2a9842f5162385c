package executor

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/types"
)

func TestSystemInfo(t *testing.T) {
	store := loadContract(t, "Store")
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())
	addr := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress

	// From Solidity, through the interface in SystemInfo.sol.
	out := c.call(common.Address{}, addr, store.pack(t, "sysInfo"))
	got := store.unpack(t, "sysInfo", out.Return)
	if got[0].(*big.Int).Uint64() != testChainID || got[1].(*big.Int).Uint64() != c.env().Number {
		t.Fatalf("sysInfo() = %v", got)
	}
	r := c.receipt(user.tx(t, &addr, nil, store.pack(t, "sysChainId"), 0))
	mustSucceed(t, r)
	if new(big.Int).SetBytes(r.Output).Uint64() != testChainID {
		t.Fatalf("sysChainId() in a tx = %x", r.Output)
	}

	// Directly.
	sys := precompiled.SystemInfoAddress
	if out := c.call(user.addr(), sys, ethcrypto.Keccak256([]byte("blockNumber()"))[:4]); new(big.Int).SetBytes(out.Return).Uint64() != c.env().Number {
		t.Fatalf("blockNumber() = %x (%v)", out.Return, out.Err)
	}
	if out := c.call(user.addr(), sys, []byte{1, 2, 3, 4}); !strings.Contains(out.ErrorMessage(), "unknown function selector") || out.GasUsed >= testTxGas {
		t.Fatalf("unknown selector: %q, gas %d (a revert must not burn all gas)", out.ErrorMessage(), out.GasUsed)
	}
	alloc := map[common.Address]GenesisAccount{user.addr(): {Balance: big.NewInt(10)}}
	c2 := newChain(t, crypto.ECDSA(), testConfig(), alloc)
	r = c2.receipt(user.tx(t, &sys, big.NewInt(1), ethcrypto.Keccak256([]byte("chainId()"))[:4], 0))
	if r.Status != types.ReceiptFailed || !strings.Contains(r.ErrorMessage, "not payable") {
		t.Fatalf("value to SystemInfo: %q", r.ErrorMessage)
	}
	if b, _ := c2.reader().Balance(user.addr()); b.Int64() != 10 {
		t.Fatalf("reverted value transfer kept: %v", b)
	}
}

// counter is a stateful test system contract: each call increments its
// slot 0, emits a log with the caller, and returns (caller, value, count).
type counter struct{}

var counterAddr = common.HexToAddress("0x0000000000000000000000000000000000001fff")

func (counter) Name() string              { return "Counter" }
func (counter) RequiredGas([]byte) uint64 { return 1000 }
func (counter) Run(env *precompiled.Env, input []byte) ([]byte, error) {
	n := env.Storage(common.Hash{}).Big()
	n.Add(n, big.NewInt(1))
	if err := env.SetStorage(common.Hash{}, common.BigToHash(n)); err != nil {
		return precompiled.Revert(err.Error())
	}
	if err := env.EmitLog([]common.Hash{common.BytesToHash(env.Caller.Bytes())}, input); err != nil {
		return precompiled.Revert(err.Error())
	}
	out := common.LeftPadBytes(env.Caller.Bytes(), 32)
	out = append(out, common.LeftPadBytes(env.Value.Bytes(), 32)...)
	return append(out, common.LeftPadBytes(n.Bytes(), 32)...), nil
}

func TestSystemContractSeam(t *testing.T) {
	caller := loadContract(t, "Caller")
	reg := precompiled.Default()
	if err := reg.Register(counterAddr, counter{}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.SystemContracts = reg
	user := newNativeSigner(t, crypto.ECDSA())
	c := newChain(t, crypto.ECDSA(), cfg, map[common.Address]GenesisAccount{user.addr(): {Balance: big.NewInt(100)}})
	count := func() int64 {
		v, _ := c.reader().Storage(counterAddr, common.Hash{})
		return v.Big().Int64()
	}

	// Called by a transaction: the caller is the sender.
	r := c.receipt(user.tx(t, &counterAddr, nil, []byte("hi"), 0))
	mustSucceed(t, r)
	if common.BytesToAddress(r.Output[:32]) != user.addr() || count() != 1 {
		t.Fatalf("direct call: caller %x, count %d", r.Output[:32], count())
	}
	if len(r.Logs) != 1 || r.Logs[0].Address != counterAddr || string(r.Logs[0].Data) != "hi" {
		t.Fatalf("system contract log %+v", r.Logs)
	}

	cAddr := c.receipt(user.tx(t, nil, nil, caller.bin, 0)).ContractAddress
	unpackCall := func(method string, out []byte) (bool, []byte) {
		v := caller.unpack(t, method, out)
		return v[0].(bool), v[1].([]byte)
	}

	// Through CALL from a contract, with value: caller is the contract.
	r = c.receipt(user.tx(t, &cAddr, big.NewInt(5), caller.pack(t, "doCall", counterAddr, []byte{}), 0))
	mustSucceed(t, r)
	ok, ret := unpackCall("doCall", r.Output)
	if !ok || common.BytesToAddress(ret[:32]) != cAddr || new(big.Int).SetBytes(ret[32:64]).Int64() != 5 || count() != 2 {
		t.Fatalf("CALL: ok %v, ret %x, count %d", ok, ret, count())
	}
	if b, _ := c.reader().Balance(counterAddr); b.Int64() != 5 {
		t.Fatalf("value sent to the system contract: %v", b)
	}

	// STATICCALL, DELEGATECALL and a CALL inside a static call cannot write.
	for _, tc := range []struct {
		name, method string
		args         []any
	}{
		{"staticcall", "doStatic", []any{counterAddr, []byte{}}},
		{"delegatecall", "doDelegate", []any{counterAddr, []byte{}}},
		{"call inside staticcall", "doStatic", []any{cAddr, caller.pack(t, "doCall", counterAddr, []byte{})}},
	} {
		r = c.receipt(user.tx(t, &cAddr, nil, caller.pack(t, tc.method, tc.args...), 0))
		mustSucceed(t, r)
		ok, ret := unpackCall(tc.method, r.Output)
		if tc.name == "call inside staticcall" && ok { // the outer static call succeeds; look inside
			ok, ret = unpackCall("doCall", ret)
		}
		if ok || !strings.Contains(string(ret), "cannot change state") || count() != 2 {
			t.Fatalf("%s: ok %v, ret %q, count %d", tc.name, ok, ret, count())
		}
	}

	// A write by a system contract is undone when its caller reverts.
	r = c.receipt(user.tx(t, &cAddr, nil, caller.pack(t, "callThenRevert", counterAddr, []byte{}), 0))
	if r.Status != types.ReceiptFailed || r.ErrorMessage != "execution reverted: undo" || count() != 2 || len(r.Logs) != 0 {
		t.Fatalf("revert: %q, count %d, logs %d", r.ErrorMessage, count(), len(r.Logs))
	}
	// eth_call sees the caller too, and writes nothing.
	res, err := c.e.Call(context.Background(), c.env(), CallMsg{From: common.HexToAddress("0xca11"), To: &counterAddr}, c.kv)
	if err != nil || res.Err != nil || common.BytesToAddress(res.Return[:32]) != common.HexToAddress("0xca11") || count() != 2 {
		t.Fatalf("eth_call: %v %v %x", err, res.Err, res.Return)
	}
}

func TestRegistry(t *testing.T) {
	r := precompiled.NewRegistry()
	for _, a := range []common.Address{common.HexToAddress("0x01"), common.HexToAddress("0x0fff"), common.HexToAddress("0x010000"), common.HexToAddress("0x1000000000000000000000000000000000001000")} {
		if err := r.Register(a, counter{}); err == nil {
			t.Errorf("%v accepted", a)
		}
	}
	if err := r.Register(counterAddr, nil); err == nil {
		t.Errorf("nil contract accepted")
	}
	if err := r.Register(common.HexToAddress("0xffff"), counter{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(counterAddr, counter{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(counterAddr, counter{}); err == nil {
		t.Errorf("duplicate accepted")
	}
	if got := r.Addresses(); len(got) != 2 || got[0] != counterAddr {
		t.Fatalf("addresses %v", got)
	}
}
