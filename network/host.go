package network

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Handler receives a message from an admitted peer. Handlers of one peer
// run one at a time on its reader goroutine, so a slow handler slows that
// peer only (TCP back-pressure); hand long work to another goroutine. The
// payload is not reused by the host.
type Handler func(from NodeID, msg Message)

// Config configures a Host. Zero values take the defaults shown.
type Config struct {
	// Transport secures connections (NewTransport). Required.
	Transport Transport
	// ListenAddr is the TCP address to accept peers on ("" = dial only;
	// "127.0.0.1:0" picks a free port, see Host.Addr).
	ListenAddr string
	// Peers are addresses to dial and keep connected.
	Peers []string
	// MaxFrameSize bounds a frame body (DefaultMaxFrameSize).
	MaxFrameSize int
	// SendQueueSize is the per-peer queue of outbound frames (1024).
	SendQueueSize int
	// RateLimit and RateBurst bound inbound frames per second per peer
	// (2000, burst 4000); ByteRateLimit and ByteBurst bound inbound bytes
	// per second (64 MiB/s, burst 2*MaxFrameSize). A negative rate means
	// unlimited. Excess frames are dropped and counted.
	RateLimit     float64
	RateBurst     int
	ByteRateLimit float64
	ByteBurst     int
	// HandshakeTimeout bounds the TLS handshake and hello (10s).
	HandshakeTimeout time.Duration
	// WriteTimeout bounds one write to a peer (10s).
	WriteTimeout time.Duration
	// DialTimeout bounds a TCP connect (5s).
	DialTimeout time.Duration
	// BackoffMin and BackoffMax bound reconnect delays (200ms, 30s).
	BackoffMin, BackoffMax time.Duration
	// MaxPendingHandshakes bounds concurrent inbound handshakes (64);
	// connections beyond are closed at once.
	MaxPendingHandshakes int
	// Random returns numbers in [0,1) for back-off jitter (math/rand/v2).
	Random func() float64
	// Now is the clock of the rate limiters (time.Now).
	Now func() time.Time
	// Recheck, when set, verifies connected peers again, every
	// RecheckInterval (5s) and on DropRefused: Refresh first (an Admission
	// reloads changed CRL files), then Recheck of each peer's identity. A
	// peer it refuses (certificate expired or revoked since the handshake,
	// denied, or no longer in the node list) is disconnected; the drop is
	// logged with its reason and counted (Stats.Dropped, DropReasons).
	// An *Admission is a Rechecker.
	Recheck         Rechecker
	RecheckInterval time.Duration
	// KeepaliveIdle and KeepaliveTimeout detect a peer that stopped
	// answering (a stopped process, a half-open TCP connection): a peer
	// from which nothing arrived for KeepaliveIdle (5s) is sent a ping,
	// again every KeepaliveIdle while it stays silent, and one silent for
	// KeepaliveTimeout (15s) is disconnected (Stats.KeepaliveTimeouts), so
	// the dialing side reconnects with back-off. Any bytes received count
	// as an answer. A negative KeepaliveIdle turns keepalive off;
	// KeepaliveTimeout must exceed KeepaliveIdle.
	KeepaliveIdle, KeepaliveTimeout time.Duration
	// GroupMembers, when set, is the membership rule of groups (e.g. the
	// group's node list and the allow-list, minus the deny-list), applied
	// both ways: Broadcast sends a group's messages only to its members,
	// and a message of a group from a peer that is not a member is dropped
	// before its handler runs, counted (Stats.GroupDropped,
	// GroupDropReasons) and logged at debug level, at most once per peer
	// every 10s. Node-level messages (group "") are never filtered. Its
	// answers are cached per peer and group until GroupsChanged (every
	// recheck round calls it). nil: every peer is a member of every group.
	GroupMembers GroupPolicy
	// Logger; nil discards.
	Logger *slog.Logger

	// beforeRegister, set by tests only, runs after a connection's hellos
	// and before it is registered.
	beforeRegister func(*peer)
}

func (c *Config) setDefaults() error {
	if c.Transport == nil {
		return fmt.Errorf("%w: Host needs a Transport", ErrConfig)
	}
	if c.MaxFrameSize == 0 {
		c.MaxFrameSize = DefaultMaxFrameSize
	}
	if c.MaxFrameSize < MinMaxFrameSize || c.MaxFrameSize > 1<<30 {
		return fmt.Errorf("%w: MaxFrameSize %d outside [%d, %d]", ErrConfig, c.MaxFrameSize, MinMaxFrameSize, 1<<30)
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt(&c.SendQueueSize, 1024)
	if c.RateLimit == 0 {
		c.RateLimit = 2000
	}
	defInt(&c.RateBurst, 2*int(max(c.RateLimit, 1)))
	if c.ByteRateLimit == 0 {
		c.ByteRateLimit = 64 << 20
	}
	defInt(&c.ByteBurst, 2*c.MaxFrameSize)
	def(&c.HandshakeTimeout, 10*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.DialTimeout, 5*time.Second)
	def(&c.RecheckInterval, 5*time.Second)
	if c.KeepaliveIdle == 0 {
		c.KeepaliveIdle = DefaultKeepaliveIdle
	}
	if c.KeepaliveIdle > 0 {
		if c.KeepaliveTimeout == 0 {
			c.KeepaliveTimeout = max(DefaultKeepaliveTimeout, 2*c.KeepaliveIdle)
		}
		if c.KeepaliveTimeout <= c.KeepaliveIdle {
			return fmt.Errorf("%w: KeepaliveTimeout %s must exceed KeepaliveIdle %s", ErrConfig, c.KeepaliveTimeout, c.KeepaliveIdle)
		}
	}
	def(&c.BackoffMin, 200*time.Millisecond)
	def(&c.BackoffMax, 30*time.Second)
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = c.BackoffMin
	}
	defInt(&c.MaxPendingHandshakes, 64)
	if c.Random == nil {
		c.Random = rand.Float64
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Stats are host-wide counters.
type Stats struct {
	Peers           int
	SendDropped     uint64 // outbound frames dropped on full queues
	RateLimited     uint64 // inbound frames dropped by rate limits
	Oversized       uint64 // connections closed for an oversized frame
	Malformed       uint64 // connections closed for a malformed frame
	Unhandled       uint64 // frames with no handler for (group, module)
	HandshakeFailed uint64 // handshakes or hellos that failed (incl. refusals)
	Duplicates      uint64 // connections closed as duplicates of another
	// Drained counts frames received on connections being drained: a
	// replaced one, or a refused duplicate the peer had begun to use.
	Drained uint64
	// Moved counts frames a replaced duplicate had not sent, moved to the
	// connection replacing it (what does not fit is in SendDropped).
	Moved   uint64
	Busy    uint64 // inbound connections closed: too many handshakes
	Dropped uint64 // connections closed because a recheck no longer admits the peer
	// DropReasons splits Dropped by reason (expired, revoked, denied,
	// not_in_node_list...).
	DropReasons       map[RefusalReason]uint64
	KeepaliveTimeouts uint64 // connections closed because the peer went silent
	PingsSent         uint64 // keepalive pings sent
	// GroupDropped counts inbound messages dropped because their sender
	// is not a member of their group (Config.GroupMembers);
	// GroupDropReasons splits them by reason (denied, not_in_node_list,
	// unknown_group...).
	GroupDropped     uint64
	GroupDropReasons map[RefusalReason]uint64
}

type hostStats struct {
	sendDropped, rateLimited, oversized, malformed, unhandled, handshakeFailed, duplicates, busy, dropped, moved, drained atomic.Uint64
	keepaliveTimeouts, pingsSent, groupDropped                                                                            atomic.Uint64
	groupReasons                                                                                                          [numGroupDropReasons]atomic.Uint64

	mu          sync.Mutex
	dropReasons map[RefusalReason]uint64
}

type handlerKey struct {
	group  string
	module ModuleID
}

// Host is this node's endpoint: it accepts and dials peers over its
// Transport, keeps one connection per node id, and routes framed messages
// to handlers registered per (group, module).
type Host struct {
	cfg Config
	tr  Transport
	id  NodeID
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sem    chan struct{}
	stats  hostStats

	hmu      sync.RWMutex
	handlers map[handlerKey]Handler

	// groupGen is bumped by GroupsChanged; peers' cached group decisions
	// of older generations are recomputed.
	groupGen atomic.Uint64

	mu    sync.Mutex
	ln    net.Listener
	peers map[NodeID]*peer
	// links hold what the connections to one node share (drain.go).
	links   map[NodeID]*link
	addrIDs map[string]NodeID
	// drains are the connections being drained (drain.go).
	drains  map[*peer]struct{}
	dialing map[string]bool
	started bool
	closed  bool
}

// NewHost checks cfg and builds a host; Start brings it up.
func NewHost(cfg Config) (*Host, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	id := cfg.Transport.LocalID()
	return &Host{
		cfg: cfg, tr: cfg.Transport, id: id, log: orDiscard(cfg.Logger).With("node", id.Short()),
		ctx: ctx, cancel: cancel, sem: make(chan struct{}, cfg.MaxPendingHandshakes),
		handlers: map[handlerKey]Handler{}, peers: map[NodeID]*peer{}, links: map[NodeID]*link{},
		addrIDs: map[string]NodeID{}, dialing: map[string]bool{},
		drains: map[*peer]struct{}{},
	}, nil
}

// ID is this node's id.
func (h *Host) ID() NodeID { return h.id }

// Start opens the listener (if configured) and starts dialing the peers.
func (h *Host) Start() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	if h.started {
		return nil
	}
	if h.cfg.ListenAddr != "" {
		ln, err := net.Listen("tcp", h.cfg.ListenAddr)
		if err != nil {
			return fmt.Errorf("network: listen on %s: %w", h.cfg.ListenAddr, err)
		}
		h.ln = ln
		h.wg.Add(1)
		go h.acceptLoop(ln)
		h.log.Info("listening", "addr", ln.Addr().String())
	}
	h.started = true
	if h.cfg.Recheck != nil {
		h.wg.Add(1)
		go h.recheckLoop()
	}
	if h.cfg.KeepaliveIdle > 0 {
		h.wg.Add(1)
		go h.keepaliveLoop()
	}
	for _, a := range h.cfg.Peers {
		h.startDialLocked(a)
	}
	return nil
}

// Addr is the listener's address (nil when not listening).
func (h *Host) Addr() net.Addr {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ln == nil {
		return nil
	}
	return h.ln.Addr()
}

// AddPeer starts dialing addr (no-op if already dialed).
func (h *Host) AddPeer(addr string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if !h.started {
		h.cfg.Peers = append(h.cfg.Peers, addr)
		return
	}
	h.startDialLocked(addr)
}

func (h *Host) startDialLocked(addr string) {
	if h.dialing[addr] {
		return
	}
	h.dialing[addr] = true
	h.wg.Add(1)
	go h.dialLoop(addr)
}

// Handle registers the handler of (group, module), replacing any previous
// one; a nil handler removes it.
func (h *Host) Handle(group string, module ModuleID, fn Handler) {
	h.hmu.Lock()
	defer h.hmu.Unlock()
	if fn == nil {
		delete(h.handlers, handlerKey{group, module})
		return
	}
	h.handlers[handlerKey{group, module}] = fn
}

// dispatch runs the handler of m, a message read from p. A message of a
// group p is not a member of is dropped first (Config.GroupMembers); one
// with no handler is only counted as unhandled, so only groups this node
// handles are ever looked up.
func (h *Host) dispatch(p *peer, m Message) {
	h.hmu.RLock()
	fn := h.handlers[handlerKey{m.Group, m.Module}]
	h.hmu.RUnlock()
	if fn == nil || m.Module == ModuleHello {
		h.stats.unhandled.Add(1)
		return
	}
	if err := p.member(m.Group); err != nil {
		p.dropGroupMessage(m, err)
		return
	}
	fn(p.id, m)
}

func (h *Host) encode(group string, module ModuleID, payload []byte) ([]byte, error) {
	if module == ModuleHello {
		return nil, fmt.Errorf("%w: module %d is reserved", ErrConfig, module)
	}
	return EncodeFrame(Message{Group: group, Module: module, Payload: payload}, h.cfg.MaxFrameSize)
}

// Send queues a message to one peer. It never blocks: ErrQueueFull means
// the message was dropped (and counted); ErrNotConnected that the peer has
// no connection now.
func (h *Host) Send(to NodeID, group string, module ModuleID, payload []byte) error {
	frame, err := h.encode(group, module, payload)
	if err != nil {
		return err
	}
	h.mu.Lock()
	p := h.peers[to]
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if p == nil {
		return fmt.Errorf("%w: %s", ErrNotConnected, to.Short())
	}
	return p.enqueue(frame)
}

// Broadcast queues a message to every connected peer of group (all of
// them, or its members under Config.GroupMembers) and returns how many
// queues took it; full queues drop it (counted). It never blocks.
func (h *Host) Broadcast(group string, module ModuleID, payload []byte) (int, error) {
	return h.BroadcastExcept(group, module, payload, nil)
}

// BroadcastExcept is Broadcast to the peers not in except (e.g. those a
// relayed message came from).
func (h *Host) BroadcastExcept(group string, module ModuleID, payload []byte, except []NodeID) (int, error) {
	frame, err := h.encode(group, module, payload)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range h.snapshot() {
		if p.member(group) != nil || slices.Contains(except, p.id) {
			continue
		}
		if p.enqueue(frame) == nil {
			n++
		}
	}
	return n, nil
}

func (h *Host) snapshot() []*peer {
	h.mu.Lock()
	defer h.mu.Unlock()
	ps := make([]*peer, 0, len(h.peers))
	for _, p := range h.peers {
		ps = append(ps, p)
	}
	return ps
}

// Peers describes the connected peers.
func (h *Host) Peers() []PeerInfo {
	ps := h.snapshot()
	out := make([]PeerInfo, len(ps))
	for i, p := range ps {
		out[i] = p.info()
	}
	return out
}

// Connected reports whether id has a connection now.
func (h *Host) Connected(id NodeID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peers[id] != nil
}

// Stats returns the host-wide counters.
func (h *Host) Stats() Stats {
	h.mu.Lock()
	n := len(h.peers)
	h.mu.Unlock()
	s := &h.stats
	s.mu.Lock()
	reasons := make(map[RefusalReason]uint64, len(s.dropReasons))
	for r, c := range s.dropReasons {
		reasons[r] = c
	}
	s.mu.Unlock()
	return Stats{
		DropReasons: reasons, KeepaliveTimeouts: s.keepaliveTimeouts.Load(), PingsSent: s.pingsSent.Load(),
		Peers: n, SendDropped: s.sendDropped.Load(), RateLimited: s.rateLimited.Load(),
		Oversized: s.oversized.Load(), Malformed: s.malformed.Load(), Unhandled: s.unhandled.Load(),
		HandshakeFailed: s.handshakeFailed.Load(), Duplicates: s.duplicates.Load(), Moved: s.moved.Load(), Drained: s.drained.Load(), Busy: s.busy.Load(),
		Dropped: s.dropped.Load(), GroupDropped: s.groupDropped.Load(), GroupDropReasons: s.groupDropStats(),
	}
}

// Close stops accepting and dialing, flushes queued frames for up to two
// seconds, closes every connection and waits for all goroutines. It is
// safe to call more than once.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	ln := h.ln
	peers := make([]*peer, 0, len(h.peers))
	for _, p := range h.peers {
		peers = append(peers, p)
	}
	for p := range h.drains {
		p.closeConn(0) // nothing more to wait for
	}
	h.mu.Unlock()
	h.cancel()
	if ln != nil {
		ln.Close()
	}
	for _, p := range peers {
		p.stop(true)
	}
	// A peer that stopped reading would hold its writer for WriteTimeout:
	// after a short grace period, cut whatever is still open.
	grace := time.NewTimer(closeGrace)
	defer grace.Stop()
wait:
	for _, p := range peers {
		select {
		case <-p.done:
		case <-grace.C:
			for _, q := range peers {
				q.closeConn(0)
			}
			break wait
		}
	}
	h.wg.Wait()
	return nil
}

// closeGrace bounds how long Close lets peers flush their queues.
const closeGrace = 2 * time.Second

// sleep waits d or until the host closes; false means closed.
func (h *Host) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-h.ctx.Done():
		return false
	}
}
