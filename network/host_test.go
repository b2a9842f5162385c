package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/network/certs"
)

// inbox collects messages delivered to a host's handler.
type inbox struct {
	mu   sync.Mutex
	msgs map[NodeID][]string
}

func newInbox() *inbox { return &inbox{msgs: map[NodeID][]string{}} }

func (b *inbox) handler(from NodeID, m Message) {
	b.mu.Lock()
	b.msgs[from] = append(b.msgs[from], string(m.Payload))
	b.mu.Unlock()
}

func (b *inbox) from(id NodeID) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.msgs[id]...)
}

func (b *inbox) count(id NodeID) int { return len(b.from(id)) }

func addrOf(h *Host) string { return h.Addr().String() }

// Four hosts, each dialing all the others, form a full mesh with one
// connection per pair (the smaller node id's outbound one) and exchange
// broadcasts and unicasts.
func TestFullMesh(t *testing.T) { forSuites(t, testFullMesh) }

// newMesh starts n hosts of one chain (two organisations, alternating)
// that do not dial each other yet (dialAll).
func newMesh(t *testing.T, s crypto.Suite, n int, mod func(*Config)) ([]*testNode, []*Host) {
	t.Helper()
	p := newPKI(t, s)
	var nodes []*testNode
	for i := range n {
		nodes = append(nodes, p.node(t, p.org(t, fmt.Sprintf("org%d", i%2)), fmt.Sprintf("node%d", i), validAround(time.Now())))
	}
	list := newMemberList(nodes...)
	hosts := make([]*Host, n)
	for i, nd := range nodes {
		adm := newAdmission(t, p, list, func(c *AdmissionConfig) { c.Now = nil })
		hosts[i] = testHost(t, nd, adm, mod)
	}
	return nodes, hosts
}

// dialAll has every host dial every other.
func dialAll(hosts []*Host) {
	for i, h := range hosts {
		for j, o := range hosts {
			if i != j {
				h.AddPeer(addrOf(o))
			}
		}
	}
}

func testFullMesh(t *testing.T, s crypto.Suite) {
	nodes, hosts := newMesh(t, s, 4, nil)
	boxes := make([]*inbox, 4)
	for i, h := range hosts {
		boxes[i] = newInbox()
		h.Handle("group0", ModuleConsensus, boxes[i].handler)
	}
	dialAll(hosts)
	eventually(t, "a stable full mesh", func() bool {
		for i, h := range hosts {
			ps := h.Peers()
			if len(ps) != 3 {
				return false
			}
			for _, pi := range ps {
				// The surviving connection is the one the smaller id dialed.
				if pi.Outbound != (hosts[i].ID().Compare(pi.NodeID) < 0) {
					return false
				}
			}
		}
		return true
	})
	for i, h := range hosts {
		if n, err := h.Broadcast("group0", ModuleConsensus, []byte(fmt.Sprintf("bcast from %d", i))); err != nil || n != 3 {
			t.Fatalf("broadcast from %d reached %d queues: %v", i, n, err)
		}
		next := nodes[(i+1)%4].id
		if err := h.Send(next, "group0", ModuleConsensus, []byte(fmt.Sprintf("unicast from %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range hosts {
		for j := range hosts {
			if i == j {
				continue
			}
			want := 1
			if j == (i+1)%4 {
				want = 2
			}
			eventually(t, fmt.Sprintf("host %d hearing from %d", j, i), func() bool { return boxes[j].count(nodes[i].id) >= want })
			got := boxes[j].from(nodes[i].id)
			if len(got) != want || got[0] != fmt.Sprintf("bcast from %d", i) {
				t.Fatalf("host %d from %d: %q", j, i, got)
			}
		}
	}
	// BroadcastExcept skips the listed peers: they get the marker sent
	// after it (messages of one connection arrive in order) and not it.
	except := []NodeID{nodes[1].id, nodes[2].id}
	if n, err := hosts[0].BroadcastExcept("group0", ModuleConsensus, []byte("except"), except); err != nil || n != 1 {
		t.Fatalf("broadcast except two reached %d queues: %v", n, err)
	}
	for _, id := range except {
		if err := hosts[0].Send(id, "group0", ModuleConsensus, []byte("marker")); err != nil {
			t.Fatal(err)
		}
	}
	for j := 1; j < 4; j++ {
		before := 1 // the broadcast, and host 1 the unicast too
		if j == 1 {
			before = 2
		}
		eventually(t, fmt.Sprintf("host %d hearing the except broadcast or marker", j), func() bool { return boxes[j].count(nodes[0].id) > before })
		got := boxes[j].from(nodes[0].id)
		if want := map[bool]string{true: "except", false: "marker"}[j == 3]; got[before] != want {
			t.Fatalf("host %d got %q", j, got)
		}
	}
	// Unknown (group, module) pairs are counted, not delivered.
	if _, err := hosts[0].Broadcast("group9", ModuleSync, []byte("x")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "unhandled counted", func() bool {
		for _, h := range hosts[1:] {
			if h.Stats().Unhandled == 0 {
				return false
			}
		}
		return true
	})
	if err := hosts[0].Send(NodeID{4}, "group0", ModuleConsensus, nil); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("send to a stranger: %v", err)
	}
	if err := hosts[0].Send(nodes[1].id, "group0", ModuleHello, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("reserved module: %v", err)
	}
}

// Refused peers, each with its reason counted on the accepting side; the
// allow-listed outsider gets in.
func TestRefusals(t *testing.T) { forSuites(t, testRefusals) }

func testRefusals(t *testing.T, s crypto.Suite) {
	p := newPKI(t, s)
	org := p.org(t, "org1")
	now := time.Now()
	server := p.node(t, org, "server", validAround(now))
	members := []*testNode{server}
	mk := func(name string, v certs.Validity, member bool) *testNode {
		n := p.node(t, org, name, v)
		if member {
			members = append(members, n)
		}
		return n
	}
	expired := mk("expired", certs.ValidFor(now.Add(-48*time.Hour), time.Hour), true)
	revoked := mk("revoked", validAround(now), true)
	outsider := mk("outsider", validAround(now), false)
	denied := mk("denied", validAround(now), true)
	allowed := mk("allowed", validAround(now), false)
	other := newPKI(t, s)
	foreign := other.node(t, other.org(t, "org1"), "foreign", validAround(now))
	members = append(members, foreign)

	der, err := org.IssueCRL(1, now, now.Add(time.Hour), certs.Revocation{Serial: revoked.cert.Cert.SerialNumber, Time: now})
	if err != nil {
		t.Fatal(err)
	}
	crl, err := certs.ParseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	list := newMemberList(members...)
	srvAdm := newAdmission(t, p, list, func(c *AdmissionConfig) {
		c.Now = nil
		c.CRLs = append(c.CRLs, crl)
		c.Allow = []NodeID{allowed.id}
		c.Deny = []NodeID{denied.id}
	})
	srv := testHost(t, server, srvAdm, nil)

	for _, tc := range []struct {
		n      *testNode
		pki    *testPKI
		reason RefusalReason
	}{
		{foreign, other, ReasonUntrustedCA},
		{expired, p, ReasonExpired},
		{revoked, p, ReasonRevoked},
		{outsider, p, ReasonNotInNodeList},
		{denied, p, ReasonDenied},
	} {
		t.Run(string(tc.reason), func(t *testing.T) {
			// The client trusts everything about the server, so only the
			// server's verdict matters.
			cliAdm := newAdmission(t, tc.pki, NodeListFunc(func(NodeID) bool { return true }), func(c *AdmissionConfig) {
				c.Now = nil
				c.TrustedCAs = append(c.TrustedCAs, p.ca.Cert)
			})
			before := srvAdm.Refusals()[tc.reason]
			cli := testHost(t, tc.n, cliAdm, func(c *Config) { c.ListenAddr = ""; c.Peers = []string{addrOf(srv)} })
			eventually(t, "the refusal", func() bool { return srvAdm.Refusals()[tc.reason] > before })
			eventually(t, "the client noticing", func() bool { return cli.Stats().HandshakeFailed > 0 })
			if srv.Connected(tc.n.id) || cli.Connected(server.id) {
				t.Fatal("refused peer is connected")
			}
			cli.Close()
		})
	}
	t.Run("allow-list", func(t *testing.T) {
		cliAdm := newAdmission(t, p, list, func(c *AdmissionConfig) { c.Now = nil })
		cli := testHost(t, allowed, cliAdm, func(c *Config) { c.ListenAddr = ""; c.Peers = []string{addrOf(srv)} })
		eventually(t, "allow-listed node connected", func() bool { return srv.Connected(allowed.id) && cli.Connected(server.id) })
	})
	// The client side refuses a server too: an outsider server.
	t.Run("client refuses server", func(t *testing.T) {
		cliAdm := newAdmission(t, p, newMemberList(), func(c *AdmissionConfig) { c.Now = nil })
		cli := testHost(t, outsider, cliAdm, func(c *Config) { c.ListenAddr = ""; c.Peers = []string{addrOf(srv)} })
		eventually(t, "client-side refusal", func() bool { return cliAdm.Refusals()[ReasonNotInNodeList] > 0 })
		if cli.Connected(server.id) {
			t.Fatal("connected to a refused server")
		}
	})
}

// A host reconnects to a peer that restarts on the same address.
func TestReconnectAfterRestart(t *testing.T) { forSuites(t, testReconnectAfterRestart) }

func testReconnectAfterRestart(t *testing.T, s crypto.Suite) {
	p := newPKI(t, s)
	a, b := p.node(t, p.org(t, "o"), "a", validAround(time.Now())), p.node(t, p.org(t, "o"), "b", validAround(time.Now()))
	list := newMemberList(a, b)
	admA := newAdmission(t, p, list, func(c *AdmissionConfig) { c.Now = nil })
	admB := newAdmission(t, p, list, func(c *AdmissionConfig) { c.Now = nil })
	hb := testHost(t, b, admB, nil)
	addr := addrOf(hb)
	ha := testHost(t, a, admA, func(c *Config) { c.ListenAddr = ""; c.Peers = []string{addr} })
	eventually(t, "first connection", func() bool { return ha.Connected(b.id) })
	hb.Close()
	eventually(t, "disconnection noticed", func() bool { return !ha.Connected(b.id) })

	var hb2 *Host
	eventually(t, "restart on the same port", func() bool {
		tr, err := NewTransport(TransportConfig{Node: b.cert, Admission: admB})
		if err != nil {
			t.Fatal(err)
		}
		h, err := NewHost(Config{Transport: tr, ListenAddr: addr})
		if err != nil {
			t.Fatal(err)
		}
		if h.Start() != nil {
			h.Close()
			return false
		}
		hb2 = h
		return true
	})
	t.Cleanup(func() { hb2.Close() })
	box := newInbox()
	hb2.Handle("g", ModuleSync, box.handler)
	eventually(t, "reconnection", func() bool { return ha.Connected(b.id) })
	eventually(t, "message after reconnect", func() bool {
		_ = ha.Send(b.id, "g", ModuleSync, []byte("again"))
		return box.count(a.id) > 0
	})
}

// rawPeer completes the handshake and hello against h by hand, so a test
// can then write arbitrary bytes (or nothing).
func rawPeer(t *testing.T, n *testNode, adm *Admission, h *Host) *SecureConn {
	t.Helper()
	tr, err := NewTransport(TransportConfig{Node: n.cert, Admission: adm})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Dial("tcp", addrOf(h))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := tr.Client(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := EncodeFrame(Message{Module: ModuleHello, Payload: hello{Version: protocolVersion, Nonce: 99}.encode()}, MinMaxFrameSize)
	if _, err := sc.Write(f); err != nil {
		t.Fatal(err)
	}
	if m, err := ReadFrame(sc, MinMaxFrameSize); err != nil || m.Module != ModuleHello {
		t.Fatalf("hello: %v", err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc
}

func pair(t *testing.T, s crypto.Suite) (p *testPKI, a, b *testNode, admA, admB *Admission) {
	p = newPKI(t, s)
	a, b = p.node(t, p.org(t, "o"), "a", validAround(time.Now())), p.node(t, p.org(t, "o"), "b", validAround(time.Now()))
	list := newMemberList(a, b)
	admA = newAdmission(t, p, list, func(c *AdmissionConfig) { c.Now = nil })
	admB = newAdmission(t, p, list, func(c *AdmissionConfig) { c.Now = nil })
	return
}

// A frame above the maximum is refused and the connection closed.
func TestOversizedFrame(t *testing.T) {
	_, a, b, admA, admB := pair(t, crypto.ECDSA())
	ha := testHost(t, a, admA, func(c *Config) { c.MaxFrameSize = 4096 })
	if err := ha.Send(b.id, "", ModuleSync, make([]byte, 5000)); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("sending oversized: %v", err)
	}
	sc := rawPeer(t, b, admB, ha)
	eventually(t, "raw peer registered", func() bool { return ha.Connected(b.id) })
	// Announce 4097 bytes; the host must not wait for them.
	if _, err := sc.Write([]byte{0, 0, 0x10, 0x01, 1, 0, 2, 0}); err != nil {
		t.Fatal(err)
	}
	_ = sc.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := sc.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after an oversized frame")
	}
	eventually(t, "oversized counted", func() bool { return ha.Stats().Oversized == 1 && !ha.Connected(b.id) })
}

// Sending to a peer that never reads fills its queue; Send then drops and
// counts instead of blocking.
func TestSendQueueDrops(t *testing.T) {
	_, a, b, admA, admB := pair(t, crypto.ECDSA())
	// Keepalive off: its pings would add to the drops counted below.
	ha := testHost(t, a, admA, func(c *Config) { c.SendQueueSize = 4; c.MaxFrameSize = 1 << 20; c.KeepaliveIdle = -1 })
	_ = rawPeer(t, b, admB, ha) // never reads
	eventually(t, "raw peer registered", func() bool { return ha.Connected(b.id) })
	payload := make([]byte, 512<<10)
	full := 0
	for range 200 { // 100 MiB: far beyond socket buffers
		err := ha.Send(b.id, "", ModuleSync, payload)
		if errors.Is(err, ErrQueueFull) {
			full++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if full == 0 {
		t.Fatal("no message was dropped")
	}
	var dropped uint64
	for _, pi := range ha.Peers() {
		dropped += pi.Dropped
	}
	if st := ha.Stats(); st.SendDropped != uint64(full) || dropped != uint64(full) {
		t.Fatalf("dropped %d, counted %d host-wide and %d on the peer", full, st.SendDropped, dropped)
	}
	// Close does not hang on the writer stuck behind the silent peer.
	closed := make(chan struct{})
	go func() { ha.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close hung on a peer that does not read")
	}
}

// Inbound frames beyond a peer's rate are dropped and counted. The clock
// is frozen, so exactly the burst gets through.
func TestInboundRateLimit(t *testing.T) {
	_, a, b, admA, admB := pair(t, crypto.ECDSA())
	var handled atomic.Int64
	ha := testHost(t, a, admA, func(c *Config) {
		c.RateLimit, c.RateBurst = 10, 10
		c.Now = fixedClock
		c.KeepaliveIdle = -1 // pings would add to the frames counted below
	})
	ha.Handle("", ModuleTxGossip, func(NodeID, Message) { handled.Add(1) })
	hb := testHost(t, b, admB, func(c *Config) { c.ListenAddr = ""; c.Peers = []string{addrOf(ha)}; c.KeepaliveIdle = -1 })
	eventually(t, "connected", func() bool { return hb.Connected(a.id) && ha.Connected(b.id) })
	for range 30 {
		if err := hb.Send(a.id, "", ModuleTxGossip, []byte("tx")); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "all frames read", func() bool {
		ps := ha.Peers()
		return len(ps) == 1 && ps[0].Received == 30
	})
	if handled.Load() != 10 || ha.Stats().RateLimited != 20 {
		t.Fatalf("handled %d, rate limited %d", handled.Load(), ha.Stats().RateLimited)
	}
}

// Close flushes what was queued before it.
func TestGracefulClose(t *testing.T) { forSuites(t, testGracefulClose) }

func testGracefulClose(t *testing.T, s crypto.Suite) {
	_, a, b, admA, admB := pair(t, s)
	hb := testHost(t, b, admB, nil)
	box := newInbox()
	hb.Handle("g", ModuleAMOP, box.handler)
	ha := testHost(t, a, admA, func(c *Config) { c.ListenAddr = ""; c.Peers = []string{addrOf(hb)} })
	eventually(t, "connected", func() bool { return ha.Connected(b.id) && hb.Connected(a.id) })
	for i := range 100 {
		if err := ha.Send(b.id, "g", ModuleAMOP, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ha.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "all queued messages", func() bool { return box.count(a.id) == 100 })
	got := box.from(a.id)
	for i, m := range got {
		if !bytes.Equal([]byte(m), []byte{byte(i)}) {
			t.Fatalf("message %d out of order", i)
		}
	}
	if err := ha.Send(b.id, "g", ModuleAMOP, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	if err := ha.Close(); err != nil {
		t.Fatal(err)
	}
}

// A host given its own address does not keep dialing itself.
func TestSelfConnection(t *testing.T) {
	_, a, _, admA, _ := pair(t, crypto.ECDSA())
	var h *Host
	h = testHost(t, a, admA, nil)
	h.AddPeer(addrOf(h))
	eventually(t, "self detected", func() bool { return h.Stats().HandshakeFailed >= 1 })
	if len(h.Peers()) != 0 {
		t.Fatal("connected to itself")
	}
}
