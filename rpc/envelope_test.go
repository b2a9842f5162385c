package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

// successResponse must frame a result exactly as json.Marshal of the
// envelope does, byte for byte.
func TestSuccessResponseMatchesMarshal(t *testing.T) {
	ids := []string{`1`, `-12.5e3`, `"abc"`, `"<a&b>"`, `"\u00e9\n"`, `null`, `"é"`}
	results := []any{nil, "0xab", 7, []string{"<x>", "&"}, map[string]any{"a": []int{1, 2}, "b": nil}, json.RawMessage(`{ "k" : [1, 2] }`)}
	for _, id := range ids {
		for _, r := range results {
			res, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(&jsonResponse{Version: "2.0", ID: json.RawMessage(id), Result: res})
			if err != nil {
				t.Fatal(err)
			}
			if got := successResponse(json.RawMessage(id), res); !bytes.Equal(got, want) {
				t.Errorf("id %s result %v:\n got %s\nwant %s", id, r, got, want)
			}
		}
	}
}

// jsonString's fast path gives what json.Unmarshal gives, and leaves
// everything but plain strings to it.
func TestJSONStringFastPathMatchesUnmarshal(t *testing.T) {
	plain := []string{`""`, `"eth_sendRawTransaction"`, `"0xf86b80"`, `"2.0"`, `"a b~{}"`}
	other := []string{`"a\"b"`, `"a\\b"`, `"\u0041"`, `"é"`, "\"a\tb\"", `"a" "b"`, `"a`, `a"`, `"`, ` "a"`, `1`, `null`, `["a"]`, `"a"b"`}
	for _, raw := range append(plain, other...) {
		got, ok := plainJSONString(json.RawMessage(raw))
		var want string
		werr := json.Unmarshal([]byte(raw), &want)
		if ok && (werr != nil || got != want) {
			t.Errorf("%s: fast path %q, Unmarshal %q %v", raw, got, want, werr)
		}
		isPlain := false
		for _, p := range plain {
			isPlain = isPlain || p == raw
		}
		if ok != isPlain {
			t.Errorf("%s: fast path taken %v, want %v", raw, ok, isPlain)
		}
		s, err := jsonString(json.RawMessage(raw))
		if werr == nil && jsonKind(json.RawMessage(raw)) == "a string" && (err != nil || s != want) {
			t.Errorf("%s: jsonString %q %v, want %q", raw, s, err, want)
		}
	}
}

// A block announced by a commit event is served without reading it from
// the backend again; older ones still are.
func TestRecentBlocksFromCommitEvents(t *testing.T) {
	e := newTestEnv(t, Config{})
	reads := func() int {
		e.f.mu.Lock()
		defer e.f.mu.Unlock()
		return e.f.reads
	}
	before := reads()
	e.ok("eth_getBlockReceipts", "0x1") // committed before the server started
	if reads() == before {
		t.Fatal("block 1 was not read from the backend")
	}
	b := e.f.mine()
	n := b.Header.Number
	deadline := time.Now().Add(time.Minute)
	for {
		if _, ok := e.s.blockCache.get(n); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the commit event never reached the block cache")
		}
		time.Sleep(time.Millisecond)
	}
	before = reads()
	byNumber := e.ok("eth_getBlockByNumber", hexutil.Uint64(n).String(), true)
	e.ok("eth_getBlockReceipts", hexutil.Uint64(n).String())
	if reads() != before {
		t.Fatalf("block %d read from the backend %d times, want 0", n, reads()-before)
	}
	if byHash := e.ok("eth_getBlockByHash", b.Header.Hash(e.f.suite).Hex(), true); string(byHash) != string(byNumber) {
		t.Fatalf("cached block differs from the stored one:\n%s\n%s", byNumber, byHash)
	}
}

// The receipts of a block announced by a commit event are kept as they
// came, and turned into receipt objects only when a client asks for them
// (most nodes of a chain are never asked); what they give then is what a
// server reading them from the backend gives.
func TestCommittedReceiptsBuiltWhenAsked(t *testing.T) {
	e := newTestEnv(t, Config{})
	e.ok("eth_sendRawTransaction", hexutil.Encode(e.alice.legacy(&tokenAddr, 3, nil).Bytes()))
	e.ok("eth_sendRawTransaction", hexutil.Encode(e.alice.dynamic(&otherAddr, 4).Bytes()))
	b := e.f.mine()
	if len(b.Txs) != 2 {
		t.Fatalf("mined %d txs, want 2", len(b.Txs))
	}
	hash := b.Header.Hash(e.f.suite)
	var cached *lazyReceipts
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if l, ok := e.s.receiptCache.get(hash); ok {
			cached = l
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the commit event never reached the receipt cache")
		}
	}
	if cached.out != nil {
		t.Fatal("receipt objects built at commit, before anyone asked")
	}
	got := e.ok("eth_getBlockReceipts", b.Header.Hash(e.f.suite).Hex())
	if cached.out == nil {
		t.Fatal("the cached receipts were not used")
	}
	other := NewServer(e.f, Config{}, nil)
	defer other.Shutdown(context.Background())
	w := post(t, other.Handler(), fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"eth_getBlockReceipts","params":[%q]}`, hash.Hex()))
	var r rpcResp
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || r.Error != nil {
		t.Fatalf("reading server: %s %v", w.Body.String(), err)
	}
	if string(got) != string(r.Result) {
		t.Fatalf("receipts built from the commit event differ from those read from the backend:\n%s\n%s", got, r.Result)
	}
}

// An answer written piece by piece (HTTP) is the one joined in a slice
// (WebSocket), of the size it reports.
func TestAnswerWrittenAsJoined(t *testing.T) {
	for _, a := range []answer{
		{one: []byte(`{"jsonrpc":"2.0","id":1,"result":"0x1"}`)},
		{batch: [][]byte{[]byte(`{"a":1}`)}},
		{batch: [][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`), []byte(`{"c":[3]}`)}},
	} {
		var w bytes.Buffer
		if err := a.writeTo(&w); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(w.Bytes(), a.bytes()) || len(a.bytes()) != a.size() || !json.Valid(w.Bytes()) || a.empty() {
			t.Fatalf("written %s, joined %s, size %d", w.Bytes(), a.bytes(), a.size())
		}
	}
	if !(answer{}).empty() || (answer{}).size() != 0 {
		t.Fatal("an answer with nothing to send is not empty")
	}
}
