package rpc

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/gorilla/websocket"
)

type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	next int
}

func dialWS(t *testing.T, e *testEnv, header http.Header) *wsClient {
	t.Helper()
	srv := httptest.NewServer(e.s.Handler())
	t.Cleanup(srv.Close)
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), header)
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, code)
	}
	t.Cleanup(func() { conn.Close() })
	return &wsClient{t: t, conn: conn}
}

// read returns the next message. The deadline only keeps a broken test
// from hanging; nothing here depends on timing.
func (c *wsClient) read() map[string]json.RawMessage {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, data, err := c.conn.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Fatalf("message %q: %v", data, err)
	}
	return m
}

func (c *wsClient) send(method string, params ...any) int {
	c.t.Helper()
	c.next++
	if params == nil {
		params = []any{}
	}
	if err := c.conn.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": c.next, "method": method, "params": params}); err != nil {
		c.t.Fatal(err)
	}
	return c.next
}

// call sends a request and reads its answer (no notification may come first).
func (c *wsClient) call(method string, params ...any) rpcResp {
	c.t.Helper()
	id := c.send(method, params...)
	m := c.read()
	var r rpcResp
	raw, _ := json.Marshal(m)
	_ = json.Unmarshal(raw, &r)
	if string(r.ID) != itoa(id) {
		c.t.Fatalf("%s: answer for id %s, want %d: %s", method, r.ID, id, raw)
	}
	return r
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func (c *wsClient) subscribe(params ...any) string {
	c.t.Helper()
	r := c.call("eth_subscribe", params...)
	if r.Error != nil {
		c.t.Fatalf("eth_subscribe%v: %s", params, r.Error.Message)
	}
	return decode[string](c.t, r.Result)
}

// notification reads the next message, which must be a notification.
func (c *wsClient) notification() (string, json.RawMessage) {
	c.t.Helper()
	m := c.read()
	if string(m["method"]) != `"eth_subscription"` {
		c.t.Fatalf("want a notification, got %v", m)
	}
	var p subscriptionParams
	if err := json.Unmarshal(m["params"], &p); err != nil {
		c.t.Fatal(err)
	}
	return p.Subscription, p.Result
}

func TestWebSocketRequests(t *testing.T) {
	e := newTestEnv(t, Config{})
	c := dialWS(t, e, nil)
	if r := c.call("eth_chainId"); string(r.Result) != `"0x4ee8"` {
		t.Fatalf("eth_chainId over ws: %+v", r)
	}
	// Batches work over WebSocket too.
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(`[{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"},{"jsonrpc":"2.0","id":2,"method":"nope"}]`)); err != nil {
		t.Fatal(err)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, data, err := c.conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var rs []rpcResp
	if err := json.Unmarshal(data, &rs); err != nil || len(rs) != 2 || string(rs[0].Result) != `"0x1"` || rs[1].Error.Code != CodeMethodNotFound {
		t.Fatalf("batch over ws: %s", data)
	}
	if r := c.call("eth_subscribe", "syncing"); r.Error == nil || r.Error.Code != CodeInvalidParams || !strings.Contains(r.Error.Message, "supported: newHeads, logs, newPendingTransactions") {
		t.Fatalf("unknown subscription: %+v", r.Error)
	}
	if r := c.call("eth_unsubscribe", "0x1234"); r.Error == nil || !strings.Contains(r.Error.Message, "subscription not found") {
		t.Fatalf("unknown unsubscribe: %+v", r)
	}
}

func TestSubscribeOverHTTP(t *testing.T) {
	e := newTestEnv(t, Config{})
	e.fails(CodeMethodNotFound, []string{"notifications not supported", "WebSocket"}, "eth_subscribe", "newHeads")
	e.fails(CodeMethodNotFound, []string{"notifications not supported"}, "eth_unsubscribe", "0x1")
}

func TestNewHeadsSubscription(t *testing.T) {
	e := newTestEnv(t, Config{})
	c := dialWS(t, e, nil)
	id := c.subscribe("newHeads")
	b2 := e.f.mine()
	b3 := e.f.mine()
	for _, b := range []struct {
		num  string
		hash common.Hash
	}{{"0x2", b2.Header.Hash(e.f.suite)}, {"0x3", b3.Header.Hash(e.f.suite)}} {
		sub, res := c.notification()
		h := decode[map[string]any](t, res)
		if sub != id || h["number"] != b.num || h["hash"] != b.hash.Hex() || h["parentHash"] == nil || h["transactions"] != nil {
			t.Fatalf("newHeads %s: %s", sub, res)
		}
	}
	// After eth_unsubscribe nothing more arrives for id: the next message
	// is the notification of a second subscription.
	if r := c.call("eth_unsubscribe", id); string(r.Result) != "true" {
		t.Fatalf("unsubscribe: %+v", r)
	}
	id2 := c.subscribe("newHeads")
	e.f.mine()
	if sub, _ := c.notification(); sub != id2 {
		t.Fatalf("notification for %s after unsubscribe", sub)
	}
}

func TestLogsSubscription(t *testing.T) {
	e := newTestEnv(t, Config{})
	c := dialWS(t, e, nil)
	all := c.subscribe("logs")
	token := c.subscribe("logs", map[string]any{"address": tokenAddr.Hex(), "topics": []any{transferTopic.Hex()}})
	c.subscribe("logs", map[string]any{"address": common.Address{9}.Hex()}) // matches nothing
	if r := c.call("eth_subscribe", "logs", map[string]any{"blockHash": common.Hash{1}.Hex()}); r.Error == nil || r.Error.Code != CodeInvalidParams {
		t.Fatalf("blockHash subscription: %+v", r)
	}
	other := e.alice.legacy(&otherAddr, 0, nil)
	tok := e.alice.legacy(&tokenAddr, 4, nil)
	e.ok("eth_sendRawTransaction", hexutil.Encode(other.Bytes()))
	e.ok("eth_sendRawTransaction", hexutil.Encode(tok.Bytes()))
	e.f.mine()
	got := map[string][]string{}
	for i := 0; i < 3; i++ { // two logs for "all", one for "token"
		sub, res := c.notification()
		l := decode[map[string]any](t, res)
		if l["blockNumber"] != "0x2" || l["removed"] != false || l["blockTimestamp"] == nil {
			t.Fatalf("log %s", res)
		}
		got[sub] = append(got[sub], l["transactionHash"].(string))
	}
	if len(got[all]) != 2 || got[all][0] != other.Hash().Hex() || got[all][1] != tok.Hash().Hex() {
		t.Fatalf("all logs: %v", got[all])
	}
	if len(got[token]) != 1 || got[token][0] != tok.Hash().Hex() {
		t.Fatalf("token logs: %v", got[token])
	}
	// Nothing arrived for "none": the next message answers a request.
	if r := c.call("eth_blockNumber"); string(r.Result) != `"0x2"` {
		t.Fatalf("unexpected message %+v", r)
	}
}

func TestPendingTxSubscription(t *testing.T) {
	e := newTestEnv(t, Config{})
	c := dialWS(t, e, nil)
	id := c.subscribe("newPendingTransactions")
	tx := e.alice.legacy(&otherAddr, 0, nil)
	e.ok("eth_sendRawTransaction", hexutil.Encode(tx.Bytes()))
	sub, res := c.notification()
	if sub != id || decode[common.Hash](t, res) != tx.Hash() {
		t.Fatalf("pending notification %s %s", sub, res)
	}
}

func TestSubscriptionLimit(t *testing.T) {
	e := newTestEnv(t, Config{MaxSubscriptionsPerConn: 2})
	c := dialWS(t, e, nil)
	c.subscribe("newHeads")
	c.subscribe("newHeads")
	if r := c.call("eth_subscribe", "newHeads"); r.Error == nil || r.Error.Code != CodeLimitExceeded {
		t.Fatalf("third subscription: %+v", r)
	}
}

func TestWebSocketMessageLimit(t *testing.T) {
	e := newTestEnv(t, Config{MaxWSMessageBytes: 1024})
	c := dialWS(t, e, nil)
	big := `{"jsonrpc":"2.0","id":1,"method":"web3_sha3","params":["0x` + strings.Repeat("00", 1024) + `"]}`
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
		t.Fatal(err)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, _, err := c.conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("want close 1009, got %v", err)
	}
}

func TestWebSocketOrigin(t *testing.T) {
	e := newTestEnv(t, Config{CORSOrigins: []string{"https://good.example"}})
	srv := httptest.NewServer(e.s.Handler())
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	_, resp, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bad origin accepted: %v", err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"https://good.example"}})
	if err != nil {
		t.Fatalf("good origin refused: %v", err)
	}
	conn.Close()
}

func TestShutdownClosesWebSockets(t *testing.T) {
	e := newTestEnv(t, Config{})
	c := dialWS(t, e, nil)
	c.subscribe("newHeads")
	if err := e.s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, _, err := c.conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("want close 1001, got %v", err)
	}
	e.s.hub.mu.Lock()
	n := len(e.s.hub.subs)
	e.s.hub.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d subscriptions left after shutdown", n)
	}
	e.fails(CodeServer, []string{"shut down"}, "eth_chainId")
}
