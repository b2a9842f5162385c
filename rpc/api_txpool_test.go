package rpc

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/types"
)

func TestTxpoolMethods(t *testing.T) {
	e := newTestEnv(t, Config{})
	alice := e.alice.key.Address()
	empty := e.ok("txpool_status")
	checkResult(t, "txpool_status", empty)
	if string(empty) != `{"pending":"0x0","queued":"0x0"}` {
		t.Fatalf("empty pool status %s", empty)
	}
	next := e.alice.dynamic(&tokenAddr, 1) // alice's next nonce: executable
	e.alice.nonce++                        // skip one: the following tx is queued
	late := e.alice.dynamic(&tokenAddr, 2)
	for _, tx := range []*types.Transaction{next, late} {
		e.ok("eth_sendRawTransaction", hexutil.Encode(tx.Bytes()))
	}
	status := e.ok("txpool_status")
	checkResult(t, "txpool_status", status)
	if string(status) != `{"pending":"0x1","queued":"0x1"}` {
		t.Fatalf("pool status %s", status)
	}

	content := e.ok("txpool_content")
	checkResult(t, "txpool_content", content)
	c := decode[map[string]map[string]map[string]map[string]any](t, content)
	nonceOf := func(n uint64) string { return new(big.Int).SetUint64(n).String() }
	if tx := c["pending"][alice.Hex()][nonceOf(next.Nonce())]; tx == nil || tx["hash"] != next.Hash().Hex() || tx["blockHash"] != nil {
		t.Fatalf("pending content %v", c["pending"])
	}
	if tx := c["queued"][alice.Hex()][nonceOf(late.Nonce())]; tx == nil || tx["hash"] != late.Hash().Hex() {
		t.Fatalf("queued content %v", c["queued"])
	}
	if len(c["pending"][alice.Hex()]) != 1 || len(c["queued"][alice.Hex()]) != 1 {
		t.Fatalf("content %v", c)
	}

	from := e.ok("txpool_contentFrom", strings.ToLower(alice.Hex()))
	checkResult(t, "txpool_contentFrom", from)
	f := decode[map[string]map[string]map[string]any](t, from)
	if f["pending"][nonceOf(next.Nonce())]["hash"] != next.Hash().Hex() || f["queued"][nonceOf(late.Nonce())]["hash"] != late.Hash().Hex() {
		t.Fatalf("content from alice %v", f)
	}
	other := decode[map[string]map[string]any](t, e.ok("txpool_contentFrom", otherAddr.Hex()))
	if len(other["pending"]) != 0 || len(other["queued"]) != 0 {
		t.Fatalf("content from another address %v", other)
	}
	e.fails(CodeInvalidParams, []string{"address"}, "txpool_contentFrom", "0x12")
	e.fails(CodeInvalidParams, []string{"address"}, "txpool_contentFrom")
	e.fails(CodeInvalidParams, nil, "txpool_status", 1)

	// Without the backend extension the methods do not exist.
	s := NewServer(struct{ Backend }{e.f}, Config{}, nil)
	defer s.Shutdown(t.Context())
	e2 := &testEnv{t: t, s: s, f: e.f}
	for _, m := range []string{"txpool_status", "txpool_content"} {
		e2.fails(CodeMethodNotFound, []string{m}, m)
	}
}

func TestGetStorageValues(t *testing.T) {
	e := newTestEnv(t, Config{})
	one, two := common.BigToHash(big.NewInt(1)), common.BigToHash(big.NewInt(2))
	e.f.mu.Lock()
	e.f.storage[tokenAddr] = map[common.Hash]common.Hash{one: {0x99}, two: {0x42}}
	e.f.storage[otherAddr] = map[common.Hash]common.Hash{one: {0x07}}
	e.f.mu.Unlock()
	req := map[string][]string{
		tokenAddr.Hex(): {"0x2", "0x1", "0x3"},
		otherAddr.Hex(): {one.Hex()},
	}
	for _, blk := range []any{nil, "latest", "0x1"} {
		params := []any{req}
		if blk != nil {
			params = append(params, blk)
		}
		got := e.ok("eth_getStorageValues", params...)
		checkResult(t, "eth_getStorageValues", got)
		vals := decode[map[string][]common.Hash](t, got)
		if len(vals) != 2 || len(vals[tokenAddr.Hex()]) != 3 ||
			vals[tokenAddr.Hex()][0] != (common.Hash{0x42}) || vals[tokenAddr.Hex()][1] != (common.Hash{0x99}) || vals[tokenAddr.Hex()][2] != (common.Hash{}) ||
			vals[otherAddr.Hex()][0] != (common.Hash{0x07}) {
			t.Fatalf("values at %v: %s", blk, got)
		}
	}
	// Block 0, before the writes of the fake's state: zeros.
	at0 := decode[map[string][]common.Hash](t, e.ok("eth_getStorageValues", req, "0x0"))
	if at0[tokenAddr.Hex()][0] != (common.Hash{}) {
		t.Fatalf("values at block 0: %v", at0)
	}

	many := make([]string, maxStorageValues+1)
	for i := range many {
		many[i] = "0x1"
	}
	e.fails(CodeInvalidParams, []string{"more than 1024 slots"}, "eth_getStorageValues", map[string][]string{tokenAddr.Hex(): many})
	e.fails(CodeInvalidParams, []string{"given twice"}, "eth_getStorageValues", map[string][]string{
		"0x00000000000000000000000000000000000000ab": {"0x1"}, "0x00000000000000000000000000000000000000AB": {"0x1"}})
	e.fails(CodeInvalidParams, []string{"slot 0"}, "eth_getStorageValues", map[string][]string{tokenAddr.Hex(): {"12"}})
	e.fails(CodeInvalidParams, []string{"key"}, "eth_getStorageValues", map[string][]string{"0x12": {"0x1"}})
	e.fails(CodeInvalidParams, []string{"storage requests"}, "eth_getStorageValues", []string{"0x1"})
	e.fails(CodeInvalidParams, []string{"storage requests"}, "eth_getStorageValues")
}
