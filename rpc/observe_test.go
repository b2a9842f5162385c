package rpc

import (
	"context"
	"sync"
	"testing"
	"time"
)

type observedCall struct {
	method string
	failed bool
}

type recordObserver struct {
	mu    sync.Mutex
	calls []observedCall
}

func (r *recordObserver) RPCCall(method string, took time.Duration, failed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if took < 0 {
		method = "negative duration"
	}
	r.calls = append(r.calls, observedCall{method, failed})
}

func TestCallObserver(t *testing.T) {
	s := NewServer(newFakeChain(t), Config{}, nil)
	defer s.Shutdown(context.Background())
	obs := &recordObserver{}
	s.SetCallObserver(obs)
	body := `[{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"},` +
		`{"jsonrpc":"2.0","id":2,"method":"eth_getBalance","params":["not an address","latest"]},` +
		`{"jsonrpc":"2.0","id":3,"method":"made_up_by_a_client"},` +
		`{"jsonrpc":"2.0","method":"eth_chainId"}]`
	if w := post(t, s.Handler(), body); w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	want := []observedCall{
		{"eth_blockNumber", false},
		{"eth_getBalance", true},
		{UnknownMethod, true},
		{"eth_chainId", false}, // notifications are counted too
	}
	if len(obs.calls) != len(want) {
		t.Fatalf("observed %+v, want %+v", obs.calls, want)
	}
	for i := range want {
		if obs.calls[i] != want[i] {
			t.Errorf("call %d: %+v, want %+v", i, obs.calls[i], want[i])
		}
	}
	// A request that is not a call (bad JSON) is not one.
	post(t, s.Handler(), `{"jsonrpc":`)
	if len(obs.calls) != len(want) {
		t.Errorf("a parse error was observed as a call: %+v", obs.calls)
	}
}
