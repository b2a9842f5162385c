package executor

import (
	"context"
	"math/big"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/txtest"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

const (
	testChainID = 20200
	testGroup   = "group0"
	testTxGas   = 30_000_000
)

var testSealer = common.HexToAddress("0x5ea1e5")

func testConfig() Config {
	return Config{ChainID: testChainID, GroupID: testGroup, TxGasLimit: testTxGas, BlockGasLimit: 10 * testTxGas}
}

// contract is a compiled test contract from testdata.
type contract struct {
	abi abi.ABI
	bin []byte
}

func loadContract(t testing.TB, name string) contract {
	t.Helper()
	a, err := os.ReadFile("testdata/" + name + ".abi")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/" + name + ".bin")
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := abi.JSON(strings.NewReader(string(a)))
	if err != nil {
		t.Fatal(err)
	}
	return contract{abi: parsed, bin: common.FromHex(strings.TrimSpace(string(b)))}
}

func (c contract) pack(t testing.TB, method string, args ...any) []byte {
	t.Helper()
	b, err := c.abi.Pack(method, args...)
	if err != nil {
		t.Fatalf("pack %s: %v", method, err)
	}
	return b
}

func (c contract) deployData(t testing.TB, args ...any) []byte {
	t.Helper()
	return append(common.CopyBytes(c.bin), c.pack(t, "", args...)...)
}

func (c contract) unpack(t testing.TB, method string, out []byte) []any {
	t.Helper()
	v, err := c.abi.Unpack(method, out)
	if err != nil {
		t.Fatalf("unpack %s (%x): %v", method, out, err)
	}
	return v
}

// chain is a test ledger: an executor over a memory store, committing each
// block's writes.
type chain struct {
	t      testing.TB
	e      *Executor
	kv     *storage.Memory
	root   common.Hash
	number uint64
	hashes map[uint64]common.Hash
}

func newChain(t testing.TB, suite crypto.Suite, cfg Config, alloc map[common.Address]GenesisAccount) *chain {
	t.Helper()
	e, err := New(cfg, suite, nil)
	if err != nil {
		t.Fatal(err)
	}
	kv := storage.NewMemory()
	ws, root, err := e.Genesis(alloc, kv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.ApplyTo(kv); err != nil {
		t.Fatal(err)
	}
	return &chain{t: t, e: e, kv: kv, root: root, hashes: map[uint64]common.Hash{0: root}}
}

func (c *chain) env() BlockEnv {
	return BlockEnv{Number: c.number + 1, Timestamp: 1_700_000_000 + c.number, Sealer: testSealer,
		GetHash: func(n uint64) common.Hash { return c.hashes[n] }}
}

// envUnder is env with the rules e reads from the chain's state, but for
// the compatibility version, and the permission_check switch unless it is
// precompiled.PermissionUnknown.
func (c *chain) envUnder(tb testing.TB, e *Executor, compat string, permission precompiled.PermissionSwitch) BlockEnv {
	tb.Helper()
	env := c.env()
	rules, err := e.RulesAt(c.kv, env.Number)
	if err != nil {
		tb.Fatal(err)
	}
	rules.Compatibility = compat
	if permission != precompiled.PermissionUnknown {
		rules.permission = permission
	}
	env.Rules = &rules
	return env
}

// block executes txs as the next block and commits its writes.
func (c *chain) block(txs ...*types.Transaction) *BlockResult {
	c.t.Helper()
	res, err := c.e.ExecuteBlock(context.Background(), c.env(), c.root, txs, c.kv)
	if err != nil {
		c.t.Fatalf("ExecuteBlock: %v", err)
	}
	if err := res.Writes.ApplyTo(c.kv); err != nil {
		c.t.Fatal(err)
	}
	c.number++
	c.root = res.StateRoot
	c.hashes[c.number] = common.BigToHash(big.NewInt(int64(1000 + c.number)))
	return res
}

// receipt executes one tx as a block and returns its receipt.
func (c *chain) receipt(tx *types.Transaction) *types.Receipt {
	c.t.Helper()
	return c.block(tx).Receipts[0]
}

func (c *chain) call(from common.Address, to common.Address, data []byte) *CallResult {
	c.t.Helper()
	res, err := c.e.Call(context.Background(), c.env(), CallMsg{From: from, To: &to, Data: data}, c.kv)
	if err != nil {
		c.t.Fatalf("Call: %v", err)
	}
	return res
}

func (c *chain) reader() *state.Reader { return state.NewReader(c.kv) }

// nativeSigner signs native txs with a suite key.
type nativeSigner struct {
	suite crypto.Suite
	key   crypto.PrivateKey
}

var nativeNonce atomic.Int64

func newNativeSigner(t testing.TB, suite crypto.Suite) nativeSigner {
	t.Helper()
	k, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return nativeSigner{suite: suite, key: k}
}

func (s nativeSigner) addr() common.Address { return s.key.Address() }

func (s nativeSigner) tx(t testing.TB, to *common.Address, value *big.Int, data []byte, gas uint64) *types.Transaction {
	t.Helper()
	n := &types.NativeTx{ChainID: testChainID, GroupID: testGroup, BlockLimit: 1000,
		Nonce: big.NewInt(nativeNonce.Add(1)), To: to, Value: value, Input: data, GasLimit: gas}
	if n.Value == nil {
		n.Value = new(big.Int)
	}
	return txtest.SignNative(t, s.suite, s.key, n)
}

// ethSigner signs Ethereum txs.
type ethSigner struct{ key crypto.PrivateKey }

func newEthSigner(t testing.TB) ethSigner { return ethSigner{cryptotest.Key(t, crypto.ECDSA())} }

func (s ethSigner) addr() common.Address { return s.key.Address() }

func (s ethSigner) tx(t testing.TB, nonce uint64, to *common.Address, value *big.Int, data []byte, gas uint64) *types.Transaction {
	t.Helper()
	return ethTxWithList(t, s, nonce, to, value, data, gas, nil)
}

// ethTxWithList signs an Ethereum tx carrying an access list.
func ethTxWithList(t testing.TB, s ethSigner, nonce uint64, to *common.Address, value *big.Int, data []byte, gas uint64, list ethtypes.AccessList) *types.Transaction {
	t.Helper()
	if value == nil {
		value = new(big.Int)
	}
	return txtest.SignEth(t, s.key, testChainID, &ethtypes.DynamicFeeTx{ChainID: big.NewInt(testChainID), Nonce: nonce, To: to, Value: value, Data: data,
		Gas: gas, GasFeeCap: big.NewInt(7_000_000_000), GasTipCap: big.NewInt(1_000_000_000), AccessList: list})
}

func addrPtr(a common.Address) *common.Address { return &a }

func mustSucceed(t testing.TB, r *types.Receipt) {
	t.Helper()
	if r.Status != types.ReceiptSuccess {
		t.Fatalf("tx failed: %q (output %x)", r.ErrorMessage, r.Output)
	}
}
