package network

import (
	"sync"
	"sync/atomic"
	"time"
)

// A connection this node stops using is drained rather than cut: when a
// connection is replaced by another to the same node (handOff), or refused
// as the duplicate of one kept (register), this side writes its last
// frames and a bye (a control message), and goes on reading until the
// peer's bye or the end of the connection, for at most drainTimeout. What
// the peer wrote on it before it learned of the switch is so delivered,
// not lost with the connection. The side that reads a bye on a connection
// still in use stops writing there (its buffered frames go out first, its
// queue waits for the replacement), answers with its own bye and closes
// it. Handlers of one peer still run one at a time (link.dmu); a connection
// that replaced another starts reading once that one has drained, and the
// frames of a connection wait while another to the same node is in
// set-up (link.settle), so the peer's frames are handled in the order it
// sent them. A peer of an older version ignores the bye (an unknown
// control message) and closes the connection when it replaces it; the
// drain then ends at that close.

const (
	// drainTimeout bounds how long a drained connection is read.
	drainTimeout = 2 * time.Second
	// drainWriteTimeout bounds the writes of a connection being given up:
	// its buffered frames and its bye.
	drainWriteTimeout = 500 * time.Millisecond
)

// link is what the connections to one node share.
type link struct {
	// dmu serialises the node's handlers: they run one at a time, also
	// while a replaced connection drains.
	dmu sync.Mutex
	// pending, guarded by Host.mu, counts the connections to the node past
	// their TLS handshake and not yet registered or failed; settled, made
	// when it leaves 0 and closed when it returns to 0, and busy
	// (pending > 0) let readers wait for them (settle).
	pending int
	settled chan struct{}
	busy    atomic.Bool
}

// linkOf is the link of id.
func (h *Host) linkOf(id NodeID) *link {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.linkLocked(id)
}

func (h *Host) linkLocked(id NodeID) *link {
	l := h.links[id]
	if l == nil {
		l = new(link)
		h.links[id] = l
	}
	return l
}

// settle waits, before a frame is handled, while another connection to the
// node is in set-up: the peer may have written on that one first (it may
// be refused here as a duplicate, and drained, drainRefused), and its
// frames come first. Set-ups are bounded by HandshakeTimeout.
func (l *link) settle(h *Host) {
	if !l.busy.Load() {
		return
	}
	h.mu.Lock()
	ch := l.settled
	wait := l.pending > 0
	h.mu.Unlock()
	if !wait {
		return
	}
	select {
	case <-ch:
	case <-h.ctx.Done():
	}
}

// sendBye writes the bye, p's last frame; p's writer must have stopped
// (or never started).
func (p *peer) sendBye() {
	p.byeOnce.Do(func() {
		f, err := EncodeFrame(Message{Module: ModuleHello, Payload: encodeBye()}, MinMaxFrameSize)
		if err != nil {
			return
		}
		_ = p.conn.SetWriteDeadline(time.Now().Add(drainWriteTimeout))
		_, _ = p.conn.Write(f) // a connection already broken has nothing to drain
	})
}

// beginDrain ends this side's writing on p with a bye and bounds how long
// its reader goes on. p's writer must have stopped (or never started).
func (p *peer) beginDrain() {
	p.h.mu.Lock()
	if p.h.closed {
		p.h.mu.Unlock()
		p.closeConn(0)
		return
	}
	if !p.readerExited {
		p.h.drains[p] = struct{}{}
	}
	p.h.mu.Unlock()
	p.draining.Store(true)
	p.sendBye()
	_ = p.conn.SetReadDeadline(time.Now().Add(drainTimeout))
}

// endDrain forgets p, whose reader has exited.
func (h *Host) endDrain(p *peer) {
	h.mu.Lock()
	p.readerExited = true
	delete(h.drains, p)
	h.mu.Unlock()
}

// onBye handles the peer's bye on p's reader: nothing more comes on p.
// Unless this side is draining p already, p is still in use here: its
// writer puts out what it buffered and stops (sends to p from now on
// wait in its queue for a replacement, handOff), and the bye is answered.
func (p *peer) onBye() {
	if p.draining.Load() {
		return
	}
	if p.stopWriter() {
		p.sendBye()
	}
}

// drainRefused drains p, a connection refused as a duplicate that the
// peer may have started to use; p is not registered and has no writer.
// It runs before p's set-up ends (endPending): the dispatch lock it takes
// here, before the node's other readers stop waiting, is held by p's
// reader until the drain ends.
func (h *Host) drainRefused(p *peer) {
	p.link.dmu.Lock()
	p.holdsDispatch = true
	h.wg.Add(1)
	p.beginDrain()
	go p.readLoop()
}
