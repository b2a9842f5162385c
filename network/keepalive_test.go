package network

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gobcos/gobcos/crypto"
)

func TestControlMessages(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		kind controlKind
		seq  uint64
	}{
		{encodePing(0), controlPing, 0},
		{encodePing(1<<64 - 1), controlPing, 1<<64 - 1},
		{encodePong(42), controlPong, 42},
		{hello{Version: protocolVersion, Nonce: 5}.encode(), controlHello, 0},
	} {
		c, err := decodeControl(tc.b)
		if err != nil || c.kind != tc.kind || c.seq != tc.seq {
			t.Errorf("%x: %+v %v", tc.b, c, err)
		}
	}
	for name, b := range map[string][]byte{
		"empty":      nil,
		"short":      []byte("PI"),
		"ping short": []byte("PING\x00\x00"),
		"pong long":  append(encodePong(1), 0),
		"unknown":    []byte("ZZZZ\x00\x00\x00\x00\x00\x00\x00\x00"),
		"hello bad":  []byte("GBCS\x00"),
	} {
		if _, err := decodeControl(b); !errors.Is(err, ErrProtocol) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func writeControl(t *testing.T, w io.Writer, payload []byte) {
	t.Helper()
	f, err := EncodeFrame(Message{Module: ModuleHello, Payload: payload}, MinMaxFrameSize)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(f); err != nil {
		t.Fatal(err)
	}
}

// A host answers a ping with a pong of the same number; malformed and
// unknown control messages are counted and ignored, not fatal.
func TestKeepaliveAnswersPing(t *testing.T) { forSuites(t, testAnswersPing) }

func testAnswersPing(t *testing.T, s crypto.Suite) {
	_, a, b, admA, admB := pair(t, s)
	ha := testHost(t, a, admA, func(c *Config) { c.KeepaliveIdle = time.Hour }) // the host pings nobody here
	sc := rawPeer(t, b, admB, ha)
	eventually(t, "raw peer registered", func() bool { return ha.Connected(b.id) })
	writeControl(t, sc, []byte("ZZZZ-unknown"))
	writeControl(t, sc, []byte("PING\x01"))
	writeControl(t, sc, encodePing(7))
	_ = sc.SetReadDeadline(time.Now().Add(30 * time.Second))
	m, err := ReadFrame(sc, MinMaxFrameSize)
	if err != nil {
		t.Fatal(err)
	}
	c, err := decodeControl(m.Payload)
	if m.Module != ModuleHello || m.Group != "" || err != nil || c.kind != controlPong || c.seq != 7 {
		t.Fatalf("answer to a ping: %+v %+v %v", m, c, err)
	}
	if st := ha.Stats(); st.Unhandled != 2 || !ha.Connected(b.id) {
		t.Fatalf("unhandled %d, connected %v", st.Unhandled, ha.Connected(b.id))
	}
}

// A peer that completed the handshake and then never answers (a stopped
// process) is pinged and, once silent for the timeout, disconnected.
func TestKeepaliveDropsStalledPeer(t *testing.T) { forSuites(t, testDropsStalled) }

func testDropsStalled(t *testing.T, s crypto.Suite) {
	_, a, b, admA, admB := pair(t, s)
	ha := testHost(t, a, admA, func(c *Config) { c.KeepaliveIdle, c.KeepaliveTimeout = 30*time.Millisecond, 600*time.Millisecond })
	sc := rawPeer(t, b, admB, ha)
	eventually(t, "raw peer registered", func() bool { return ha.Connected(b.id) })
	// It reads the host's ping but never answers.
	_ = sc.SetReadDeadline(time.Now().Add(30 * time.Second))
	m, err := ReadFrame(sc, MinMaxFrameSize)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := decodeControl(m.Payload); m.Module != ModuleHello || err != nil || c.kind != controlPing {
		t.Fatalf("first frame from an idle host: %+v %v", m, err)
	}
	eventually(t, "the silent peer dropped", func() bool {
		st := ha.Stats()
		return !ha.Connected(b.id) && st.KeepaliveTimeouts == 1 && st.PingsSent >= 1
	})
	// The host closed the connection: reading ends before the deadline.
	var ne net.Error
	if _, err := io.Copy(io.Discard, sc); errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection not closed: %v", err)
	}
}

// Two live hosts answer each other's pings: nothing is dropped.
func TestKeepaliveKeepsLivePeers(t *testing.T) {
	_, a, b, admA, admB := pair(t, crypto.ECDSA())
	ka := func(c *Config) { c.KeepaliveIdle, c.KeepaliveTimeout = 10*time.Millisecond, 5*time.Second }
	ha := testHost(t, a, admA, ka)
	hb := testHost(t, b, admB, func(c *Config) { ka(c); c.ListenAddr = ""; c.Peers = []string{addrOf(ha)} })
	eventually(t, "connection", func() bool { return ha.Connected(b.id) && hb.Connected(a.id) })
	eventually(t, "pings both ways", func() bool { return ha.Stats().PingsSent >= 10 && hb.Stats().PingsSent >= 10 })
	if ha.Stats().KeepaliveTimeouts != 0 || hb.Stats().KeepaliveTimeouts != 0 || !ha.Connected(b.id) {
		t.Fatalf("live peers dropped: %+v %+v", ha.Stats(), hb.Stats())
	}
}

// stallProxy forwards TCP connections to a target; frozen, it stops
// forwarding in both directions without closing anything, as a stopped
// process or a dead link would.
type stallProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	cond   *sync.Cond
	frozen bool
	closed bool
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *stallProxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			in.Close()
			out.Close()
			return
		}
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

// pipe copies src to dst, holding data while frozen.
func (p *stallProxy) pipe(src, dst net.Conn) {
	defer p.wg.Done()
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		p.mu.Lock()
		for p.frozen && !p.closed {
			p.cond.Wait()
		}
		closed := p.closed
		p.mu.Unlock()
		if closed {
			return
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *stallProxy) setFrozen(f bool) {
	p.mu.Lock()
	p.frozen = f
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *stallProxy) close() {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.mu.Unlock()
	p.cond.Broadcast()
	p.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	p.wg.Wait()
}

// A link that stops carrying anything (half-open) is detected by the
// keepalive on both ends; the dialer reconnects once it works again.
func TestKeepaliveReconnectsAfterStall(t *testing.T) {
	_, a, b, admA, admB := pair(t, crypto.ECDSA())
	ka := func(c *Config) {
		c.KeepaliveIdle, c.KeepaliveTimeout = 30*time.Millisecond, 600*time.Millisecond
		c.HandshakeTimeout = 2 * time.Second
	}
	hb := testHost(t, b, admB, ka)
	box := newInbox()
	hb.Handle("g", ModuleSync, box.handler)
	proxy := newStallProxy(t, addrOf(hb))
	ha := testHost(t, a, admA, func(c *Config) { ka(c); c.ListenAddr = ""; c.Peers = []string{proxy.ln.Addr().String()} })
	eventually(t, "connection through the proxy", func() bool { return ha.Connected(b.id) && hb.Connected(a.id) })

	proxy.setFrozen(true)
	eventually(t, "the stalled link dropped on both ends", func() bool {
		return !ha.Connected(b.id) && !hb.Connected(a.id) &&
			ha.Stats().KeepaliveTimeouts >= 1 && hb.Stats().KeepaliveTimeouts >= 1
	})
	proxy.setFrozen(false)
	eventually(t, "reconnection and delivery", func() bool {
		_ = ha.Send(b.id, "g", ModuleSync, []byte("after the stall"))
		return box.count(a.id) > 0
	})
}

// Broadcast sends a group's message only to the members GroupMembers
// accepts for that group.
func TestBroadcastGroupFilter(t *testing.T) {
	p := newPKI(t, crypto.ECDSA())
	o := p.org(t, "o")
	a, b, c := p.node(t, o, "a", validAround(time.Now())), p.node(t, o, "b", validAround(time.Now())), p.node(t, o, "c", validAround(time.Now()))
	list := newMemberList(a, b, c)
	adm := func() *Admission { return newAdmission(t, p, list, func(c *AdmissionConfig) { c.Now = nil }) }
	ha := testHost(t, a, adm(), func(cfg *Config) {
		cfg.GroupMembers = func(group string, id NodeID) error {
			if group == "g1" && id != b.id {
				return ErrNotInNodeList
			}
			return nil
		}
	})
	boxes := map[NodeID]*inbox{}
	for _, n := range []*testNode{b, c} {
		h := testHost(t, n, adm(), func(cfg *Config) { cfg.ListenAddr = ""; cfg.Peers = []string{addrOf(ha)} })
		box := newInbox()
		h.Handle("g1", ModuleTxGossip, box.handler)
		h.Handle("g2", ModuleTxGossip, box.handler)
		boxes[n.id] = box
	}
	eventually(t, "connections", func() bool { return ha.Connected(b.id) && ha.Connected(c.id) })
	if n, err := ha.Broadcast("g1", ModuleTxGossip, []byte("g1 only for b")); err != nil || n != 1 {
		t.Fatalf("g1 broadcast queued for %d peers: %v", n, err)
	}
	if n, err := ha.Broadcast("g2", ModuleTxGossip, []byte("g2 for all")); err != nil || n != 2 {
		t.Fatalf("g2 broadcast queued for %d peers: %v", n, err)
	}
	// Each peer's queue is in order: once the g2 message arrived, a g1
	// message queued before it would have too.
	eventually(t, "g2 delivered", func() bool { return boxes[b.id].count(a.id) == 2 && boxes[c.id].count(a.id) == 1 })
	if got := boxes[c.id].from(a.id); got[0] != "g2 for all" {
		t.Fatalf("c received %q", got)
	}
}
