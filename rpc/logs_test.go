package rpc

import (
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

func logsOf(t *testing.T, e *testEnv, filter map[string]any) []map[string]any {
	t.Helper()
	res := e.ok("eth_getLogs", filter)
	logs := decode[[]map[string]any](t, res)
	if len(logs) > 0 {
		checkResult(t, "eth_getLogs", res)
	}
	return logs
}

func TestGetLogs(t *testing.T) {
	e := newTestEnv(t, Config{})
	aliceTopic := common.BytesToHash(e.alice.key.Address().Bytes()).Hex()
	blk1 := e.f.blocks[1].Header.Hash(e.f.suite).Hex()
	cases := []struct {
		name   string
		filter map[string]any
		want   int
	}{
		{"default latest", map[string]any{}, 4},
		{"range", map[string]any{"fromBlock": "earliest", "toBlock": "latest"}, 4},
		{"genesis only", map[string]any{"fromBlock": "0x0", "toBlock": "0x0"}, 0},
		{"past head", map[string]any{"fromBlock": "0x5", "toBlock": "0x9"}, 0},
		{"address", map[string]any{"address": tokenAddr.Hex()}, 2},
		{"address list", map[string]any{"address": []any{tokenAddr.Hex(), otherAddr.Hex()}}, 4},
		{"unknown address", map[string]any{"address": common.Address{9}.Hex()}, 0},
		{"topic 0", map[string]any{"topics": []any{transferTopic.Hex()}}, 2},
		{"topic 1 with null", map[string]any{"topics": []any{nil, aliceTopic}}, 2},
		{"OR list", map[string]any{"topics": []any{[]any{transferTopic.Hex(), common.Hash{0x42}.Hex()}}}, 4},
		{"empty OR list is a wildcard", map[string]any{"topics": []any{[]any{}}}, 4},
		{"more topics than the log has", map[string]any{"topics": []any{nil, nil, nil, transferTopic.Hex()}}, 0},
		{"wrong topic 2", map[string]any{"topics": []any{transferTopic.Hex(), nil, aliceTopic}}, 0},
		{"block hash", map[string]any{"blockHash": blk1, "address": otherAddr.Hex()}, 2},
		{"null fields", map[string]any{"address": nil, "topics": nil, "fromBlock": nil}, 4},
	}
	for _, c := range cases {
		if got := logsOf(t, e, c.filter); len(got) != c.want {
			t.Errorf("%s: %d logs, want %d: %v", c.name, len(got), c.want, got)
		}
	}
	logs := logsOf(t, e, map[string]any{"address": tokenAddr.Hex()})
	if logs[0]["transactionHash"] != e.txs[0].Hash().Hex() || logs[1]["transactionHash"] != e.txs[2].Hash().Hex() ||
		logs[1]["logIndex"] != "0x2" || logs[1]["blockHash"] != blk1 || logs[1]["data"] != hexutil.Encode(common.LeftPadBytes([]byte{9}, 32)) {
		t.Fatalf("logs %v", logs)
	}
	e.fails(CodeServer, []string{"unknown block"}, "eth_getLogs", map[string]any{"blockHash": common.Hash{3}.Hex()})
}

func TestGetLogsLimits(t *testing.T) {
	e := newTestEnv(t, Config{MaxLogRange: 2, MaxLogResults: 3})
	e.f.mine()
	// Ranges past the head are clamped to it before the limit applies.
	if got := logsOf(t, e, map[string]any{"fromBlock": "0x2", "toBlock": "0x100", "address": tokenAddr.Hex()}); len(got) != 0 {
		t.Fatalf("%d logs", len(got))
	}
	e.fails(CodeLimitExceeded, []string{"block range too large: 3 blocks requested", "the limit is 2"}, "eth_getLogs", map[string]any{"fromBlock": "0x0", "toBlock": "0x2"})
	e.fails(CodeLimitExceeded, []string{"more than 3 logs"}, "eth_getLogs", map[string]any{"fromBlock": "0x0", "toBlock": "0x1"})
	if got := logsOf(t, e, map[string]any{"fromBlock": "0x1", "address": tokenAddr.Hex()}); len(got) != 2 {
		t.Fatalf("%d logs", len(got))
	}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestBlockFilter(t *testing.T) {
	e := newTestEnv(t, Config{})
	id := decode[string](t, e.ok("eth_newBlockFilter"))
	checkResult(t, "eth_newBlockFilter", e.ok("eth_newBlockFilter"))
	if got := e.ok("eth_getFilterChanges", id); string(got) != "[]" {
		t.Fatalf("first poll %s", got)
	}
	b2 := e.f.mine()
	b3 := e.f.mine()
	got := e.ok("eth_getFilterChanges", id)
	checkResult(t, "eth_getFilterChanges", got)
	hashes := decode[[]common.Hash](t, got)
	if len(hashes) != 2 || hashes[0] != b2.Header.Hash(e.f.suite) || hashes[1] != b3.Header.Hash(e.f.suite) {
		t.Fatalf("block filter changes %s", got)
	}
	if got := e.ok("eth_getFilterChanges", id); string(got) != "[]" {
		t.Fatalf("second poll %s", got)
	}
	e.fails(CodeInvalidParams, []string{"not a log filter"}, "eth_getFilterLogs", id)
	if got := e.ok("eth_uninstallFilter", id); string(got) != "true" {
		t.Fatalf("uninstall %s", got)
	}
	checkResult(t, "eth_uninstallFilter", e.ok("eth_uninstallFilter", id))
	if got := e.ok("eth_uninstallFilter", id); string(got) != "false" {
		t.Fatalf("second uninstall %s", got)
	}
	e.fails(CodeServer, []string{"filter not found"}, "eth_getFilterChanges", id)
}

func TestLogFilter(t *testing.T) {
	e := newTestEnv(t, Config{})
	id := decode[string](t, e.ok("eth_newFilter", map[string]any{"address": tokenAddr.Hex()}))
	checkResult(t, "eth_newFilter", e.ok("eth_newFilter", map[string]any{}))
	// Existing logs are not "changes"; eth_getFilterLogs runs the query.
	if got := e.ok("eth_getFilterChanges", id); string(got) != "[]" {
		t.Fatalf("first poll %s", got)
	}
	if got := decode[[]any](t, e.ok("eth_getFilterLogs", id)); len(got) != 2 {
		t.Fatalf("filter logs %v", got)
	}
	tok := e.alice.legacy(&tokenAddr, 5, nil)
	e.ok("eth_sendRawTransaction", hexutil.Encode(tok.Bytes()))
	e.ok("eth_sendRawTransaction", hexutil.Encode(e.alice.legacy(&otherAddr, 0, nil).Bytes()))
	e.f.mine()
	e.f.mine() // empty
	got := e.ok("eth_getFilterChanges", id)
	checkResult(t, "eth_getFilterChanges", got)
	logs := decode[[]map[string]any](t, got)
	if len(logs) != 1 || logs[0]["transactionHash"] != tok.Hash().Hex() || logs[0]["blockNumber"] != "0x2" {
		t.Fatalf("log filter changes %s", got)
	}
	if got := e.ok("eth_getFilterChanges", id); string(got) != "[]" {
		t.Fatalf("second poll %s", got)
	}
	// A numeric toBlock bounds the changes.
	bounded := decode[string](t, e.ok("eth_newFilter", map[string]any{"toBlock": "0x4"}))
	e.ok("eth_sendRawTransaction", hexutil.Encode(e.alice.legacy(&tokenAddr, 1, nil).Bytes()))
	e.f.mine() // #4
	e.ok("eth_sendRawTransaction", hexutil.Encode(e.alice.legacy(&tokenAddr, 1, nil).Bytes()))
	e.f.mine() // #5
	if got := decode[[]map[string]any](t, e.ok("eth_getFilterChanges", bounded)); len(got) != 1 || got[0]["blockNumber"] != "0x4" {
		t.Fatalf("bounded filter %v", got)
	}
}

func TestPendingTxFilter(t *testing.T) {
	e := newTestEnv(t, Config{})
	id := decode[string](t, e.ok("eth_newPendingTransactionFilter"))
	checkResult(t, "eth_newPendingTransactionFilter", e.ok("eth_newPendingTransactionFilter"))
	tx := e.alice.legacy(&otherAddr, 0, nil)
	e.ok("eth_sendRawTransaction", hexutil.Encode(tx.Bytes()))
	// The hash travels through the hub goroutine: poll until it arrives.
	var got []common.Hash
	for i := 0; i < 1000 && len(got) == 0; i++ {
		got = append(got, decode[[]common.Hash](t, e.ok("eth_getFilterChanges", id))...)
		if len(got) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	if len(got) != 1 || got[0] != tx.Hash() {
		t.Fatalf("pending filter %v", got)
	}
	if got := e.ok("eth_getFilterChanges", id); string(got) != "[]" {
		t.Fatalf("second poll %s", got)
	}
	e.fails(CodeInvalidParams, []string{"only transaction hashes"}, "eth_newPendingTransactionFilter", true)
}

func TestFilterExpiry(t *testing.T) {
	e := newTestEnv(t, Config{FilterTimeout: 5 * time.Minute, MaxFilters: 2})
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	e.s.now = clock.Now
	a := decode[string](t, e.ok("eth_newBlockFilter"))
	b := decode[string](t, e.ok("eth_newBlockFilter"))
	e.fails(CodeLimitExceeded, []string{"too many installed filters"}, "eth_newBlockFilter")

	clock.advance(4 * time.Minute)
	e.ok("eth_getFilterChanges", a) // polling keeps a alive
	clock.advance(2 * time.Minute)
	e.s.filters.expire(clock.Now())
	e.ok("eth_getFilterChanges", a)
	e.fails(CodeServer, []string{"filter not found"}, "eth_getFilterChanges", b)
	e.ok("eth_newBlockFilter") // room again
	clock.advance(6 * time.Minute)
	e.s.filters.expire(clock.Now())
	e.fails(CodeServer, []string{"filter not found"}, "eth_getFilterChanges", a)
}
