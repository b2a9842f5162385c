package explorer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/gorilla/websocket"
)

// Head is a new block as the live stream reports it.
type Head struct {
	Number    uint64      `json:"number"`
	Hash      common.Hash `json:"hash"`
	Timestamp uint64      `json:"timestamp"`
}

// Timings of the head watcher.
const (
	headReadWait     = 90 * time.Second // the node pings every 30s
	headRetryMin     = 500 * time.Millisecond
	headRetryMax     = 10 * time.Second
	headPollFallback = 2 * time.Second // how often heads are polled while the subscription is down
	sseHeartbeat     = 15 * time.Second
)

// hub hands the latest head to the live-event (SSE) clients. Each client
// holds at most one undelivered head: a slow client skips heads, it never
// holds the others up.
type hub struct {
	max int

	mu      sync.Mutex
	clients map[chan Head]struct{}
	last    *Head
	live    bool // the node subscription is up
	closed  bool
	done    chan struct{} // closed by close: handlers return
}

func newHub(max int) *hub {
	return &hub{max: max, clients: map[chan Head]struct{}{}, done: make(chan struct{})}
}

// errTooManyClients is answered when the hub is full.
var errTooManyClients = fmt.Errorf("too many live-event clients")

func (h *hub) join() (chan Head, *Head, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, nil, fmt.Errorf("the explorer is stopping")
	}
	if len(h.clients) >= h.max {
		return nil, nil, fmt.Errorf("%w (at most %d)", errTooManyClients, h.max)
	}
	c := make(chan Head, 1)
	h.clients[c] = struct{}{}
	var last *Head
	if h.last != nil {
		l := *h.last
		last = &l
	}
	return c, last, nil
}

func (h *hub) leave(c chan Head) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// publish hands hd to every client, replacing a head it has not taken
// yet. Heads not above the last one are dropped.
func (h *hub) publish(hd Head) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last != nil && hd.Number <= h.last.Number {
		return
	}
	h.last = &hd
	for c := range h.clients {
		select {
		case <-c:
		default:
		}
		c <- hd
	}
}

func (h *hub) setLive(ok bool) {
	h.mu.Lock()
	h.live = ok
	h.mu.Unlock()
}

func (h *hub) isLive() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.live
}

// close ends every client's stream and refuses new ones.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}

// serveEvents is GET /api/events: a Server-Sent Events stream with a
// "head" event per new block (data: {"number","hash","timestamp"}), the
// latest head first, and a comment line every 15 seconds.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "streaming is not supported here"})
		return
	}
	c, last, err := s.hub.join()
	if err != nil {
		w.Header().Set("Retry-After", "10")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	defer s.hub.leave(c)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(hd Head) error {
		b, _ := json.Marshal(hd)
		_, err := fmt.Fprintf(w, "event: head\nid: %d\ndata: %s\n\n", hd.Number, b)
		fl.Flush()
		return err
	}
	// retry: how long the browser waits before reconnecting.
	fmt.Fprint(w, "retry: 3000\n\n")
	if last != nil {
		if send(*last) != nil {
			return
		}
	} else {
		fl.Flush()
	}
	beat := time.NewTicker(sseHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.hub.done:
			return
		case hd := <-c:
			if send(hd) != nil {
				return
			}
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

// wsURL turns a JSON-RPC HTTP URL into its WebSocket URL (the node serves
// both on one address).
func wsURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("JSON-RPC URL %q is not http(s)", raw)
	}
	return u.String(), nil
}

// headWatcher keeps a newHeads subscription to the primary node and
// publishes each head to the hub. When the subscription fails it polls
// eth_blockNumber while it retries, with a growing pause.
type headWatcher struct {
	url  string // ws:// URL
	rpc  *rpcClient
	hub  *hub
	log  *slog.Logger
	kick func() // called on every new head (wakes the tx-totals indexer)
}

func (w *headWatcher) run(ctx context.Context) {
	wait := headRetryMin
	for ctx.Err() == nil {
		got, err := w.follow(ctx)
		w.hub.setLive(false)
		if ctx.Err() != nil {
			return
		}
		if got {
			wait = headRetryMin
		}
		w.log.Debug("explorer head subscription ended; retrying", "url", w.url, "err", err, "in", wait)
		// Poll while waiting, so the stream keeps moving without the
		// subscription.
		until := time.Now().Add(wait)
		for ctx.Err() == nil && time.Now().Before(until) {
			w.poll(ctx)
			select {
			case <-ctx.Done():
				return
			case <-time.After(min(headPollFallback, time.Until(until)+time.Millisecond)):
			}
		}
		wait = min(2*wait, headRetryMax)
	}
}

// poll reads the head block over HTTP and publishes it.
func (w *headWatcher) poll(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var b struct {
		Number    hexutil.Uint64 `json:"number"`
		Hash      common.Hash    `json:"hash"`
		Timestamp hexutil.Uint64 `json:"timestamp"`
	}
	if err := w.rpc.call(cctx, &b, "eth_getBlockByNumber", "latest", false); err != nil {
		return
	}
	w.publish(Head{Number: uint64(b.Number), Hash: b.Hash, Timestamp: uint64(b.Timestamp)})
}

func (w *headWatcher) publish(hd Head) {
	w.hub.publish(hd)
	if w.kick != nil {
		w.kick()
	}
}

// follow subscribes and publishes heads until the connection fails or ctx
// ends. got tells whether the subscription was made.
func (w *headWatcher) follow(ctx context.Context) (got bool, err error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1 << 14, WriteBufferSize: 1 << 12}
	conn, _, err := d.DialContext(ctx, w.url, nil)
	if err != nil {
		return false, err
	}
	conn.SetReadLimit(1 << 20)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	extend := func() { _ = conn.SetReadDeadline(time.Now().Add(headReadWait)) }
	conn.SetPingHandler(func(data string) error {
		extend()
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
	})
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := conn.WriteJSON(rpcRequest{Version: "2.0", ID: 1, Method: "eth_subscribe", Params: []any{"newHeads"}}); err != nil {
		return false, err
	}
	extend()
	var msg struct {
		ID     *uint64         `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
		Method string `json:"method"`
		Params struct {
			Result struct {
				Number    hexutil.Uint64 `json:"number"`
				Hash      common.Hash    `json:"hash"`
				Timestamp hexutil.Uint64 `json:"timestamp"`
			} `json:"result"`
		} `json:"params"`
	}
	for {
		msg.ID, msg.Error, msg.Method = nil, nil, ""
		if err := conn.ReadJSON(&msg); err != nil {
			return got, err
		}
		extend()
		switch {
		case msg.ID != nil && *msg.ID == 1:
			if msg.Error != nil {
				return false, fmt.Errorf("eth_subscribe newHeads: %s", msg.Error.Message)
			}
			got = true
			w.hub.setLive(true)
			// Publish the head now: blocks may have come while we were away.
			w.poll(ctx)
		case msg.Method == "eth_subscription" && got:
			r := msg.Params.Result
			w.publish(Head{Number: uint64(r.Number), Hash: r.Hash, Timestamp: uint64(r.Timestamp)})
		}
	}
}
