package rpc

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// WebSocket connections: one reader, one writer, a bounded number of
// requests in flight, and a bounded send queue. A client that does not
// read its notifications fast enough is disconnected rather than letting
// the queue grow.

const (
	wsWriteWait  = 10 * time.Second
	wsPongWait   = 60 * time.Second
	wsPingPeriod = 30 * time.Second
	wsSendQueue  = 1024
)

type wsConn struct {
	s      *Server
	ws     *websocket.Conn
	send   chan []byte
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}
	once   sync.Once

	mu   sync.Mutex
	subs map[string]*subscription
}

func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if s.isClosed() {
		http.Error(w, ErrServerClosed.Error(), http.StatusServiceUnavailable)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil) // answers the client itself on failure
	if err != nil {
		s.log.Debug("websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &wsConn{
		s:      s,
		ws:     ws,
		send:   make(chan []byte, wsSendQueue),
		ctx:    ctx,
		cancel: cancel,
		sem:    make(chan struct{}, s.cfg.MaxConcurrentPerConn),
		subs:   make(map[string]*subscription),
	}
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		c.close(websocket.CloseGoingAway, "server shutting down")
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(2)
	s.mu.Unlock()
	go c.writeLoop()
	c.readLoop()
}

func (c *wsConn) readLoop() {
	defer c.s.wg.Done()
	defer c.close(websocket.CloseNormalClosure, "")
	c.ws.SetReadLimit(c.s.cfg.MaxWSMessageBytes)
	_ = c.ws.SetReadDeadline(time.Now().Add(wsPongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(wsPongWait))
	})
	for {
		// A message larger than the limit makes gorilla send close code
		// 1009 (message too big) and fail the read.
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(wsPongWait))
		select {
		case c.sem <- struct{}{}:
		case <-c.ctx.Done():
			return
		}
		c.s.wg.Add(1) // the reader holds one count, so this never races Wait at zero
		go c.handle(data)
	}
}

func (c *wsConn) handle(data []byte) {
	defer func() {
		if p := recover(); p != nil {
			c.s.log.Error("panic handling a websocket message", "panic", p)
		}
		<-c.sem
		c.s.wg.Done()
	}()
	ans, after := c.s.handleBody(c.ctx, data, c)
	if !ans.empty() && !c.enqueue(ans.bytes()) {
		return
	}
	for _, f := range after {
		f()
	}
}

func (c *wsConn) writeLoop() {
	defer c.s.wg.Done()
	t := time.NewTicker(wsPingPeriod)
	defer t.Stop()
	for {
		select {
		case msg := <-c.send:
			_ = c.ws.SetWriteDeadline(time.Now().Add(wsWriteWait))
			if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
				c.close(websocket.CloseAbnormalClosure, "")
				return
			}
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)); err != nil {
				c.close(websocket.CloseAbnormalClosure, "")
				return
			}
		case <-c.ctx.Done():
			return
		}
	}
}

// enqueue queues an answer, waiting for room; false if the connection closed.
func (c *wsConn) enqueue(msg []byte) bool {
	select {
	case c.send <- msg:
		return true
	case <-c.ctx.Done():
		return false
	}
}

type subscriptionParams struct {
	Subscription string          `json:"subscription"`
	Result       json.RawMessage `json:"result"`
}

// trySend queues a notification without waiting; a full queue means the
// client does not keep up, and it is disconnected.
func (c *wsConn) trySend(msg []byte) {
	select {
	case c.send <- msg:
	case <-c.ctx.Done():
	default:
		c.tooSlow()
	}
}

func (c *wsConn) tooSlow() {
	c.s.log.Info("closing a slow websocket client", "remote", c.ws.RemoteAddr().String())
	go c.close(websocket.ClosePolicyViolation, ErrClientTooSlow.Error())
}

// close ends the connection and its subscriptions; safe to call repeatedly.
func (c *wsConn) close(code int, reason string) {
	c.once.Do(func() {
		c.cancel()
		c.mu.Lock()
		subs := c.subs
		c.subs = nil
		c.mu.Unlock()
		for id := range subs {
			c.s.hub.remove(id)
		}
		if code != websocket.CloseAbnormalClosure {
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		}
		_ = c.ws.Close()
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	})
}

// addSub registers a subscription of this connection, within the limit.
func (c *wsConn) addSub(sub *subscription) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.subs == nil {
		return ErrServerClosed
	}
	if len(c.subs) >= c.s.cfg.MaxSubscriptionsPerConn {
		return limitExceeded("%v: the limit is %d; unsubscribe first", ErrSubscriptionLimit, c.s.cfg.MaxSubscriptionsPerConn)
	}
	c.subs[sub.id] = sub
	c.s.hub.add(sub)
	return nil
}

func (c *wsConn) removeSub(id string) bool {
	c.mu.Lock()
	_, ok := c.subs[id]
	delete(c.subs, id)
	c.mu.Unlock()
	if ok {
		c.s.hub.remove(id)
	}
	return ok
}
