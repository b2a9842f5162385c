package executor

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{ChainID: 0, TxGasLimit: testTxGas, BlockGasLimit: testTxGas},
		{ChainID: 1, TxGasLimit: 20000, BlockGasLimit: testTxGas},
		{ChainID: 1, TxGasLimit: testTxGas, BlockGasLimit: testTxGas - 1},
	}
	for i, c := range bad {
		if _, err := New(c, crypto.ECDSA(), nil); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("config %d accepted: %v", i, err)
		}
	}
	e, err := New(testConfig(), crypto.ECDSA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rules := e.ChainConfig().Rules(big.NewInt(0), true, 0)
	if !rules.IsOsaka || rules.IsAmsterdam || rules.IsBogota {
		t.Fatalf("want Osaka rules without Amsterdam: %+v", rules)
	}
}

func TestDeployCallAndEvents(t *testing.T) {
	store := loadContract(t, "Store")
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())

	r := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(42)), 0))
	mustSucceed(t, r)
	addr := r.ContractAddress
	if addr != ethcrypto.CreateAddress(user.addr(), 0) {
		t.Fatalf("contract address %v, want CREATE(sender, 0)", addr)
	}
	if len(r.Output) != 0 || r.GasUsed == 0 {
		t.Fatalf("creation receipt: output %x, gas %d", r.Output, r.GasUsed)
	}
	if code, _ := c.reader().Code(addr); len(code) == 0 {
		t.Fatalf("no code stored")
	}
	out := c.call(common.Address{}, addr, store.pack(t, "value"))
	if v := store.unpack(t, "value", out.Return)[0].(*big.Int); v.Int64() != 42 {
		t.Fatalf("value() = %v", v)
	}

	res := c.block(user.tx(t, &addr, nil, store.pack(t, "set", big.NewInt(7)), 0))
	r = res.Receipts[0]
	mustSucceed(t, r)
	if len(r.Logs) != 1 {
		t.Fatalf("want 1 log, got %d", len(r.Logs))
	}
	l := r.Logs[0]
	if l.Address != addr || l.Topics[0] != store.abi.Events["Set"].ID || l.Topics[1] != common.BytesToHash(user.addr().Bytes()) {
		t.Fatalf("unexpected log %+v", l)
	}
	if new(big.Int).SetBytes(l.Data).Int64() != 7 {
		t.Fatalf("log data %x", l.Data)
	}
	if !res.Bloom.Test(addr.Bytes()) || !res.Bloom.Test(l.Topics[0].Bytes()) {
		t.Fatalf("bloom misses the log")
	}
	if res.GasUsed != r.GasUsed || r.CumulativeGasUsed != r.GasUsed || r.From != user.addr() || *r.To != addr || r.BlockNumber != 2 {
		t.Fatalf("receipt metadata %+v", r)
	}
	if res.Senders[0] != user.addr() {
		t.Fatalf("senders %v", res.Senders)
	}
	if n, _ := c.reader().Nonce(user.addr()); n != 2 {
		t.Fatalf("native txs must advance the state nonce: %d", n)
	}
	if v, _ := c.reader().Storage(addr, common.Hash{}); v != common.BigToHash(big.NewInt(7)) {
		t.Fatalf("slot 0 = %v", v)
	}
}

func TestRevertReasonsAndErrors(t *testing.T) {
	store := loadContract(t, "Store")
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())
	addr := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress

	r := c.receipt(user.tx(t, &addr, nil, store.pack(t, "fail", "boom"), 0))
	if r.Status != types.ReceiptFailed || r.ErrorMessage != "execution reverted: boom" {
		t.Fatalf("Error(string): status %d, %q", r.Status, r.ErrorMessage)
	}
	if len(r.Output) < 4 || !bytes.Equal(r.Output[:4], []byte{0x08, 0xc3, 0x79, 0xa0}) {
		t.Fatalf("revert data %x", r.Output)
	}

	r = c.receipt(user.tx(t, &addr, nil, store.pack(t, "failCustom", big.NewInt(5)), 0))
	if r.Status != types.ReceiptFailed || r.ErrorMessage != "execution reverted" {
		t.Fatalf("custom error: %q", r.ErrorMessage)
	}
	bad := store.abi.Errors["Bad"]
	if !bytes.Equal(r.Output[:4], bad.ID[:4]) {
		t.Fatalf("custom error selector %x, want %x", r.Output[:4], bad.ID[:4])
	}
	vals, err := bad.Unpack(r.Output)
	if err != nil {
		t.Fatal(err)
	}
	if got := vals.([]any); got[0].(*big.Int).Int64() != 5 || got[1].(string) != "custom" {
		t.Fatalf("custom error args %v", got)
	}

	r = c.receipt(user.tx(t, &addr, nil, store.pack(t, "divide", big.NewInt(1), big.NewInt(0)), 0))
	if r.Status != types.ReceiptFailed || !strings.HasPrefix(r.ErrorMessage, "execution reverted: ") || !strings.Contains(r.ErrorMessage, "zero") {
		t.Fatalf("panic: %q", r.ErrorMessage)
	}
	// A failed tx still advances the nonce (it was executed) and keeps no logs.
	if n, _ := c.reader().Nonce(user.addr()); n != 4 {
		t.Fatalf("nonce %d", n)
	}
}

func TestOutOfGas(t *testing.T) {
	store := loadContract(t, "Store")
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())
	addr := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress

	r := c.receipt(user.tx(t, &addr, nil, store.pack(t, "spin"), 200_000))
	if r.Status != types.ReceiptFailed || r.ErrorMessage != "out of gas" || r.GasUsed != 200_000 {
		t.Fatalf("status %d, %q, gas %d", r.Status, r.ErrorMessage, r.GasUsed)
	}
	if v, _ := c.reader().Storage(addr, common.Hash{}); v != common.BigToHash(big.NewInt(1)) {
		t.Fatalf("out-of-gas tx changed storage: %v", v)
	}
	// Deployment with too little gas for the code deposit fails too.
	r = c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 100_000))
	if r.Status != types.ReceiptFailed || r.ErrorMessage == "" {
		t.Fatalf("under-gassed deployment: %d %q", r.Status, r.ErrorMessage)
	}
	if code, _ := c.reader().Code(r.ContractAddress); len(code) != 0 {
		t.Fatalf("failed deployment left code")
	}
}

func TestCreateAndCreate2Addresses(t *testing.T) {
	store, child := loadContract(t, "Store"), loadContract(t, "Child")
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	eth := newEthSigner(t)
	// Ethereum creation: CREATE(sender, tx nonce), nonce 0 then 1.
	mustSucceed(t, c.receipt(eth.tx(t, 0, addrPtr(common.HexToAddress("0x1234")), nil, nil, 21000)))
	r := c.receipt(eth.tx(t, 1, nil, nil, store.deployData(t, big.NewInt(1)), 2_000_000))
	mustSucceed(t, r)
	addr := r.ContractAddress
	if addr != ethcrypto.CreateAddress(eth.addr(), 1) {
		t.Fatalf("creation address %v", addr)
	}
	salt := common.HexToHash("0x5a17")
	out := c.call(common.Address{}, addr, store.pack(t, "deploy", salt))
	got := store.unpack(t, "deploy", out.Return)
	a, b := got[0].(common.Address), got[1].(common.Address)
	if a != ethcrypto.CreateAddress(addr, 1) {
		t.Fatalf("CREATE %v, want %v", a, ethcrypto.CreateAddress(addr, 1))
	}
	if want := ethcrypto.CreateAddress2(addr, salt, ethcrypto.Keccak256(child.bin)); b != want {
		t.Fatalf("CREATE2 %v, want %v", b, want)
	}
}

func TestValueTransfers(t *testing.T) {
	store := loadContract(t, "Store")
	rich := newNativeSigner(t, crypto.ECDSA())
	poor := newNativeSigner(t, crypto.ECDSA())
	alloc := map[common.Address]GenesisAccount{rich.addr(): {Balance: big.NewInt(1000)}}
	c := newChain(t, crypto.ECDSA(), testConfig(), alloc)
	dst := common.HexToAddress("0xd57")

	res := c.block(poor.tx(t, &dst, big.NewInt(1), nil, 0))
	r := res.Receipts[0]
	if r.Status != types.ReceiptFailed || !strings.Contains(r.ErrorMessage, "insufficient funds") || r.GasUsed != 0 {
		t.Fatalf("transfer without balance: %d %q gas %d", r.Status, r.ErrorMessage, r.GasUsed)
	}
	if res.Writes.Len() != 0 {
		t.Fatalf("rejected tx changed state: %d writes", res.Writes.Len())
	}
	if n, _ := c.reader().Nonce(poor.addr()); n != 0 {
		t.Fatalf("rejected tx bumped the nonce")
	}

	mustSucceed(t, c.receipt(rich.tx(t, &dst, big.NewInt(300), nil, 0)))
	if b, _ := c.reader().Balance(dst); b.Int64() != 300 {
		t.Fatalf("recipient balance %v", b)
	}
	if b, _ := c.reader().Balance(rich.addr()); b.Int64() != 700 {
		t.Fatalf("sender balance %v: gas must not be charged", b)
	}
	// Value through a contract.
	addr := c.receipt(rich.tx(t, nil, big.NewInt(10), store.deployData(t, big.NewInt(1)), 0)).ContractAddress
	if b, _ := c.reader().Balance(addr); b.Int64() != 10 {
		t.Fatalf("payable constructor balance %v", b)
	}
	mustSucceed(t, c.receipt(rich.tx(t, &addr, big.NewInt(50), store.pack(t, "pay", dst), 0)))
	if b, _ := c.reader().Balance(dst); b.Int64() != 350 {
		t.Fatalf("recipient balance after pay %v", b)
	}
	// The sealer got no fees.
	if b, _ := c.reader().Balance(testSealer); b.Sign() != 0 {
		t.Fatalf("sealer was paid %v", b)
	}
	if a, _ := c.reader().Account(testSealer); a != nil {
		t.Fatalf("touching the coinbase must not create it (EIP-161)")
	}
}

func TestEthereumNonceRules(t *testing.T) {
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	eth := newEthSigner(t)
	to := addrPtr(common.HexToAddress("0x70"))
	res := c.block(
		eth.tx(t, 0, to, nil, nil, 21000),
		eth.tx(t, 0, to, nil, nil, 21000),
		eth.tx(t, 5, to, nil, nil, 21000),
		eth.tx(t, 1, to, nil, nil, 21000),
	)
	want := []string{"", "nonce too low", "nonce too high", ""}
	for i, r := range res.Receipts {
		if want[i] == "" {
			mustSucceed(t, r)
			continue
		}
		if r.Status != types.ReceiptFailed || !strings.HasPrefix(r.ErrorMessage, want[i]) || r.GasUsed != 0 {
			t.Errorf("tx %d: status %d %q gas %d, want %q", i, r.Status, r.ErrorMessage, r.GasUsed, want[i])
		}
	}
	if n, _ := c.reader().Nonce(eth.addr()); n != 2 {
		t.Fatalf("nonce %d, want 2", n)
	}
	if res.GasUsed != 2*21000 {
		t.Fatalf("block gas %d", res.GasUsed)
	}
}

func TestGasLimitRules(t *testing.T) {
	// A tx fits when the gas used so far plus its gas limit is within the
	// block gas limit.
	cfg := testConfig()
	cfg.BlockGasLimit = cfg.TxGasLimit + 30000
	c := newChain(t, crypto.ECDSA(), cfg, nil)
	eth := newEthSigner(t)
	to := addrPtr(common.HexToAddress("0x70"))
	res := c.block(
		eth.tx(t, 0, to, nil, nil, testTxGas+1),
		eth.tx(t, 0, to, nil, []byte{1, 2, 3}, 21000),
		eth.tx(t, 0, to, nil, nil, testTxGas),
		eth.tx(t, 1, to, nil, nil, testTxGas),
		eth.tx(t, 2, to, nil, nil, testTxGas),
	)
	msgs := []string{"transaction gas limit exceeds", "intrinsic gas too low", "", "", "gas limit reached"}
	for i, r := range res.Receipts {
		if msgs[i] == "" {
			mustSucceed(t, r)
		} else if r.Status != types.ReceiptFailed || !strings.Contains(r.ErrorMessage, msgs[i]) {
			t.Errorf("tx %d: %q, want %q", i, r.ErrorMessage, msgs[i])
		}
	}
}

func TestNativeTxsOnSMChain(t *testing.T) {
	store := loadContract(t, "Store")
	sm := crypto.SM()
	c := newChain(t, sm, testConfig(), nil)
	user := newNativeSigner(t, sm)
	r := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(3)), 0))
	mustSucceed(t, r)
	if r.ContractAddress != ethcrypto.CreateAddress(user.addr(), 0) {
		t.Fatalf("SM chain creation address %v", r.ContractAddress)
	}
	addr := r.ContractAddress
	r = c.receipt(user.tx(t, &addr, nil, store.pack(t, "set", big.NewInt(9)), 0))
	mustSucceed(t, r)
	if r.Logs[0].Topics[1] != common.BytesToHash(user.addr().Bytes()) {
		t.Fatalf("msg.sender is not the SM signer")
	}
	// An Ethereum tx is not valid on an SM chain: the block is invalid.
	eth := newEthSigner(t)
	_, err := c.e.ExecuteBlock(context.Background(), c.env(), c.root, []*types.Transaction{eth.tx(t, 0, &addr, nil, nil, 21000)}, c.kv)
	if !errors.Is(err, ErrInvalidTx) || !errors.Is(err, types.ErrEthTxNotAllowed) {
		t.Fatalf("want ErrInvalidTx, got %v", err)
	}
}

func TestUnverifiableTxInvalidatesBlock(t *testing.T) {
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())
	tx := user.tx(t, addrPtr(common.HexToAddress("0x70")), nil, nil, 0)
	n := *tx.Native()
	n.Signature = common.CopyBytes(n.Signature)
	n.Signature[10] ^= 1
	forged := types.NewNativeTx(crypto.ECDSA(), &n)
	if _, err := c.e.ExecuteBlock(context.Background(), c.env(), c.root, []*types.Transaction{forged}, c.kv); !errors.Is(err, ErrInvalidTx) {
		t.Fatalf("want ErrInvalidTx, got %v", err)
	}
}

func TestDeterminism(t *testing.T) {
	store := loadContract(t, "Store")
	user := newNativeSigner(t, crypto.ECDSA())
	eth := newEthSigner(t)
	alloc := map[common.Address]GenesisAccount{user.addr(): {Balance: big.NewInt(1e6)}}
	c := newChain(t, crypto.ECDSA(), testConfig(), alloc)
	addr := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress
	txs := []*types.Transaction{
		user.tx(t, &addr, nil, store.pack(t, "fill", big.NewInt(20)), 0),
		user.tx(t, &addr, nil, store.pack(t, "set", big.NewInt(5)), 0),
		user.tx(t, &addr, nil, store.pack(t, "fail", "x"), 0),
		eth.tx(t, 0, nil, nil, store.deployData(t, big.NewInt(2)), 1_000_000),
		user.tx(t, addrPtr(eth.addr()), big.NewInt(10), nil, 0),
		user.tx(t, &addr, nil, store.pack(t, "deployAndKill"), 0),
	}
	run := func() *BlockResult {
		res, err := c.e.ExecuteBlock(context.Background(), c.env(), c.root, txs, c.kv)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b := run(), run()
	if a.StateRoot != b.StateRoot || !bytes.Equal(a.Writes.Encode(), b.Writes.Encode()) || a.GasUsed != b.GasUsed {
		t.Fatalf("same block gave different results")
	}
	if types.ReceiptRoot(crypto.ECDSA(), a.Receipts) != types.ReceiptRoot(crypto.ECDSA(), b.Receipts) {
		t.Fatalf("same block gave different receipts")
	}
	other, err := c.e.ExecuteBlock(context.Background(), c.env(), common.HexToHash("0x01"), txs, c.kv)
	if err != nil {
		t.Fatal(err)
	}
	if other.StateRoot == a.StateRoot {
		t.Fatalf("state root must be chained to the parent root")
	}
}

func TestSelfDestructEIP6780(t *testing.T) {
	store, child := loadContract(t, "Store"), loadContract(t, "Child")
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())
	addr := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress

	// Created and destroyed in one tx: gone.
	r := c.receipt(user.tx(t, &addr, nil, store.pack(t, "deployAndKill"), 0))
	mustSucceed(t, r)
	killed := common.BytesToAddress(r.Output)
	if a, _ := c.reader().Account(killed); a != nil {
		t.Fatalf("contract destroyed in its creation tx still exists: %+v", a)
	}
	// Destroyed in a later tx: stays (only its balance moves).
	r = c.receipt(user.tx(t, nil, nil, child.bin, 0))
	mustSucceed(t, r)
	old := r.ContractAddress
	mustSucceed(t, c.receipt(user.tx(t, &old, nil, child.pack(t, "kill"), 0)))
	if code, _ := c.reader().Code(old); len(code) == 0 {
		t.Fatalf("SELFDESTRUCT outside the creation tx deleted the code")
	}
	if out := c.call(common.Address{}, old, child.pack(t, "x")); child.unpack(t, "x", out.Return)[0].(*big.Int).Int64() != 7 {
		t.Fatalf("storage of a surviving contract lost")
	}
}

func TestTransientStorage(t *testing.T) {
	store := loadContract(t, "Store")
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())
	addr := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress
	res := c.block(
		user.tx(t, &addr, nil, store.pack(t, "transientRoundTrip", big.NewInt(5)), 0),
		user.tx(t, &addr, nil, store.pack(t, "transientRead"), 0),
	)
	if got := new(big.Int).SetBytes(res.Receipts[0].Output); got.Int64() != 5 {
		t.Fatalf("TSTORE/TLOAD in one tx gave %v", got)
	}
	if got := new(big.Int).SetBytes(res.Receipts[1].Output); got.Sign() != 0 {
		t.Fatalf("transient storage leaked into the next tx: %v", got)
	}
	if res.Writes.Len() != 1 { // only the sender's nonce
		t.Fatalf("transient storage reached the state: %d writes", res.Writes.Len())
	}
}

func TestBlockHash(t *testing.T) {
	store := loadContract(t, "Store")
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())
	addr := c.receipt(user.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress
	out := c.call(common.Address{}, addr, store.pack(t, "hashOf", big.NewInt(1)))
	if common.BytesToHash(out.Return) != c.hashes[1] {
		t.Fatalf("BLOCKHASH(1) = %x, want %v", out.Return, c.hashes[1])
	}
}

func TestCancelledContext(t *testing.T) {
	c := newChain(t, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(t, crypto.ECDSA())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tx := user.tx(t, addrPtr(common.HexToAddress("0x70")), nil, nil, 0)
	if _, err := c.e.ExecuteBlock(ctx, c.env(), c.root, []*types.Transaction{tx}, c.kv); !errors.Is(err, context.Canceled) {
		t.Fatalf("ExecuteBlock: %v", err)
	}
	if _, err := c.e.Call(ctx, c.env(), CallMsg{}, c.kv); !errors.Is(err, context.Canceled) {
		t.Fatalf("Call: %v", err)
	}
}
