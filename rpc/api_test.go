package rpc

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/types"
)

func TestSimpleMethods(t *testing.T) {
	e := newTestEnv(t, Config{})
	cases := []struct {
		method string
		params []any
		want   string
	}{
		{"eth_chainId", nil, `"0x4ee8"`},
		{"net_version", nil, `"20200"`},
		{"net_listening", nil, `true`},
		{"net_peerCount", nil, `"0x3"`},
		{"web3_clientVersion", nil, `"gobcos/v0.0.0-test"`},
		{"web3_sha3", []any{"0x68656c6c6f20776f726c64"}, `"0x47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad"`},
		{"eth_blockNumber", nil, `"0x1"`},
		{"eth_gasPrice", nil, `"0x0"`},
		{"eth_maxPriorityFeePerGas", nil, `"0x0"`},
		{"eth_accounts", nil, `[]`},
		{"eth_syncing", nil, `false`},
		{"eth_getBalance", []any{tokenAddr.Hex()}, `"0x0"`},
		{"eth_getBalance", []any{tokenAddr.Hex(), "latest"}, `"0x0"`},
		{"eth_getTransactionCount", []any{e.alice.key.Address().Hex(), "latest"}, `"0x5"`},
		{"eth_getUncleCountByBlockNumber", []any{"0x1"}, `"0x0"`},
		{"eth_getUncleCountByBlockNumber", []any{"0x9"}, `null`},
		{"eth_getUncleByBlockNumberAndIndex", []any{"0x1", "0x0"}, `null`},
		{"eth_getBlockTransactionCountByNumber", []any{"0x1"}, `"0x6"`},
		{"eth_getBlockTransactionCountByNumber", []any{}, `"0x6"`},
		{"eth_getBlockTransactionCountByNumber", []any{"earliest"}, `"0x0"`},
		{"eth_getBlockTransactionCountByNumber", []any{"0x2"}, `null`},
		{"eth_getBlockByNumber", []any{"0x5", false}, `null`},
		{"eth_getBlockByHash", []any{common.Hash{1}.Hex(), false}, `null`},
		{"eth_getTransactionByHash", []any{common.Hash{1}.Hex()}, `null`},
		{"eth_getTransactionReceipt", []any{common.Hash{1}.Hex()}, `null`},
		{"eth_getTransactionByBlockNumberAndIndex", []any{"0x1", "0x6"}, `null`},
		{"eth_getBlockReceipts", []any{"0x7"}, `null`},
		{"bcos_getPendingTxSize", nil, `"0x0"`},
	}
	for _, c := range cases {
		got := e.ok(c.method, c.params...)
		if string(got) != c.want {
			t.Errorf("%s%v = %s, want %s", c.method, c.params, got, c.want)
		}
	}
	for _, m := range []string{"eth_chainId", "eth_blockNumber", "eth_gasPrice", "eth_maxPriorityFeePerGas", "eth_baseFee", "eth_accounts", "eth_syncing", "net_version"} {
		checkResult(t, m, e.ok(m))
	}
	e.f.mu.Lock()
	e.f.syncing = &SyncProgress{StartingBlock: 0, CurrentBlock: 1, HighestBlock: 16}
	e.f.mu.Unlock()
	got := e.ok("eth_syncing")
	checkResult(t, "eth_syncing", got)
	if string(got) != `{"startingBlock":"0x0","currentBlock":"0x1","highestBlock":"0x10"}` {
		t.Errorf("eth_syncing while syncing = %s", got)
	}
}

func TestBlocks(t *testing.T) {
	e := newTestEnv(t, Config{})
	blk := e.f.blocks[1]
	hash := blk.Header.Hash(e.f.suite)
	for _, full := range []bool{false, true} {
		for _, tag := range []string{"0x1", "latest", "pending", "safe", "finalized"} {
			res := e.ok("eth_getBlockByNumber", tag, full)
			checkResult(t, "eth_getBlockByNumber", withoutNativeTxs(t, res))
			b := decode[map[string]any](t, res)
			if b["hash"] != hash.Hex() || b["number"] != "0x1" || b["baseFeePerGas"] != "0x0" || b["difficulty"] != "0x0" {
				t.Fatalf("block %s: %v", tag, b)
			}
			if b["sha3Uncles"] != ethtypes.EmptyUncleHash.Hex() || b["nonce"] != "0x0000000000000000" || b["miner"] != strings.ToLower(e.f.sealer.Address().Hex()) {
				t.Fatalf("block %s: fixed fields %v", tag, b)
			}
			if b["size"] != hexutil.EncodeUint64(uint64(len(types.EncodeBlock(blk)))) {
				t.Fatalf("size %v", b["size"])
			}
			txs := b["transactions"].([]any)
			if len(txs) != 6 {
				t.Fatalf("%d txs", len(txs))
			}
			if !full && txs[0] != e.txs[0].Hash().Hex() {
				t.Fatalf("tx hash %v", txs[0])
			}
			sigs := b["signatures"].([]any)
			if len(sigs) != 1 {
				t.Fatalf("signatures %v", sigs)
			}
		}
		checkResult(t, "eth_getBlockByHash", withoutNativeTxs(t, e.ok("eth_getBlockByHash", hash.Hex(), full)))
	}
	gen := e.ok("eth_getBlockByNumber", "earliest", true)
	checkResult(t, "eth_getBlockByNumber", gen)
	if g := decode[map[string]any](t, gen); g["number"] != "0x0" || len(g["transactions"].([]any)) != 0 || g["parentHash"] != (common.Hash{}).Hex() {
		t.Fatalf("genesis %v", g)
	}
	if got := e.ok("eth_getBlockTransactionCountByHash", hash.Hex()); string(got) != `"0x6"` {
		t.Fatalf("count by hash %s", got)
	}
	checkResult(t, "eth_getBlockTransactionCountByHash", e.ok("eth_getBlockTransactionCountByHash", hash.Hex()))
	checkResult(t, "eth_getBlockTransactionCountByNumber", e.ok("eth_getBlockTransactionCountByNumber", "latest"))
	if got := e.ok("eth_getUncleCountByBlockHash", hash.Hex()); string(got) != `"0x0"` {
		t.Fatalf("uncles %s", got)
	}
}

func TestTransactions(t *testing.T) {
	e := newTestEnv(t, Config{})
	blk := e.f.blocks[1]
	hash := blk.Header.Hash(e.f.suite)
	for i, tx := range e.txs {
		byHash := e.ok("eth_getTransactionByHash", tx.Hash().Hex())
		byNum := e.ok("eth_getTransactionByBlockNumberAndIndex", "0x1", hexutil.EncodeUint64(uint64(i)))
		byBlockHash := e.ok("eth_getTransactionByBlockHashAndIndex", hash.Hex(), hexutil.EncodeUint64(uint64(i)))
		if string(byHash) != string(byNum) || string(byHash) != string(byBlockHash) {
			t.Fatalf("tx %d: lookups differ:\n%s\n%s\n%s", i, byHash, byNum, byBlockHash)
		}
		m := decode[map[string]any](t, byHash)
		if m["hash"] != tx.Hash().Hex() || m["blockHash"] != hash.Hex() || m["blockNumber"] != "0x1" ||
			m["blockTimestamp"] != hexutil.EncodeUint64(blk.Header.Timestamp) || m["transactionIndex"] != hexutil.EncodeUint64(uint64(i)) ||
			m["from"] != strings.ToLower(tx.Sender().Hex()) || m["type"] != hexutil.EncodeUint64(uint64(tx.Type())) {
			t.Fatalf("tx %d: %v", i, m)
		}
		raw := e.ok("eth_getRawTransactionByHash", tx.Hash().Hex())
		if decode[string](t, raw) != hexutil.Encode(tx.Bytes()) {
			t.Fatalf("raw tx %d", i)
		}
		if tx.IsEthereum() {
			for _, m := range []string{"eth_getTransactionByHash", "eth_getTransactionByBlockNumberAndIndex", "eth_getTransactionByBlockHashAndIndex"} {
				checkResult(t, m, byHash)
			}
		}
	}
	// Field details per type, as go-ethereum shows them.
	legacy := decode[map[string]any](t, e.ok("eth_getTransactionByHash", e.txs[0].Hash().Hex()))
	if legacy["chainId"] != "0x4ee8" || legacy["v"] == nil || legacy["yParity"] != nil || legacy["accessList"] != nil || legacy["value"] != "0x7" {
		t.Fatalf("legacy tx %v", legacy)
	}
	dyn := decode[map[string]any](t, e.ok("eth_getTransactionByHash", e.txs[2].Hash().Hex()))
	if dyn["maxFeePerGas"] != "0x5" || dyn["maxPriorityFeePerGas"] != "0x2" || dyn["gasPrice"] != "0x2" || dyn["yParity"] == nil {
		t.Fatalf("dynamic fee tx %v", dyn)
	}
	create := decode[map[string]any](t, e.ok("eth_getTransactionByHash", e.txs[3].Hash().Hex()))
	if v, ok := create["to"]; !ok || v != nil || create["input"] != "0x6000" {
		t.Fatalf("creation tx %v", create)
	}
	native := decode[map[string]any](t, e.ok("eth_getTransactionByHash", e.txs[4].Hash().Hex()))
	n := e.txs[4].Native()
	if native["type"] != "0x60" || native["groupId"] != testGroupID || native["blockLimit"] != "0x1f4" || native["nonce"] != "0x4d" ||
		native["extraData"] != "0x6d656d6f" || native["chainId"] != "0x4ee8" || native["r"] != hexutil.EncodeBig(new(big.Int).SetBytes(n.Signature[:32])) ||
		native["input"] != "0xab" || native["publicKey"] != hexutil.Encode(n.PublicKey) {
		t.Fatalf("native tx %v", native)
	}

	// A pending tx has null positions.
	tx := e.alice.legacy(&otherAddr, 1, nil)
	e.ok("eth_sendRawTransaction", hexutil.Encode(tx.Bytes()))
	p := decode[map[string]any](t, e.ok("eth_getTransactionByHash", tx.Hash().Hex()))
	if v, ok := p["blockHash"]; !ok || v != nil || p["transactionIndex"] != nil || p["blockTimestamp"] != nil {
		t.Fatalf("pending tx %v", p)
	}
	if r := e.ok("eth_getTransactionReceipt", tx.Hash().Hex()); string(r) != "null" {
		t.Fatalf("pending receipt %s", r)
	}
}

func TestReceipts(t *testing.T) {
	e := newTestEnv(t, Config{})
	blk := e.f.blocks[1]
	hash := blk.Header.Hash(e.f.suite)
	all := e.ok("eth_getBlockReceipts", "0x1")
	checkResult(t, "eth_getBlockReceipts", all)
	if string(e.ok("eth_getBlockReceipts", hash.Hex())) != string(all) || string(e.ok("eth_getBlockReceipts", "latest")) != string(all) {
		t.Fatal("eth_getBlockReceipts by hash / tag differ")
	}
	list := decode[[]map[string]any](t, all)
	var cumulative uint64
	logIndex := 0
	for i, tx := range e.txs {
		res := e.ok("eth_getTransactionReceipt", tx.Hash().Hex())
		checkResult(t, "eth_getTransactionReceipt", res)
		r := decode[map[string]any](t, res)
		rr := e.f.receipts[1][i]
		cumulative += rr.GasUsed
		if r["transactionHash"] != tx.Hash().Hex() || r["blockHash"] != hash.Hex() || r["transactionIndex"] != hexutil.EncodeUint64(uint64(i)) ||
			r["cumulativeGasUsed"] != hexutil.EncodeUint64(cumulative) || r["gasUsed"] != hexutil.EncodeUint64(rr.GasUsed) ||
			r["effectiveGasPrice"] != "0x0" || r["type"] != hexutil.EncodeUint64(uint64(tx.Type())) || r["from"] != strings.ToLower(tx.Sender().Hex()) ||
			r["status"] != hexutil.EncodeUint64(rr.Status) {
			t.Fatalf("receipt %d: %v", i, r)
		}
		if r["logsBloom"] != hexutil.Encode(func() []byte { b := types.LogsBloom([]*types.Receipt{rr}); return b[:] }()) {
			t.Fatalf("receipt %d: bloom", i)
		}
		if _, extra := r["output"]; extra {
			t.Fatal("eth receipts must not carry gobcos extras (the schema forbids extra fields)")
		}
		for _, l := range r["logs"].([]any) {
			lm := l.(map[string]any)
			if lm["logIndex"] != hexutil.EncodeUint64(uint64(logIndex)) || lm["transactionHash"] != tx.Hash().Hex() || lm["blockTimestamp"] != hexutil.EncodeUint64(blk.Header.Timestamp) || lm["removed"] != false {
				t.Fatalf("log %v", lm)
			}
			logIndex++
		}
		if got, _ := json.Marshal(list[i]); string(got) != string(mustCompact(t, res)) {
			t.Fatalf("receipt %d differs from eth_getBlockReceipts:\n%s\n%s", i, got, res)
		}
	}
	if logIndex != 4 {
		t.Fatalf("%d logs, want 4", logIndex)
	}
	create := decode[map[string]any](t, e.ok("eth_getTransactionReceipt", e.txs[3].Hash().Hex()))
	if create["contractAddress"] != strings.ToLower(ethcrypto.CreateAddress(e.alice.key.Address(), 3).Hex()) || create["to"] != nil {
		t.Fatalf("creation receipt %v", create)
	}
	if plain := decode[map[string]any](t, e.ok("eth_getTransactionReceipt", e.txs[0].Hash().Hex())); plain["contractAddress"] != nil {
		t.Fatalf("contractAddress %v", plain["contractAddress"])
	}
	failed := decode[map[string]any](t, e.ok("bcos_getTransactionReceipt", e.txs[5].Hash().Hex()))
	if failed["status"] != "0x0" || failed["errorMessage"] != "execution reverted: boom" || failed["output"] != hexutil.Encode(revertData("boom")) {
		t.Fatalf("bcos receipt %v", failed)
	}
}

// withoutNativeTxs drops full native txs from a block: they are outside
// the Ethereum schemas (checked field by field in TestTransactions).
func withoutNativeTxs(t *testing.T, res json.RawMessage) json.RawMessage {
	b := decode[map[string]any](t, res)
	var kept []any
	for _, tx := range b["transactions"].([]any) {
		if m, ok := tx.(map[string]any); ok && m["type"] == "0x60" {
			continue
		}
		kept = append(kept, tx)
	}
	b["transactions"] = append([]any{}, kept...)
	out, _ := json.Marshal(b)
	return out
}

func mustCompact(t *testing.T, raw json.RawMessage) []byte {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return b
}

func TestStateQueries(t *testing.T) {
	e := newTestEnv(t, Config{})
	e.f.mu.Lock()
	e.f.balances[tokenAddr] = big.NewInt(1000)
	e.f.code[tokenAddr] = []byte{0x60, 0x80}
	e.f.storage[tokenAddr] = map[common.Hash]common.Hash{common.BigToHash(big.NewInt(1)): {0x99}}
	e.f.mu.Unlock()
	head := e.f.blocks[1].Header.Hash(e.f.suite).Hex()
	for _, blk := range []any{nil, "latest", "pending", "safe", "finalized", "0x1", head, map[string]any{"blockHash": head}, map[string]any{"blockNumber": "latest"}} {
		params := []any{tokenAddr.Hex()}
		if blk != nil {
			params = append(params, blk)
		}
		if got := e.ok("eth_getBalance", params...); string(got) != `"0x3e8"` {
			t.Fatalf("balance at %v = %s", blk, got)
		}
		checkResult(t, "eth_getBalance", e.ok("eth_getBalance", params...))
		if got := e.ok("eth_getCode", params...); string(got) != `"0x6080"` {
			t.Fatalf("code at %v = %s", blk, got)
		}
		checkResult(t, "eth_getCode", e.ok("eth_getCode", params...))
		sp := append([]any{tokenAddr.Hex(), "0x1"}, params[1:]...)
		got := e.ok("eth_getStorageAt", sp...)
		checkResult(t, "eth_getStorageAt", got)
		if decode[string](t, got) != (common.Hash{0x99}).Hex() {
			t.Fatalf("storage %s", got)
		}
		checkResult(t, "eth_getTransactionCount", e.ok("eth_getTransactionCount", params...))
	}
	// Slot forms go-ethereum accepts: odd length, full 32 bytes.
	for _, slot := range []string{"0x1", "0x01", common.BigToHash(big.NewInt(1)).Hex()} {
		if got := e.ok("eth_getStorageAt", tokenAddr.Hex(), slot); decode[string](t, got) != (common.Hash{0x99}).Hex() {
			t.Fatalf("slot %s: %s", slot, got)
		}
	}
	// A past block reads the state as of that block: at block 0 tokenAddr
	// had no balance, code or storage and alice had sent nothing.
	hash0 := e.f.blocks[0].Header.Hash(e.f.suite).Hex()
	alice := e.alice.key.Address().Hex()
	for _, blk := range []any{"earliest", "0x0", hash0, map[string]any{"blockHash": hash0}, map[string]any{"blockHash": hash0, "requireCanonical": true}, map[string]any{"blockNumber": "0x0"}} {
		for _, q := range []struct {
			method string
			params []any
			want   string
		}{
			{"eth_getBalance", []any{tokenAddr.Hex(), blk}, `"0x0"`},
			{"eth_getCode", []any{tokenAddr.Hex(), blk}, `"0x"`},
			{"eth_getStorageAt", []any{tokenAddr.Hex(), "0x1", blk}, `"` + (common.Hash{}).Hex() + `"`},
			{"eth_getTransactionCount", []any{alice, blk}, `"0x0"`},
		} {
			got := e.ok(q.method, q.params...)
			checkResult(t, q.method, got)
			if string(got) != q.want {
				t.Fatalf("%s at %v = %s, want %s", q.method, blk, got, q.want)
			}
		}
	}
	// Blocks above the head get a clear error, as unknown hashes do.
	for _, blk := range []any{"0x9", map[string]any{"blockNumber": "0x2"}} {
		e.fails(CodeServer, []string{"is not yet committed (head is 1)"}, "eth_getCode", tokenAddr.Hex(), blk)
	}
	e.fails(CodeServer, []string{"block 9 is not yet committed (head is 1)"}, "eth_getStorageAt", tokenAddr.Hex(), "0x1", "0x9")
	e.fails(CodeServer, []string{"block 2 is not yet committed (head is 1)"}, "eth_getTransactionCount", alice, "0x2")
	e.fails(CodeServer, []string{"not found"}, "eth_getCode", tokenAddr.Hex(), common.Hash{7}.Hex())
	e.fails(CodeInvalidParams, []string{"requireCanonical", "boolean"}, "eth_getBalance", tokenAddr.Hex(), map[string]any{"blockHash": hash0, "requireCanonical": "yes"})

	// A new block changes the state (the fake's live maps are the head's
	// state); block 1 keeps its values.
	e.f.mine()
	e.f.mu.Lock()
	e.f.balances[tokenAddr] = big.NewInt(2000)
	e.f.storage[tokenAddr] = map[common.Hash]common.Hash{}
	e.f.mu.Unlock()
	hash1 := e.f.blocks[1].Header.Hash(e.f.suite).Hex()
	for blk, want := range map[string][2]string{
		"0x1": {`"0x3e8"`, (common.Hash{0x99}).Hex()}, hash1: {`"0x3e8"`, (common.Hash{0x99}).Hex()},
		"0x2": {`"0x7d0"`, (common.Hash{}).Hex()}, "latest": {`"0x7d0"`, (common.Hash{}).Hex()},
	} {
		if got := e.ok("eth_getBalance", tokenAddr.Hex(), blk); string(got) != want[0] {
			t.Fatalf("balance at %s = %s, want %s", blk, got, want[0])
		}
		if got := e.ok("eth_getStorageAt", tokenAddr.Hex(), "0x1", blk); decode[string](t, got) != want[1] {
			t.Fatalf("storage at %s = %s, want %s", blk, got, want[1])
		}
	}
	if got := e.ok("eth_getTransactionCount", alice, "0x1"); string(got) != `"0x5"` {
		t.Fatalf("nonce at block 1 = %s", got)
	}

	// Pending nonce counts the pool.
	e.ok("eth_sendRawTransaction", hexutil.Encode(e.alice.legacy(&otherAddr, 1, nil).Bytes()))
	addr := e.alice.key.Address().Hex()
	if got := e.ok("eth_getTransactionCount", addr, "pending"); string(got) != `"0x6"` {
		t.Fatalf("pending nonce %s", got)
	}
	if got := e.ok("eth_getTransactionCount", addr); string(got) != `"0x5"` {
		t.Fatalf("latest nonce %s", got)
	}
}
