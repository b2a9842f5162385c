package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/types"
)

// Fuzz targets for every decoder of outside input: the request body and
// batch parser, and the parameter decoders. Seeds live in
// testdata/fuzz/<target>/ and in the f.Add calls; run one with e.g.
// `go test ./rpc -run '^$' -fuzz FuzzRequestBody -fuzztime 30s`.

// fuzzServer is a server over a fake chain whose waits end at once.
func fuzzServer(f *testing.F) *Server {
	fc := newFakeChain(f)
	alice := &txFactory{t: f, key: testKey(f, 1)}
	fc.appendBlock([]*types.Transaction{alice.legacy(&tokenAddr, 1, nil), alice.dynamic(&otherAddr, 0)}, nil, 10)
	s := NewServer(fc, Config{ReceiptWaitTimeout: time.Millisecond, CallTimeout: time.Second, MaxBodyBytes: 64 << 10}, nil)
	f.Cleanup(func() { _ = s.Shutdown(f.Context()) })
	return s
}

var knownCodes = map[int]bool{
	CodeParseError: true, CodeInvalidRequest: true, CodeMethodNotFound: true, CodeInvalidParams: true,
	CodeInternal: true, CodeServer: true, CodeLimitExceeded: true, CodeReverted: true,
}

// checkEnvelope asserts one JSON-RPC response object is well formed.
func checkEnvelope(t *testing.T, raw json.RawMessage) rpcResp {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("response entry is not an object: %q", raw)
	}
	if string(m["jsonrpc"]) != `"2.0"` {
		t.Fatalf("bad jsonrpc member: %s", raw)
	}
	id, hasID := m["id"]
	if !hasID || (jsonKind(id) != "a string" && jsonKind(id) != "a number" && jsonKind(id) != "null") {
		t.Fatalf("bad id: %s", raw)
	}
	_, hasRes := m["result"]
	e, hasErr := m["error"]
	if hasRes == hasErr {
		t.Fatalf("want exactly one of result and error: %s", raw)
	}
	var r rpcResp
	_ = json.Unmarshal(raw, &r)
	if hasErr {
		var eo struct {
			Code    *int    `json:"code"`
			Message *string `json:"message"`
		}
		if json.Unmarshal(e, &eo) != nil || eo.Code == nil || eo.Message == nil || *eo.Message == "" || !knownCodes[*eo.Code] {
			t.Fatalf("bad error object: %s", raw)
		}
		if *eo.Code == CodeInternal {
			t.Fatalf("internal error (a recovered panic?): %s", raw)
		}
	}
	return r
}

// checkBody asserts an HTTP answer is a well-formed JSON-RPC answer.
func checkBody(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != http.StatusOK && w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("HTTP status %d", w.Code)
	}
	body := bytes.TrimSpace(w.Body.Bytes())
	if len(body) == 0 {
		return // notifications only
	}
	if body[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(body, &items); err != nil || len(items) == 0 {
			t.Fatalf("bad batch answer: %q", body)
		}
		for _, it := range items {
			checkEnvelope(t, it)
		}
		return
	}
	checkEnvelope(t, body)
}

func FuzzRequestBody(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`,
		`[{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"},{"jsonrpc":"2.0","method":"x"},5]`,
		`{"jsonrpc":"2.0","id":"a","method":"eth_getBlockByNumber","params":["latest",true]}`,
		`{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x0","topics":[null,["0x` + strings.Repeat("0", 64) + `"]]}]}`,
		`[]`, `{}`, `[[]]`, `null`, `"x"`, `{"id":{}}`, `{"jsonrpc":"2.0","id":1,"method":"eth_call","params":{"a":1}}`,
	} {
		f.Add([]byte(s))
	}
	s := fuzzServer(f)
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		checkBody(t, w)
	})
}

func sortedMethods(s *Server) []string {
	names := make([]string, 0, len(s.methods))
	for n := range s.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FuzzMethodParams sends arbitrary params to every method.
func FuzzMethodParams(f *testing.F) {
	hash := `"0x` + strings.Repeat("ab", 32) + `"`
	addr := `"` + tokenAddr.Hex() + `"`
	for i, p := range []string{
		`[]`, `["latest",false]`, `[` + hash + `]`, `[` + addr + `,"latest"]`, `[{"to":` + addr + `,"data":"0x01"}]`,
		`[{"address":[` + addr + `],"topics":[[` + hash + `],null]}]`, `["0x2","latest",[10,90]]`, `["0x60c0",true]`,
		`[` + addr + `,"0x1",{"blockHash":` + hash + `}]`, `[null]`, `[1.5e300]`, `["0x` + strings.Repeat("f", 70) + `"]`,
		`[{` + addr + `:["0x1",` + hash + `]},"latest"]`, `[{` + addr + `:[]}]`,
	} {
		f.Add(uint8(i*7), []byte(p))
	}
	s := fuzzServer(f)
	h := s.Handler()
	methods := sortedMethods(s)
	f.Fuzz(func(t *testing.T, idx uint8, params []byte) {
		method := methods[int(idx)%len(methods)]
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":%q,"params":%s}`, method, params)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)))
		checkBody(t, w)
		if w.Body.Len() == 0 {
			t.Fatalf("%s: a request with an id got no answer", method)
		}
	})
}

func FuzzHexParsers(f *testing.F) {
	for _, s := range []string{"0x0", "0x", "0x01", "0xff", "0XAbC", "0x" + strings.Repeat("f", 16), "0x" + strings.Repeat("f", 17),
		"0x" + strings.Repeat("1", 64), tokenAddr.Hex(), "12", "0xg", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := parseUint64(s); err == nil {
			if got := "0x" + strconv.FormatUint(v, 16); got != strings.ToLower("0x"+s[2:]) {
				t.Fatalf("parseUint64(%q) = %d, re-encodes as %s", s, v, got)
			}
			if b, err := parseBig(s); err != nil || !b.IsUint64() || b.Uint64() != v {
				t.Fatalf("parseBig(%q) disagrees with parseUint64: %v %v", s, b, err)
			}
		}
		if b, err := parseBig(s); err == nil && (b.Sign() < 0 || b.BitLen() > 256) {
			t.Fatalf("parseBig(%q) = %v out of range", s, b)
		}
		if b, err := parseHexBytes(s); err == nil && 2+2*len(b) != len(s) {
			t.Fatalf("parseHexBytes(%q) has %d bytes", s, len(b))
		}
		if h, err := parseHash(s); err == nil && !strings.EqualFold(h.Hex(), s) {
			t.Fatalf("parseHash(%q) = %s", s, h.Hex())
		}
		if a, err := parseAddress(s); err == nil && !strings.EqualFold(a.Hex(), s) {
			t.Fatalf("parseAddress(%q) = %s", s, a.Hex())
		}
		_, _ = parseSlot(s)
		if tag, err := parseBlockTag(s); err == nil && tag.kind == tagNumber {
			if v, err := parseUint64(s); err != nil || v != tag.number {
				t.Fatalf("parseBlockTag(%q) = %d", s, tag.number)
			}
		}
	})
}

func FuzzStructParams(f *testing.F) {
	hash := `"0x` + strings.Repeat("ab", 32) + `"`
	addr := `"` + tokenAddr.Hex() + `"`
	for _, s := range []string{
		`{"to":` + addr + `,"input":"0x01","gas":"0x10","value":"0x0"}`,
		`{"from":` + addr + `,"to":null,"data":"0x","accessList":[{"address":` + addr + `,"storageKeys":[` + hash + `]}]}`,
		`{"fromBlock":"earliest","toBlock":"latest","address":` + addr + `,"topics":[` + hash + `,[` + hash + `],null]}`,
		`{"blockHash":` + hash + `}`, `{"blockNumber":"0x1"}`, hash, `"pending"`, `[]`, `{"topics":[[[]]]}`, `{"address":[1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return // the envelope parser rejects it before any decoder runs
		}
		_, _ = parseCallArgs(raw, testChainID)
		_, _ = parseStateRef(raw)
		q, err := parseLogQuery(raw)
		if err != nil {
			return
		}
		if len(q.topics) > maxTopics || len(q.addresses) > maxAddresses {
			t.Fatalf("limits not enforced: %d topics, %d addresses", len(q.topics), len(q.addresses))
		}
		if q.blockHash != nil && (q.from != nil || q.to != nil) {
			t.Fatal("blockHash with a range accepted")
		}
		// Matching never panics, whatever the shapes.
		q.matches(tokenAddr, []common.Hash{transferTopic})
		q.matches(common.Address{}, nil)
		q.inRange(0)
		q.inRange(^uint64(0))
	})
}
