package explorer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gorilla/websocket"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/rpc"
)

// waitHead waits for a head above after on c.
func waitHead(t *testing.T, c chan Head, after uint64) Head {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case h := <-c:
			if h.Number > after {
				return h
			}
		case <-timeout:
			t.Fatalf("no head above %d", after)
		}
	}
}

func startWatcher(t *testing.T, url string, h *hub) {
	t.Helper()
	ws, err := wsURL(url)
	if err != nil {
		t.Fatal(err)
	}
	w := &headWatcher{url: ws, rpc: &rpcClient{url: url, http: http.DefaultClient}, hub: h, log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// A node without WebSocket: the watcher polls the head while it retries.
func TestHeadWatcherPollsWithoutSubscription(t *testing.T) {
	var n atomic.Uint64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "no WebSocket here", http.StatusBadRequest)
			return
		}
		k := n.Add(1)
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":1,"result":{"number":"0x%x","hash":"0x%064x","timestamp":"0x1"}}`, k, k)
	}))
	defer srv.Close()
	h := newHub(2)
	c, _, err := h.join()
	if err != nil {
		t.Fatal(err)
	}
	startWatcher(t, srv.URL, h)
	first := waitHead(t, c, 0)
	second := waitHead(t, c, first.Number)
	if second.Hash == first.Hash {
		t.Fatalf("heads %+v %+v", first, second)
	}
	if h.isLive() {
		t.Fatal("live without a subscription")
	}
}

// A node with WebSocket: heads come from the subscription; when the
// connection drops, the watcher subscribes again.
func TestHeadWatcherResubscribes(t *testing.T) {
	var conns atomic.Int32
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost { // the poll after subscribing
			fmt.Fprint(w, `{"jsonrpc":"2.0","id":1,"result":{"number":"0x1","hash":"0x01","timestamp":"0x1"}}`)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		k := conns.Add(1)
		var req struct {
			ID     uint64 `json:"id"`
			Method string `json:"method"`
			Params []any  `json:"params"`
		}
		if c.ReadJSON(&req) != nil || req.Method != "eth_subscribe" || len(req.Params) != 1 || req.Params[0] != "newHeads" {
			return
		}
		c.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": "0xabc"})
		// Two heads a connection, then drop it.
		for i := range uint64(2) {
			num := 10*uint64(k) + i
			c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(
				`{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0xabc","result":{"number":"0x%x","hash":"0x%064x","timestamp":"0x2"}}}`, num, num)))
		}
	}))
	defer srv.Close()
	h := newHub(2)
	c, _, err := h.join()
	if err != nil {
		t.Fatal(err)
	}
	startWatcher(t, srv.URL, h)
	// Heads of the second connection (20, 21) prove the reconnect.
	if hd := waitHead(t, c, 19); hd.Number < 20 {
		t.Fatalf("head %+v", hd)
	}
	if conns.Load() < 2 {
		t.Fatalf("%d connections", conns.Load())
	}
}

func TestHubBounds(t *testing.T) {
	h := newHub(1)
	c, last, err := h.join()
	if err != nil || last != nil {
		t.Fatal(err, last)
	}
	if _, _, err := h.join(); err == nil || !strings.Contains(err.Error(), "too many") {
		t.Fatalf("second client: %v", err)
	}
	// A slow client keeps only the latest head; older ones are dropped.
	h.publish(Head{Number: 5})
	h.publish(Head{Number: 6})
	h.publish(Head{Number: 4})
	if hd := <-c; hd.Number != 6 {
		t.Fatalf("head %d, want 6", hd.Number)
	}
	h.leave(c)
	c, last, err = h.join()
	if err != nil || last == nil || last.Number != 6 {
		t.Fatalf("rejoin: %v %v", last, err)
	}
	h.close()
	select {
	case <-h.done:
	default:
		t.Fatal("close did not end the streams")
	}
	h.leave(c)
	if _, _, err := h.join(); err == nil {
		t.Fatal("joined a closed hub")
	}
}

func TestWSURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8545":      "ws://127.0.0.1:8545",
		"https://node.example/rpc?x": "wss://node.example/rpc?x",
	} {
		if got, err := wsURL(in); err != nil || got != want {
			t.Errorf("%s: %s %v", in, got, err)
		}
	}
	if _, err := wsURL("ftp://x"); err == nil {
		t.Error("ftp accepted")
	}
}

// Every proposal kind's payload is summed up, from the Committee ABI.
func TestDescribeProposals(t *testing.T) {
	s, err := New(Config{Endpoints: []Endpoint{{URL: "http://127.0.0.1:1"}}})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := precompiled.ABI(precompiled.CommitteeAddress)
	acct := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	other := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	node := []byte{4, 1, 2}
	for _, c := range []struct {
		kind string
		args []any
		want string
	}{
		{"config", []any{"tx_count_limit", "500"}, "config tx_count_limit = 500"},
		{"node", []any{uint8(1), node, uint64(2)}, "add sealer 0x040102 (weight 2)"},
		{"node", []any{uint8(2), node, uint64(0)}, "add observer 0x040102"},
		{"node", []any{uint8(3), node, uint64(0)}, "remove node 0x040102"},
		{"node", []any{uint8(4), node, uint64(3)}, "set the weight of sealer 0x040102 to 3"},
		{"role", []any{acct, uint8(precompiled.RoleRegulator), true}, "grant regulator to " + acct.Hex()},
		{"role", []any{acct, uint8(precompiled.RoleOperator), false}, "revoke operator from " + acct.Hex()},
		{"governor", []any{acct, uint64(0)}, "remove governor " + acct.Hex()},
		{"governor", []any{acct, uint64(2)}, "governor " + acct.Hex() + " with weight 2"},
		{"freeze", []any{acct, precompiled.FreezeAccount}, "freeze account " + acct.Hex()},
		{"freeze", []any{acct, precompiled.AbolishContract}, "abolish contract " + acct.Hex()},
		{"upgrade", []any{"1.2.3"}, "upgrade compatibility_version to 1.2.3"},
		{"thresholds", []any{uint8(60), uint8(70)}, "thresholds: participation 60%, approval 70%"},
		{"deployMode", []any{true}, "deploy allow-list on"},
		{"resetAdmin", []any{acct, other}, "set the admin of contract " + acct.Hex() + " to " + other.Hex()},
	} {
		m := a.Methods[proposalKinds[c.kind]]
		payload, err := m.Inputs[:len(m.Inputs)-1].Pack(c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		p := ProposalView{Proposal: rpc.Proposal{Kind: c.kind, Payload: payload}}
		s.describe(&p)
		if p.Summary != c.want || len(p.Args) != len(c.args) {
			t.Errorf("%s: %q %+v, want %q", c.kind, p.Summary, p.Args, c.want)
		}
	}
	// A payload that does not decode, an unknown kind: said so, no panic.
	p := ProposalView{Proposal: rpc.Proposal{Kind: "config", Payload: []byte{1, 2, 3}}}
	s.describe(&p)
	if !strings.Contains(p.Summary, "does not decode") {
		t.Errorf("bad payload: %q", p.Summary)
	}
	p = ProposalView{Proposal: rpc.Proposal{Kind: "kind42", Payload: []byte{1}}}
	s.describe(&p)
	if p.Summary != "kind42 (payload 0x01)" {
		t.Errorf("unknown kind: %q", p.Summary)
	}
	if b, _ := json.Marshal(p); !strings.Contains(string(b), `"summary"`) {
		t.Errorf("json: %s", b)
	}
}
