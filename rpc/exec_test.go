package rpc

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

func TestCallAndEstimate(t *testing.T) {
	e := newTestEnv(t, Config{})
	to := tokenAddr.Hex()
	for _, blk := range []any{nil, "latest", "pending"} {
		params := []any{map[string]any{"to": to, "input": "0x0102", "from": otherAddr.Hex(), "gas": "0x5208", "value": "0x0"}}
		if blk != nil {
			params = append(params, blk)
		}
		got := e.ok("eth_call", params...)
		checkResult(t, "eth_call", got)
		if string(got) != `"0xcafe0102"` {
			t.Fatalf("eth_call = %s", got)
		}
		got = e.ok("eth_estimateGas", params...)
		checkResult(t, "eth_estimateGas", got)
		if string(got) != `"0x5228"` {
			t.Fatalf("eth_estimateGas = %s", got)
		}
	}
	// "data" is accepted as well as "input" (ethers sends "data").
	if got := e.ok("eth_call", map[string]any{"to": to, "data": "0x07"}); string(got) != `"0xcafe07"` {
		t.Fatalf("eth_call with data = %s", got)
	}
	// Fee fields are accepted and ignored.
	e.ok("eth_call", map[string]any{"to": to, "maxFeePerGas": "0x5", "maxPriorityFeePerGas": "0x1", "type": "0x2", "chainId": "0x4ee8", "accessList": []any{}})

	// Reverts: code 3, the reason in the message, the raw data in data.
	for _, m := range []string{"eth_call", "eth_estimateGas"} {
		err := e.fails(CodeReverted, nil, m, map[string]any{"to": revertAddr.Hex()})
		if err.Message != "execution reverted: boom" || err.Data != hexutil.Encode(revertData("boom")) {
			t.Fatalf("%s revert: %+v", m, err)
		}
		err = e.fails(CodeReverted, nil, m, map[string]any{"to": customErrAddr.Hex()})
		if err.Message != "execution reverted" || err.Data != hexutil.Encode(customErrData()) {
			t.Fatalf("%s custom error: %+v", m, err)
		}
		e.fails(CodeServer, []string{"out of gas"}, m, map[string]any{"to": oogAddr.Hex(), "gas": "0x10"})
		// The block argument reaches the backend as a committed number.
		hash0 := e.f.blocks[0].Header.Hash(e.f.suite).Hex()
		for blk, want := range map[any]uint64{"0x0": 0, "earliest": 0, hash0: 0, "0x1": 1, "latest": 1, "pending": 1, "safe": 1} {
			e.ok(m, map[string]any{"to": to}, blk)
			if got := e.f.lastExecBlock(t); got != want {
				t.Fatalf("%s at %v ran at block %d, want %d", m, blk, got, want)
			}
		}
		for _, blk := range []any{map[string]any{"blockHash": hash0}, map[string]any{"blockNumber": "0x0"}} {
			e.ok(m, map[string]any{"to": to}, blk)
			if got := e.f.lastExecBlock(t); got != 0 {
				t.Fatalf("%s at %v ran at block %d, want 0", m, blk, got)
			}
		}
		e.fails(CodeServer, []string{"block 2 is not yet committed (head is 1)"}, m, map[string]any{"to": to}, "0x2")
		e.fails(CodeServer, []string{"block " + common.Hash{7}.Hex() + " not found"}, m, map[string]any{"to": to}, common.Hash{7}.Hex())
	}
	// The raw answer has exactly go-ethereum's shape.
	w := post(t, e.s.Handler(), `{"jsonrpc":"2.0","id":9,"method":"eth_call","params":[{"to":"`+revertAddr.Hex()+`"},"latest"]}`)
	want := `{"jsonrpc":"2.0","id":9,"error":{"code":3,"message":"execution reverted: boom","data":"` + hexutil.Encode(revertData("boom")) + `"}}`
	if w.Body.String() != want {
		t.Fatalf("revert answer:\n%s\nwant\n%s", w.Body.String(), want)
	}
}

func TestCreateAccessList(t *testing.T) {
	e := newTestEnv(t, Config{})
	got := e.ok("eth_createAccessList", map[string]any{"to": tokenAddr.Hex()})
	checkResult(t, "eth_createAccessList", got)
	al := decode[map[string]any](t, got)
	if al["gasUsed"] != "0x5208" || len(al["accessList"].([]any)) != 1 {
		t.Fatalf("access list %v", al)
	}
	rev := decode[map[string]any](t, e.ok("eth_createAccessList", map[string]any{"to": revertAddr.Hex()}))
	if rev["error"] != "execution reverted: boom" {
		t.Fatalf("reverted access list %v", rev)
	}
	// Without the optional backend extension the method does not exist.
	s := NewServer(struct{ Backend }{e.f}, Config{}, nil)
	defer s.Shutdown(t.Context())
	e2 := &testEnv{t: t, s: s, f: e.f}
	e2.fails(CodeMethodNotFound, []string{"eth_createAccessList does not exist"}, "eth_createAccessList", map[string]any{"to": tokenAddr.Hex()})
	e2.fails(CodeMethodNotFound, []string{"eth_newPendingTransactionFilter"}, "eth_newPendingTransactionFilter")
	e2.fails(CodeMethodNotFound, []string{"bcos_getPendingTransactions"}, "bcos_getPendingTransactions")
}

func TestSendRawTransaction(t *testing.T) {
	e := newTestEnv(t, Config{})
	tx := e.alice.dynamic(&tokenAddr, 3)
	raw := hexutil.Encode(tx.Bytes())
	got := e.ok("eth_sendRawTransaction", raw)
	checkResult(t, "eth_sendRawTransaction", got)
	if decode[common.Hash](t, got) != tx.Hash() {
		t.Fatalf("hash %s", got)
	}
	if string(e.ok("bcos_getPendingTxSize")) != `"0x1"` {
		t.Fatal("pool size")
	}
	if got := decode[[]common.Hash](t, e.ok("bcos_getPendingTransactions")); len(got) != 1 || got[0] != tx.Hash() {
		t.Fatalf("pending txs %v", got)
	}
	second := e.alice.dynamic(&tokenAddr, 4)
	e.ok("eth_sendRawTransaction", hexutil.Encode(second.Bytes()))
	if got := decode[[]common.Hash](t, e.ok("bcos_getPendingTransactions", 1)); len(got) != 1 || got[0] != tx.Hash() {
		t.Fatalf("pending txs with limit 1: %v", got)
	}
	if got := decode[[]common.Hash](t, e.ok("bcos_getPendingTransactions", "0x5")); len(got) != 2 || got[1] != second.Hash() {
		t.Fatalf("pending txs with limit 5: %v", got)
	}
	e.fails(CodeInvalidParams, []string{"limit", "want 1 to 1000"}, "bcos_getPendingTransactions", 0)
	e.fails(CodeInvalidParams, []string{"limit"}, "bcos_getPendingTransactions", "many")
	// Pool errors are -32000 with the pool's message.
	e.fails(CodeServer, []string{"already known"}, "eth_sendRawTransaction", raw)
	stale := (&txFactory{t: t, key: e.alice.key}).legacy(&tokenAddr, 1, nil) // nonce 0 again
	e.fails(CodeServer, []string{"nonce too low"}, "eth_sendRawTransaction", hexutil.Encode(stale.Bytes()))
	// A tx for another chain.
	k, _ := crypto.ECDSAKey(e.alice.key)
	other, _ := ethtypes.SignNewTx(k, ethtypes.LatestSignerForChainID(big.NewInt(1)), &ethtypes.LegacyTx{Nonce: 9, Gas: 21000, GasPrice: new(big.Int), To: &tokenAddr, Value: new(big.Int)})
	otherRaw, _ := other.MarshalBinary()
	e.fails(CodeServer, []string{"wrong chain id"}, "eth_sendRawTransaction", hexutil.Encode(otherRaw))
	// Native txs go through bcos_sendTransaction.
	ntx := nativeTx(t, testKey(t, 3), &otherAddr, nil, 5)
	e.fails(CodeInvalidParams, []string{"accepts only Ethereum-signed transactions", "bcos_sendTransaction"}, "eth_sendRawTransaction", hexutil.Encode(ntx.Bytes()))
	if got := e.ok("bcos_sendTransaction", hexutil.Encode(ntx.Bytes())); decode[common.Hash](t, got) != ntx.Hash() {
		t.Fatalf("bcos_sendTransaction = %s", got)
	}
	// bcos_sendTransaction takes Ethereum txs too.
	etx := e.alice.legacy(&otherAddr, 0, nil)
	if got := e.ok("bcos_sendTransaction", hexutil.Encode(etx.Bytes()), false); decode[common.Hash](t, got) != etx.Hash() {
		t.Fatalf("bcos_sendTransaction eth = %s", got)
	}
}

func TestFeeHistory(t *testing.T) {
	e := newTestEnv(t, Config{})
	for i := 0; i < 3; i++ {
		e.ok("eth_sendRawTransaction", hexutil.Encode(e.alice.legacy(&tokenAddr, 1, nil).Bytes()))
		e.f.mine()
	}
	// Head is #4; blocks 2..4 hold one tx each.
	got := e.ok("eth_feeHistory", "0x3", "latest", []any{25, 75})
	checkResult(t, "eth_feeHistory", got)
	var fh struct {
		OldestBlock   string     `json:"oldestBlock"`
		BaseFeePerGas []string   `json:"baseFeePerGas"`
		GasUsedRatio  []float64  `json:"gasUsedRatio"`
		Reward        [][]string `json:"reward"`
	}
	if err := json.Unmarshal(got, &fh); err != nil {
		t.Fatal(err)
	}
	wantRatio := float64(e.f.blocks[4].Header.GasUsed) / float64(e.f.blocks[4].Header.GasLimit)
	if fh.OldestBlock != "0x2" || len(fh.BaseFeePerGas) != 4 || len(fh.GasUsedRatio) != 3 || fh.GasUsedRatio[2] != wantRatio ||
		len(fh.Reward) != 3 || len(fh.Reward[0]) != 2 || fh.Reward[0][0] != "0x0" || fh.BaseFeePerGas[3] != "0x0" {
		t.Fatalf("fee history %s", got)
	}
	// Counts are clamped to the chain's length; decimal counts work too.
	fh2 := decode[map[string]any](t, e.ok("eth_feeHistory", 100, "0x1", []any{}))
	if fh2["oldestBlock"] != "0x0" || len(fh2["gasUsedRatio"].([]any)) != 2 || fh2["reward"] != nil {
		t.Fatalf("clamped fee history %v", fh2)
	}
	zero := e.ok("eth_feeHistory", "0x0", "latest", []any{})
	checkResult(t, "eth_feeHistory", zero)
	e.fails(CodeServer, []string{"beyond head block"}, "eth_feeHistory", "0x1", "0x10", []any{})
}

func TestNativeTxOnSMChain(t *testing.T) {
	// An SM chain: hashes are SM3, native txs carry the public key.
	f := newFakeChain(t)
	f.suite = crypto.SM()
	f.blocks, f.receipts = nil, nil
	f.appendBlock(nil, nil, 1)
	key, err := crypto.SM().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	n := &types.NativeTx{ChainID: testChainID, GroupID: testGroupID, BlockLimit: 9, Nonce: big.NewInt(1), To: &otherAddr, Value: new(big.Int)}
	if err := n.Sign(crypto.SM(), key.PublicKey(), key.Sign); err != nil {
		t.Fatal(err)
	}
	tx := types.NewNativeTx(crypto.SM(), n)
	s := NewServer(f, Config{}, nil)
	defer s.Shutdown(t.Context())
	e := &testEnv{t: t, s: s, f: f}
	if got := e.ok("bcos_sendTransaction", hexutil.Encode(tx.Bytes())); decode[common.Hash](t, got) != tx.Hash() {
		t.Fatalf("hash %s", got)
	}
	f.mine()
	m := decode[map[string]any](t, e.ok("eth_getTransactionByHash", tx.Hash().Hex()))
	if m["from"] != strings.ToLower(key.Address().Hex()) || m["publicKey"] != hexutil.Encode(key.PublicKey()) || m["v"] != nil || m["r"] == nil {
		t.Fatalf("SM native tx %v", m)
	}
	info := decode[map[string]any](t, e.ok("bcos_getChainInfo"))
	if info["cryptoSuite"] != "sm" {
		t.Fatalf("chain info %v", info)
	}
	b := decode[map[string]any](t, e.ok("eth_getBlockByNumber", "latest", false))
	if b["hash"] != f.blocks[1].Header.Hash(crypto.SM()).Hex() {
		t.Fatalf("block hash must use the chain's hash (SM3): %v", b["hash"])
	}
}
