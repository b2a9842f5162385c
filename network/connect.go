package network

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"
)

func (h *Host) acceptLoop(ln net.Listener) {
	defer h.wg.Done()
	for {
		raw, err := ln.Accept()
		if err != nil {
			if h.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			h.log.Warn("accept failed", "err", err)
			if !h.sleep(50 * time.Millisecond) {
				return
			}
			continue
		}
		select {
		case h.sem <- struct{}{}:
		default:
			h.stats.busy.Add(1)
			raw.Close()
			continue
		}
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			defer func() { <-h.sem }()
			if _, err := h.setup(raw, false, ""); err != nil {
				h.log.Debug("inbound connection not kept", "remote", raw.RemoteAddr().String(), "err", err)
			}
		}()
	}
}

// dialLoop keeps addr connected: it dials, and after a failure or a
// disconnection waits an exponentially growing, jittered delay.
func (h *Host) dialLoop(addr string) {
	defer h.wg.Done()
	bo := backoff{min: h.cfg.BackoffMin, max: h.cfg.BackoffMax, random: h.cfg.Random}
	for h.ctx.Err() == nil {
		if p := h.peerForAddr(addr); p != nil {
			select {
			case <-p.done:
			case <-h.ctx.Done():
				return
			}
			if !h.sleep(bo.next()) {
				return
			}
			continue
		}
		_, err := h.dial(addr)
		switch {
		case err == nil || errors.Is(err, ErrDuplicate):
			bo.reset()
			continue
		case errors.Is(err, ErrSelfConnection):
			h.log.Warn("not dialing own address", "addr", addr)
			return
		case h.ctx.Err() != nil:
			return
		}
		d := bo.next()
		if ReasonOf(err) != "" || errors.Is(err, ErrHandshake) || errors.Is(err, ErrProtocol) {
			h.log.Warn("peer connection refused", "addr", addr, "retry_in", d, "err", err)
		} else {
			h.log.Debug("dial failed", "addr", addr, "retry_in", d, "err", err)
		}
		if !h.sleep(d) {
			return
		}
	}
}

func (h *Host) peerForAddr(addr string) *peer {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, ok := h.addrIDs[addr]
	if !ok {
		return nil
	}
	return h.peers[id]
}

func (h *Host) dial(addr string) (*peer, error) {
	d := net.Dialer{Timeout: h.cfg.DialTimeout}
	raw, err := d.DialContext(h.ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return h.setup(raw, true, addr)
}

// setup secures raw, exchanges hellos and registers the peer. The whole
// set-up is bounded by HandshakeTimeout and aborted when the host closes.
func (h *Host) setup(raw net.Conn, outbound bool, addr string) (*peer, error) {
	ctx, cancel := context.WithTimeout(h.ctx, h.cfg.HandshakeTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	p, err := h.secure(ctx, raw, outbound, addr)
	if p != nil {
		defer h.endPending(p.id) // begun by secure
	}
	if !stop() && err == nil {
		// The deadline or Close fired while finishing: the conn is closed.
		err = fmt.Errorf("%w: %v", ErrHandshake, ctx.Err())
	}
	if err != nil {
		if !errors.Is(err, ErrDuplicate) && !errors.Is(err, ErrClosed) {
			h.stats.handshakeFailed.Add(1)
		}
		return nil, err
	}
	if h.cfg.beforeRegister != nil {
		h.cfg.beforeRegister(p)
	}
	return p, h.register(p)
}

func (h *Host) secure(ctx context.Context, raw net.Conn, outbound bool, addr string) (*peer, error) {
	var sc *SecureConn
	var err error
	if outbound {
		sc, err = h.tr.Client(ctx, raw)
	} else {
		sc, err = h.tr.Server(ctx, raw)
	}
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*peer, error) {
		sc.Close()
		return nil, err
	}
	if sc.Peer.NodeID == h.id {
		if addr != "" {
			h.mu.Lock()
			h.addrIDs[addr] = h.id
			h.mu.Unlock()
		}
		return fail(ErrSelfConnection)
	}
	// From the hello on, the peer may register this connection and close
	// another one to this node in its favour: that one's end must not
	// unregister the peer before this one registers (unregister).
	h.beginPending(sc.Peer.NodeID)
	fail = func(err error) (*peer, error) {
		sc.Close()
		h.endPending(sc.Peer.NodeID)
		return nil, err
	}
	var nonce uint64
	if outbound {
		nonce = rand.Uint64() | 1
	}
	frame, err := EncodeFrame(Message{Module: ModuleHello, Payload: hello{Version: protocolVersion, Nonce: nonce}.encode()}, MinMaxFrameSize)
	if err != nil {
		return fail(err)
	}
	if _, err := sc.Write(frame); err != nil {
		return fail(fmt.Errorf("%w: sending hello: %v", ErrHandshake, err))
	}
	m, err := ReadFrame(sc, MinMaxFrameSize)
	if err != nil {
		// A TLS 1.3 client learns here that the server refused it.
		return fail(fmt.Errorf("%w: reading hello (refused by the peer?): %v", ErrHandshake, err))
	}
	if m.Module != ModuleHello {
		return fail(fmt.Errorf("%w: first message is %s, want hello", ErrProtocol, m.Module))
	}
	hl, err := decodeHello(m.Payload)
	if err != nil {
		return fail(err)
	}
	if !outbound {
		if hl.Nonce == 0 {
			return fail(fmt.Errorf("%w: dialer sent no connection nonce", ErrProtocol))
		}
		nonce = hl.Nonce
	}
	if addr != "" {
		h.mu.Lock()
		h.addrIDs[addr] = sc.Peer.NodeID
		h.mu.Unlock()
	}
	return newPeer(h, sc, outbound, nonce), nil
}

// dialer is the node that opened p's connection.
func (h *Host) dialer(p *peer) NodeID {
	if p.outbound {
		return h.id
	}
	return p.id
}

// prefer decides, identically on both ends, which of two connections
// between the same nodes survives: the one dialed by the smaller node id;
// between two dialed by the same node, the larger connection nonce.
func (h *Host) prefer(n, old *peer) bool {
	nd, od := h.dialer(n), h.dialer(old)
	if nd != od {
		low := h.id
		if n.id.Compare(h.id) < 0 {
			low = n.id
		}
		return nd == low
	}
	return n.nonce > old.nonce
}

func (h *Host) register(p *peer) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		p.conn.Close()
		return ErrClosed
	}
	old := h.peers[p.id]
	gone := old != nil && old.gone // ended: p replaces it whichever is preferred
	if old != nil && !gone && !h.prefer(p, old) {
		h.mu.Unlock()
		h.stats.duplicates.Add(1)
		h.drainRefused(p) // the peer may have begun to use it
		return ErrDuplicate
	}
	h.peers[p.id] = p
	h.mu.Unlock()
	if old != nil {
		if !gone {
			h.stats.duplicates.Add(1)
		}
		old.handOff(p) // its unsent frames go to p (handoff.go)
	}
	h.log.Info("peer connected", "peer", p.id.Short(), "name", p.conn.Peer.Name, "org", p.conn.Peer.Org,
		"remote", p.conn.RemoteAddr().String(), "outbound", p.outbound)
	p.start()
	return nil
}

// unregister removes p, whose connection ended, unless another
// connection to the same node is being set up: the peer may have closed
// p in favour of that one (both dialled; the one kept is chosen by
// prefer), and removing p would leave the node unconnected until that
// one registers. p then stays, marked gone, with what is sent to it
// queued; the replacement takes it over (register, handOff), and if the
// replacement fails p is removed then (endPending).
func (h *Host) unregister(p *peer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.peers[p.id] != p {
		return
	}
	if l := h.links[p.id]; l != nil && l.pending > 0 {
		p.gone = true
		return
	}
	delete(h.peers, p.id)
}

// beginPending notes a connection to id past its TLS handshake: until
// it registers or fails, the frames of id's other connections wait
// (link.settle).
func (h *Host) beginPending(id NodeID) {
	h.mu.Lock()
	l := h.linkLocked(id)
	if l.pending == 0 {
		l.settled = make(chan struct{})
		l.busy.Store(true)
	}
	l.pending++
	h.mu.Unlock()
}

// endPending notes that a connection to id registered or failed. With
// none left in set-up, a gone peer still registered for id is removed,
// and what was queued for it is counted as dropped.
func (h *Host) endPending(id NodeID) {
	h.mu.Lock()
	l := h.linkLocked(id)
	if l.pending--; l.pending > 0 {
		h.mu.Unlock()
		return
	}
	l.busy.Store(false)
	close(l.settled)
	p := h.peers[id]
	if p == nil || !p.gone {
		h.mu.Unlock()
		return
	}
	delete(h.peers, id)
	h.mu.Unlock()
	p.qmu.Lock()
	lost := len(drain(p.queue, nil))
	p.qmu.Unlock()
	if lost > 0 {
		p.dropped.Add(uint64(lost))
		h.stats.sendDropped.Add(uint64(lost))
	}
	h.log.Debug("connection ended, no replacement", "peer", id.Short(), "dropped", lost)
}
