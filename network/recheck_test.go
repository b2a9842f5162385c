package network

import (
	"testing"
	"time"

	"github.com/gobcos/gobcos/crypto"
)

// A peer denied after it connected is disconnected by DropRefused and
// refused on every reconnect; the node it dials stays reachable to others.
func TestDropRefusedDenied(t *testing.T) { forSuites(t, testDropRefusedDenied) }

func testDropRefusedDenied(t *testing.T, s crypto.Suite) {
	p := newPKI(t, s)
	o := p.org(t, "o")
	a, b := p.node(t, o, "a", validAround(time.Now())), p.node(t, o, "b", validAround(time.Now()))
	list := newMemberList(a, b)
	admA := newAdmission(t, p, list, func(c *AdmissionConfig) { c.Now = nil })
	admB := newAdmission(t, p, list, func(c *AdmissionConfig) { c.Now = nil })
	ha := testHost(t, a, admA, func(c *Config) { c.Recheck = admA; c.RecheckInterval = time.Hour })
	hb := testHost(t, b, admB, func(c *Config) { c.ListenAddr = ""; c.Peers = []string{addrOf(ha)} })
	eventually(t, "connection", func() bool { return ha.Connected(b.id) && hb.Connected(a.id) })

	if n := ha.DropRefused(); n != 0 {
		t.Fatalf("DropRefused dropped %d admitted peers", n)
	}
	admA.SetDenyList([]NodeID{b.id})
	if n := ha.DropRefused(); n != 1 {
		t.Fatalf("DropRefused dropped %d peers, want 1", n)
	}
	eventually(t, "disconnection on both sides", func() bool { return !ha.Connected(b.id) && !hb.Connected(a.id) })
	if got := ha.Stats().Dropped; got != 1 {
		t.Errorf("Stats().Dropped = %d, want 1", got)
	}
	// b keeps dialing; every attempt is refused at the handshake.
	eventually(t, "a refused reconnect", func() bool { return admA.Refusals()[ReasonDenied] > 0 })
	if ha.Connected(b.id) {
		t.Fatal("a denied peer reconnected")
	}
}

// The periodic recheck disconnects a peer removed from the node list
// without anyone calling DropRefused.
func TestRecheckLoopRemovedFromNodeList(t *testing.T) {
	s := crypto.ECDSA()
	p := newPKI(t, s)
	o := p.org(t, "o")
	a, b := p.node(t, o, "a", validAround(time.Now())), p.node(t, o, "b", validAround(time.Now()))
	listA := newMemberList(a, b)
	admA := newAdmission(t, p, listA, func(c *AdmissionConfig) { c.Now = nil })
	admB := newAdmission(t, p, newMemberList(a, b), func(c *AdmissionConfig) { c.Now = nil })
	ha := testHost(t, a, admA, func(c *Config) { c.Recheck = admA; c.RecheckInterval = 20 * time.Millisecond })
	hb := testHost(t, b, admB, func(c *Config) { c.ListenAddr = ""; c.Peers = []string{addrOf(ha)} })
	eventually(t, "connection", func() bool { return ha.Connected(b.id) && hb.Connected(a.id) })

	listA.mu.Lock()
	delete(listA.ids, b.id)
	listA.mu.Unlock()
	eventually(t, "the removed peer dropped", func() bool { return ha.Stats().Dropped >= 1 && !ha.Connected(b.id) })
}
