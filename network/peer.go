package network

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// PeerInfo describes a connected peer.
type PeerInfo struct {
	Identity
	RemoteAddr  string
	Outbound    bool // this node dialed
	ConnectedAt time.Time
	QueueLen    int
	Sent        uint64 // frames written
	Received    uint64 // frames read (before rate limiting)
	Dropped     uint64 // outbound frames dropped on a full queue
	RateLimited uint64 // inbound frames dropped by the rate limit
	// GroupDropped counts inbound messages dropped because this peer is
	// not a member of their group (Config.GroupMembers).
	GroupDropped uint64
}

// peer is one admitted connection with its send queue and goroutines.
type peer struct {
	h        *Host
	conn     *SecureConn
	id       NodeID
	outbound bool
	nonce    uint64 // the dialer's connection nonce
	since    time.Time

	queue    chan []byte
	stopping chan struct{} // closed to stop the writer
	done     chan struct{} // closed once the reader has exited and the peer is unregistered (or gone)
	stopOnce sync.Once
	// gone, guarded by h.mu: the connection ended while another to the
	// same node was being set up; the peer stays registered, its sends
	// queued, until that one registers or fails (Host.unregister).
	gone bool
	// readerExited, guarded by h.mu: the reader is done (Host.endDrain).
	readerExited bool
	// link is shared by every connection to the node (drain.go).
	link *link
	// holdsDispatch: the reader starts holding link.dmu (drainRefused).
	holdsDispatch bool
	// after is the connection this one replaced: this one's reader starts
	// once that one has drained, so the peer's frames arrive in order.
	after *peer
	// draining: this side wrote its last frame, a bye; the reader goes
	// on until the peer's bye or the end of the connection (drain.go).
	draining atomic.Bool
	byeOnce  sync.Once

	// Hand-off to a connection replacing this one (handoff.go). qmu
	// orders enqueue (read-locked) against the hand-off (locked), after
	// which next receives what is sent here. replaced is set before the
	// stop; the writer then leaves the queue alone and keeps in held the
	// frames it took but never wrote, before closing writerDone.
	qmu        sync.RWMutex
	next       *peer
	replaced   atomic.Bool
	held       [][]byte
	writerDone chan struct{}

	msgs, bytes *tokenBucket // inbound limits; owned by the reader

	sent, received, dropped, rateLimited, groupDropped atomic.Uint64

	// groups caches this peer's group membership decisions (groups.go).
	groups atomic.Pointer[groupVerdicts]
	// Rate limit of the debug logs of group drops; owned by the reader.
	groupLogNext  time.Duration
	groupLogMuted uint64

	// Keepalive state, as durations since `since` (monotonic): when the
	// last bytes arrived and the last ping was queued.
	lastRecv, lastPing atomic.Int64
	pingSeq            atomic.Uint64
}

func newPeer(h *Host, sc *SecureConn, outbound bool, nonce uint64) *peer {
	return &peer{
		h: h, conn: sc, id: sc.Peer.NodeID, outbound: outbound, nonce: nonce, since: time.Now(),
		link:       h.linkOf(sc.Peer.NodeID),
		queue:      make(chan []byte, h.cfg.SendQueueSize),
		stopping:   make(chan struct{}),
		done:       make(chan struct{}),
		writerDone: make(chan struct{}),
		msgs:       newTokenBucket(h.cfg.RateLimit, h.cfg.RateBurst, h.cfg.Now),
		bytes:      newTokenBucket(h.cfg.ByteRateLimit, h.cfg.ByteBurst, h.cfg.Now),
	}
}

func (p *peer) info() PeerInfo {
	return PeerInfo{
		Identity: p.conn.Peer, RemoteAddr: p.conn.RemoteAddr().String(), Outbound: p.outbound,
		ConnectedAt: p.since, QueueLen: len(p.queue),
		Sent: p.sent.Load(), Received: p.received.Load(), Dropped: p.dropped.Load(), RateLimited: p.rateLimited.Load(),
		GroupDropped: p.groupDropped.Load(),
	}
}

// enqueue queues an encoded frame without blocking; on a replaced
// connection, on the one that replaced it.
func (p *peer) enqueue(frame []byte) error {
	p.qmu.RLock()
	if n := p.next; n != nil {
		p.qmu.RUnlock()
		return n.enqueue(frame)
	}
	defer p.qmu.RUnlock()
	select {
	case p.queue <- frame:
		return nil
	default:
		p.dropped.Add(1)
		p.h.stats.sendDropped.Add(1)
		return ErrQueueFull
	}
}

// isStopping reports whether stop was called.
func (p *peer) isStopping() bool {
	select {
	case <-p.stopping:
		return true
	default:
		return false
	}
}

// start launches the reader and writer.
func (p *peer) start() {
	p.h.wg.Add(2)
	go p.writeLoop()
	go p.readLoop()
}

// stop closes the peer. graceful lets the writer flush what is queued
// (bounded by the write timeout) before closing the connection.
func (p *peer) stop(graceful bool) {
	p.stopOnce.Do(func() {
		close(p.stopping)
		if !graceful {
			p.closeConn(0)
		}
	})
}

// closeConn closes the connection. The deadline bounds the close_notify
// alert the TLS stacks write: the GM stack sets none itself and would
// block on a peer that stopped reading.
func (p *peer) closeConn(grace time.Duration) {
	_ = p.conn.SetWriteDeadline(time.Now().Add(grace))
	p.conn.Close()
}

func (p *peer) writeLoop() {
	defer p.h.wg.Done()
	defer close(p.writerDone)
	w := bufio.NewWriterSize(p.conn, 64<<10)
	// buffered are the frames wholly in w's buffer, not yet on the
	// connection: a replacement moves them to the new one.
	var buffered [][]byte
	write := func(f []byte) bool {
		_ = p.conn.SetWriteDeadline(time.Now().Add(p.h.cfg.WriteTimeout))
		before := w.Buffered()
		if _, err := w.Write(f); err != nil {
			if p.replaced.Load() {
				// Cut off mid-write by the replacement: these may have
				// reached the old connection in part; counted as lost.
				p.lostInFlight(len(buffered) + 1)
			}
			return false
		}
		p.sent.Add(1)
		switch after := w.Buffered(); {
		case after == before+len(f): // all of f in the buffer, nothing flushed
			buffered = append(buffered, f)
		case after > 0: // the earlier frames went out, f in part
			buffered = append(buffered[:0], f)
		default:
			buffered = buffered[:0]
		}
		if len(p.queue) == 0 {
			if w.Flush() != nil {
				if p.replaced.Load() {
					p.lostInFlight(len(buffered))
				}
				return false
			}
			buffered = buffered[:0]
		}
		return true
	}
	// handOver ends this writer on a replaced connection: what is in w's
	// buffer is written here (the peer reads this connection to its end,
	// drain.go), and f, taken from the queue and not written, is kept for
	// the replacing connection.
	handOver := func(f []byte) {
		if w.Buffered() > 0 {
			_ = p.conn.SetWriteDeadline(time.Now().Add(drainWriteTimeout))
			if w.Flush() != nil {
				p.sent.Add(-uint64(len(buffered))) // counted as written, lost instead
				p.lostInFlight(len(buffered))
			}
		}
		if f != nil {
			p.held = append(p.held, f)
		}
	}
	for {
		select {
		case f := <-p.queue:
			if p.replaced.Load() {
				handOver(f)
				return
			}
			if !write(f) {
				if !p.replaced.Load() { // a replaced connection is still read to its end
					p.stop(false)
				}
				return
			}
		case <-p.stopping:
			if p.replaced.Load() {
				handOver(nil)
				return
			}
			// Flush what was queued before the stop, then close.
			for {
				select {
				case f := <-p.queue:
					if !write(f) {
						p.closeConn(0)
						return
					}
					continue
				default:
				}
				break
			}
			_ = w.Flush()
			p.closeConn(time.Second)
			return
		}
	}
}

func (p *peer) readLoop() {
	defer p.h.wg.Done()
	log := p.h.log.With("peer", p.id.Short(), "name", p.conn.Peer.Name)
	if a := p.after; a != nil {
		select { // the replaced connection's frames first
		case <-a.done:
		case <-p.h.ctx.Done():
		}
	}
	// A refused duplicate is drained from the start, holding the dispatch
	// lock its set-up took (drainRefused): what the peer wrote on it came
	// before what it writes on the kept connection, whose frames wait.
	hold := p.holdsDispatch
	r := bufio.NewReaderSize(activityReader{p}, 64<<10)
	var err error
	for {
		var m Message
		m, err = ReadFrame(r, p.h.cfg.MaxFrameSize)
		if err != nil {
			break
		}
		p.received.Add(1)
		if !p.msgs.allow(1) || !p.bytes.allow(float64(bodySize(m))) {
			p.rateLimited.Add(1)
			p.h.stats.rateLimited.Add(1)
			continue
		}
		if m.Module == ModuleHello {
			if p.onControl(m) == controlBye {
				p.onBye()
				err = io.EOF
				break
			}
			continue
		}
		if p.draining.Load() {
			p.h.stats.drained.Add(1)
		}
		if hold {
			p.h.dispatch(p, m)
			continue
		}
		p.link.settle(p.h)
		p.link.dmu.Lock()
		p.h.dispatch(p, m)
		p.link.dmu.Unlock()
	}
	if hold {
		p.link.dmu.Unlock()
	}
	if p.draining.Load() && (errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded)) {
		err = nil // the drain's end
	}
	switch {
	case errors.Is(err, ErrFrameTooLarge):
		p.h.stats.oversized.Add(1)
		log.Warn("closing connection: oversized frame", "err", err)
	case errors.Is(err, ErrBadFrame), errors.Is(err, ErrProtocol):
		p.h.stats.malformed.Add(1)
		log.Warn("closing connection: malformed frame", "err", err)
	case err == nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed):
		log.Debug("connection closed", "drained", p.draining.Load())
	default:
		log.Info("connection lost", "err", err)
	}
	p.stop(false)
	if p.replaced.Load() || p.draining.Load() {
		p.closeConn(0) // its writer, stopped for the replacement, left it open
	}
	p.h.unregister(p)
	p.h.endDrain(p)
	close(p.done)
}

// activityReader reads the peer's connection and notes when bytes last
// arrived, for the keepalive: a large frame arriving slowly is traffic
// too, not silence.
type activityReader struct{ p *peer }

func (a activityReader) Read(b []byte) (int, error) {
	n, err := a.p.conn.Read(b)
	if n > 0 {
		a.p.lastRecv.Store(int64(a.p.elapsed()))
	}
	return n, err
}
