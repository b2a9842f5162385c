package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestEnvelopeErrors(t *testing.T) {
	e := newTestEnv(t, Config{})
	h := e.s.Handler()
	cases := []struct {
		name, body string
		code       int
		fragment   string
		id         string
	}{
		{"not json", `{"jsonrpc":"2.0","id":1,"method":`, CodeParseError, "parse error", "null"},
		{"garbage", `hello`, CodeParseError, "parse error", "null"},
		{"empty body", ``, CodeParseError, "parse error", "null"},
		{"number", `42`, CodeInvalidRequest, "want a request object, got a number", "null"},
		{"empty batch", `[]`, CodeInvalidRequest, "empty batch", "null"},
		{"no method", `{"jsonrpc":"2.0","id":7}`, CodeInvalidRequest, "method", "7"},
		{"method not string", `{"jsonrpc":"2.0","id":7,"method":5}`, CodeInvalidRequest, "want a string, got a number", "7"},
		{"empty method", `{"jsonrpc":"2.0","id":"a","method":""}`, CodeInvalidRequest, "method is empty", `"a"`},
		{"bad version", `{"jsonrpc":"1.0","id":7,"method":"eth_chainId"}`, CodeInvalidRequest, `"jsonrpc" must be "2.0"`, "7"},
		{"object id", `{"jsonrpc":"2.0","id":{},"method":"eth_chainId"}`, CodeInvalidRequest, "id must be a string, a number or null", "null"},
		{"named params", `{"jsonrpc":"2.0","id":7,"method":"eth_chainId","params":{"a":1}}`, CodeInvalidParams, "named parameters are not supported", "7"},
		{"scalar params", `{"jsonrpc":"2.0","id":7,"method":"eth_chainId","params":3}`, CodeInvalidParams, "params must be an array", "7"},
		{"unknown method", `{"jsonrpc":"2.0","id":7,"method":"eth_mining"}`, CodeMethodNotFound, "the method eth_mining does not exist/is not available", "7"},
		{"unknown eth method", `{"jsonrpc":"2.0","id":7,"method":"eth_sign","params":["0x00","0x00"]}`, CodeMethodNotFound, "eth_sign", "7"},
		{"engine method", `{"jsonrpc":"2.0","id":7,"method":"engine_newPayloadV1","params":[]}`, CodeMethodNotFound, "engine_newPayloadV1", "7"},
	}
	for _, c := range cases {
		w := post(t, h, c.body)
		var r rpcResp
		if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
			t.Fatalf("%s: bad response %q", c.name, w.Body.String())
		}
		if r.Error == nil || r.Error.Code != c.code || !strings.Contains(r.Error.Message, c.fragment) || string(r.ID) != c.id || r.Version != "2.0" {
			t.Errorf("%s: got %s", c.name, w.Body.String())
		}
		if r.Result != nil {
			t.Errorf("%s: result and error both set", c.name)
		}
	}
	// A null id is a request (answered), an absent id a notification (not).
	w := post(t, h, `{"jsonrpc":"2.0","id":null,"method":"eth_chainId"}`)
	if got := w.Body.String(); got != `{"jsonrpc":"2.0","id":null,"result":"0x4ee8"}` {
		t.Errorf("null id: %s", got)
	}
	w = post(t, h, `{"jsonrpc":"2.0","method":"eth_chainId"}`)
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("notification answered: %d %q", w.Code, w.Body.String())
	}
	w = post(t, h, `[{"jsonrpc":"2.0","method":"eth_chainId"},{"jsonrpc":"2.0","method":"nope"}]`)
	if w.Body.Len() != 0 {
		t.Errorf("batch of notifications answered: %q", w.Body.String())
	}
	// Missing "jsonrpc" is tolerated (go-ethereum does too); ids are echoed as sent.
	w = post(t, h, `{"id":"x-1","method":"eth_chainId"}`)
	if got := w.Body.String(); got != `{"jsonrpc":"2.0","id":"x-1","result":"0x4ee8"}` {
		t.Errorf("no version: %s", got)
	}
}

func TestBatch(t *testing.T) {
	e := newTestEnv(t, Config{MaxBatch: 5})
	h := e.s.Handler()
	body := `[
		{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},
		{"jsonrpc":"2.0","id":2,"method":"eth_nope"},
		{"jsonrpc":"2.0","method":"eth_chainId"},
		17,
		{"jsonrpc":"2.0","id":3,"method":"eth_getBlockByNumber","params":["0xzz",false]}
	]`
	w := post(t, h, body)
	var rs []rpcResp
	if err := json.Unmarshal(w.Body.Bytes(), &rs); err != nil {
		t.Fatalf("batch response %q: %v", w.Body.String(), err)
	}
	if len(rs) != 4 {
		t.Fatalf("want 4 answers (the notification gets none), got %s", w.Body.String())
	}
	if string(rs[0].ID) != "1" || string(rs[0].Result) != `"0x4ee8"` {
		t.Errorf("answer 0: %+v", rs[0])
	}
	if string(rs[1].ID) != "2" || rs[1].Error == nil || rs[1].Error.Code != CodeMethodNotFound {
		t.Errorf("answer 1: %+v", rs[1])
	}
	if string(rs[2].ID) != "null" || rs[2].Error == nil || rs[2].Error.Code != CodeInvalidRequest {
		t.Errorf("answer 2: %+v", rs[2])
	}
	if string(rs[3].ID) != "3" || rs[3].Error == nil || rs[3].Error.Code != CodeInvalidParams || !strings.Contains(rs[3].Error.Message, "argument 0 (block)") {
		t.Errorf("answer 3: %+v", rs[3].Error)
	}

	big := "[" + strings.Repeat(`{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},`, 5) + `{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}]`
	w = post(t, h, big)
	var r rpcResp
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || r.Error == nil || r.Error.Code != CodeInvalidRequest || !strings.Contains(r.Error.Message, "batch too large: 6 requests, the limit is 5") {
		t.Errorf("oversized batch: %s", w.Body.String())
	}
}

func TestBatchResponseLimit(t *testing.T) {
	e := newTestEnv(t, Config{MaxBatchResponseBytes: 100})
	w := post(t, e.s.Handler(), `[{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0x1",true]},{"jsonrpc":"2.0","id":2,"method":"eth_chainId"}]`)
	var rs []rpcResp
	if err := json.Unmarshal(w.Body.Bytes(), &rs); err != nil || len(rs) != 2 {
		t.Fatalf("%s", w.Body.String())
	}
	if rs[0].Error != nil || rs[1].Error == nil || rs[1].Error.Code != CodeLimitExceeded {
		t.Fatalf("%s", w.Body.String())
	}
}

func TestBodyLimit(t *testing.T) {
	e := newTestEnv(t, Config{MaxBodyBytes: 2048})
	body := `{"jsonrpc":"2.0","id":1,"method":"web3_sha3","params":["0x` + strings.Repeat("00", 2000) + `"]}`
	for _, chunked := range []bool{false, true} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		if chunked {
			req.ContentLength = -1 // no length: the reader limit must catch it
		}
		w := httptest.NewRecorder()
		e.s.Handler().ServeHTTP(w, req)
		var r rpcResp
		if w.Code != http.StatusRequestEntityTooLarge || json.Unmarshal(w.Body.Bytes(), &r) != nil || r.Error == nil ||
			r.Error.Code != CodeInvalidRequest || !strings.Contains(r.Error.Message, "request body too large: the limit is 2048 bytes") {
			t.Errorf("chunked=%v: %d %s", chunked, w.Code, w.Body.String())
		}
	}
	small := `{"jsonrpc":"2.0","id":1,"method":"web3_sha3","params":["0x00"]}`
	if w := post(t, e.s.Handler(), small); w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte("result")) {
		t.Errorf("small body: %d %s", w.Code, w.Body.String())
	}
}

func TestHTTPMethodsAndCORS(t *testing.T) {
	e := newTestEnv(t, Config{})
	h := e.s.Handler()

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "JSON-RPC") {
		t.Errorf("GET: %d %q", w.Code, w.Body.String())
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPut, "/", nil))
	if w.Code != http.StatusMethodNotAllowed || !strings.Contains(w.Header().Get("Allow"), "POST") {
		t.Errorf("PUT: %d", w.Code)
	}

	req := httptest.NewRequest(http.MethodOptions, "/", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Errorf("preflight: %d %v", w.Code, w.Header())
	}

	// A configured origin list: listed origins are echoed, others get none.
	e2 := newTestEnv(t, Config{CORSOrigins: []string{"https://good.example"}})
	for origin, want := range map[string]string{"https://good.example": "https://good.example", "https://evil.example": ""} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`))
		req.Header.Set("Origin", origin)
		w := httptest.NewRecorder()
		e2.s.Handler().ServeHTTP(w, req)
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("origin %s: allow-origin %q, want %q", origin, got, want)
		}
	}
}

func TestInvalidParams(t *testing.T) {
	e := newTestEnv(t, Config{})
	addr := tokenAddr.Hex()
	hash := common.Hash{1}.Hex()
	cases := []struct {
		method    string
		params    []any
		fragments []string
	}{
		// Missing arguments.
		{"eth_getBlockByNumber", []any{}, []string{"missing value for required argument 0 (block)"}},
		{"eth_getBlockByNumber", []any{"latest"}, []string{"missing value for required argument 1 (hydrated transactions)"}},
		{"eth_getBalance", []any{}, []string{"missing value for required argument 0 (address)"}},
		{"eth_call", []any{}, []string{"argument 0 (transaction)"}},
		{"eth_getLogs", []any{}, []string{"argument 0 (filter)"}},
		// Wrong JSON types.
		{"eth_getBlockByNumber", []any{1, false}, []string{"invalid argument 0 (block): want a string, got a number"}},
		{"eth_getBlockByNumber", []any{"latest", "yes"}, []string{"invalid argument 1 (hydrated transactions): want true or false, got a string"}},
		{"eth_getBalance", []any{[]any{addr}}, []string{"argument 0 (address): want a string, got an array"}},
		{"eth_call", []any{"0x00"}, []string{"argument 0 (transaction): want an object, got a string"}},
		// Malformed hex.
		{"eth_getBlockByHash", []any{"1234", false}, []string{"argument 0 (block hash): hex string without 0x prefix"}},
		{"eth_getBlockByHash", []any{"0x1234", false}, []string{"argument 0 (block hash): a hash must be 32 bytes"}},
		{"eth_getBlockByHash", []any{"0x" + strings.Repeat("g", 64), false}, []string{"invalid hex character 'g'"}},
		{"eth_getBalance", []any{"0x123"}, []string{"argument 0 (address): hex string of odd length"}},
		{"eth_getBalance", []any{addr + "00"}, []string{"an address must be 20 bytes"}},
		{"eth_getBlockByNumber", []any{"0x01", false}, []string{"leading zero"}},
		{"eth_getBlockByNumber", []any{"0x", false}, []string{"no digits"}},
		{"eth_getBlockByNumber", []any{"0x10000000000000000", false}, []string{"does not fit in 64 bits"}},
		{"eth_getBlockByNumber", []any{"newest", false}, []string{`"newest" is not a block`, "latest"}},
		{"eth_getBalance", []any{addr, "0xzz"}, []string{"argument 1 (block)"}},
		{"eth_getBalance", []any{addr, map[string]any{"blockHash": hash, "blockNumber": "0x1"}}, []string{"not both"}},
		{"eth_getStorageAt", []any{addr, "0x" + strings.Repeat("1", 65)}, []string{"argument 1 (storage slot)", "longer than 32 bytes"}},
		{"eth_getTransactionByBlockNumberAndIndex", []any{"0x1", "zero"}, []string{"argument 1 (transaction index)"}},
		{"eth_sendRawTransaction", []any{"0xzz"}, []string{"argument 0 (transaction)", "invalid hex character"}},
		{"eth_sendRawTransaction", []any{"0x"}, []string{"argument 0 (transaction)", "empty transaction"}},
		{"eth_sendRawTransaction", []any{"0xf8"}, []string{"argument 0 (transaction)", "malformed transaction encoding"}},
		{"eth_sendRawTransaction", []any{"0x03aa"}, []string{"unsupported transaction type: 0x03"}},
		{"web3_sha3", []any{"hello"}, []string{"hex string without 0x prefix"}},
		// Call objects.
		{"eth_call", []any{map[string]any{"to": addr, "gas": "0x01"}}, []string{`field "gas": hex number with leading zero digits`}},
		{"eth_call", []any{map[string]any{"to": "0x12"}}, []string{`field "to"`}},
		{"eth_call", []any{map[string]any{"to": addr, "data": "0x01", "input": "0x02"}}, []string{`both "data" and "input"`}},
		{"eth_call", []any{map[string]any{"to": addr, "gasPrice": "0x1", "maxFeePerGas": "0x1"}}, []string{"both gasPrice and"}},
		{"eth_call", []any{map[string]any{"to": addr, "chainId": "0x1"}}, []string{"does not match this chain's id 20200"}},
		{"eth_call", []any{map[string]any{"to": addr, "type": "0x3"}}, []string{"not supported"}},
		{"eth_call", []any{map[string]any{"to": addr, "blobVersionedHashes": []any{hash}}}, []string{"blob transactions are not supported"}},
		{"eth_call", []any{map[string]any{"to": addr}, "latest", map[string]any{}}, []string{"overrides are not supported"}},
		{"eth_estimateGas", []any{map[string]any{"to": addr, "accessList": "x"}}, []string{`field "accessList": want an array`}},
		// Filters.
		{"eth_getLogs", []any{map[string]any{"address": 5}}, []string{`field "address": want an address or a list`}},
		{"eth_getLogs", []any{map[string]any{"address": []any{"0x12"}}}, []string{`field "address": entry 0`}},
		{"eth_getLogs", []any{map[string]any{"topics": []any{nil, nil, nil, nil, nil}}}, []string{"5 topic positions, at most 4"}},
		{"eth_getLogs", []any{map[string]any{"topics": []any{5}}}, []string{"position 0: want null, a topic or a list of topics"}},
		{"eth_getLogs", []any{map[string]any{"topics": []any{[]any{"0x1"}}}}, []string{"position 0, entry 0"}},
		{"eth_getLogs", []any{map[string]any{"fromBlock": "0x1", "blockHash": hash}}, []string{`either "blockHash" or "fromBlock"/"toBlock"`}},
		{"eth_getLogs", []any{map[string]any{"fromBlock": "0x1", "toBlock": "0x0"}}, []string{"fromBlock #1 is after toBlock #0"}},
		{"eth_getFilterChanges", []any{"abc"}, []string{"argument 0 (filter identifier)"}},
		{"eth_feeHistory", []any{"0x1", "latest", []any{50, 10}}, []string{"must not decrease"}},
		{"eth_feeHistory", []any{"0x1", "latest", []any{101}}, []string{"not between 0 and 100"}},
		{"eth_feeHistory", []any{"0x1", "latest", "x"}, []string{"want an array of numbers"}},
		{"eth_feeHistory", []any{-1, "latest", []any{}}, []string{"argument 0 (blockCount)"}},
		{"eth_feeHistory", []any{true, "latest", []any{}}, []string{"argument 0 (blockCount): want a hex quantity or an integer"}},
		// Too many arguments.
		{"eth_chainId", []any{1}, []string{"too many arguments: eth_chainId takes at most 0, got 1"}},
		{"eth_getTransactionReceipt", []any{hash, hash}, []string{"too many arguments"}},
		// bcos.
		{"bcos_getSystemConfig", []any{"nope"}, []string{`unknown system config key "nope"`, "consensus_leader_period, tx_count_limit, tx_gas_limit"}},
		{"bcos_sendTransaction", []any{"0x60c0", "yes"}, []string{"argument 0 (transaction)"}},
	}
	for _, c := range cases {
		e.fails(CodeInvalidParams, c.fragments, c.method, c.params...)
	}
}

// panicky panics in one method to prove requests recover.
type panicky struct{ *fakeChain }

func (panicky) ChainInfo() ChainInfo { panic("boom") }

func TestPanicRecovery(t *testing.T) {
	f := newFakeChain(t)
	s := NewServer(panicky{f}, Config{}, nil)
	defer s.Shutdown(t.Context())
	e := &testEnv{t: t, s: s, f: f}
	e.fails(CodeInternal, []string{"internal error while handling bcos_getChainInfo"}, "bcos_getChainInfo")
	if got := e.ok("eth_chainId"); string(got) != `"0x4ee8"` {
		t.Fatalf("server unusable after a panic: %s", got)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	err := Config{MaxBatch: -1, MaxBodyBytes: 10, CORSOrigins: []string{""}}.Validate()
	for _, want := range []string{"MaxBatch must not be negative", "MaxBodyBytes 10 is below 1024", "empty origin"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v lacks %q", err, want)
		}
	}
}

func TestServeAndShutdown(t *testing.T) {
	f := newFakeChain(t)
	s := NewServer(f, Config{}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	resp, err := http.Post("http://"+ln.Addr().String()+"/", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != `{"jsonrpc":"2.0","id":1,"result":"0x0"}` {
		t.Fatalf("answer %s", body)
	}
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve returned %v after Shutdown", err)
	}
	f.mu.Lock()
	n := len(f.subs) + len(f.pendSubs)
	f.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d backend subscriptions left after Shutdown", n)
	}
	if err := s.Serve(ln); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
}
