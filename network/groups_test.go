package network

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobcos/gobcos/crypto"
)

// groupRule is a test GroupMembers policy for one group served by the
// node: that group's node list, with the admission's allow and deny lists
// on top (deny wins), and ErrUnknownGroup for any other group.
type groupRule struct {
	group string
	adm   *Admission // node list = the group's list
	calls atomic.Int64
}

func (r *groupRule) policy(group string, id NodeID) error {
	r.calls.Add(1)
	if group != r.group {
		return fmt.Errorf("%w: %q", ErrUnknownGroup, group)
	}
	return r.adm.Allowed(id)
}

// groupFixture: host a listens and serves group "G" (consensus and sync)
// and node-level messages; b and c dial it. All three are admitted at
// node level (a's admission list); G's node list starts as {a, c}.
type groupFixture struct {
	a, b, c    *testNode
	ha, hb, hc *Host
	gList      *memberList
	rule       *groupRule
	gBox, nBox *inbox // a's handlers of group G and of node-level messages
}

func newGroupFixture(t *testing.T, s crypto.Suite, mod func(*Config)) *groupFixture {
	p := newPKI(t, s)
	o := p.org(t, "o")
	now := time.Now()
	f := &groupFixture{a: p.node(t, o, "a", validAround(now)), b: p.node(t, o, "b", validAround(now)), c: p.node(t, o, "c", validAround(now))}
	nodeList := newMemberList(f.a, f.b, f.c)
	adm := func() *Admission { return newAdmission(t, p, nodeList, func(c *AdmissionConfig) { c.Now = nil }) }
	f.gList = newMemberList(f.a, f.c)
	f.rule = &groupRule{group: "G", adm: newAdmission(t, p, f.gList, func(c *AdmissionConfig) { c.Now = nil })}
	f.ha = testHost(t, f.a, adm(), func(cfg *Config) {
		cfg.GroupMembers = f.rule.policy
		if mod != nil {
			mod(cfg)
		}
	})
	f.gBox, f.nBox = newInbox(), newInbox()
	f.ha.Handle("G", ModuleConsensus, f.gBox.handler)
	f.ha.Handle("G", ModuleSync, f.gBox.handler)
	f.ha.Handle("", ModuleSync, f.nBox.handler)
	dial := func(cfg *Config) { cfg.ListenAddr = ""; cfg.Peers = []string{addrOf(f.ha)} }
	f.hb = testHost(t, f.b, adm(), dial)
	f.hc = testHost(t, f.c, adm(), dial)
	eventually(t, "connections", func() bool {
		return f.ha.Connected(f.b.id) && f.ha.Connected(f.c.id) && f.hb.Connected(f.a.id) && f.hc.Connected(f.a.id)
	})
	return f
}

// sendThenMark sends n messages of group G from h to a, then a node-level
// marker, and waits for the marker: a peer's messages are read and
// dispatched in order, so by then every G message was delivered or
// dropped.
func (f *groupFixture) sendThenMark(t *testing.T, h *Host, from NodeID, n int, tag string) {
	t.Helper()
	for i := range n {
		mod := ModuleConsensus
		if i%2 == 1 {
			mod = ModuleSync
		}
		if err := h.Send(f.a.id, "G", mod, fmt.Appendf(nil, "%s %d", tag, i)); err != nil {
			t.Fatal(err)
		}
	}
	marker := "mark " + tag
	if err := h.Send(f.a.id, "", ModuleSync, []byte(marker)); err != nil {
		t.Fatal(err)
	}
	eventually(t, marker, func() bool {
		got := f.nBox.from(from)
		return len(got) > 0 && got[len(got)-1] == marker
	})
}

// A peer admitted at node level but not in group G's node list has its G
// messages dropped before the handler and counted; its node-level
// messages and a member's G messages are delivered; once the member is
// removed from G's list (GroupsChanged), its next G messages are dropped.
func TestInboundGroupMembership(t *testing.T) { forSuites(t, testInboundGroupMembership) }

func testInboundGroupMembership(t *testing.T, s crypto.Suite) {
	f := newGroupFixture(t, s, nil)

	f.sendThenMark(t, f.hb, f.b.id, 10, "b1")
	if got := f.gBox.count(f.b.id); got != 0 {
		t.Fatalf("a non-member's G messages reached the handler: %d", got)
	}
	st := f.ha.Stats()
	if st.GroupDropped != 10 || st.GroupDropReasons[ReasonNotInNodeList] != 10 || len(st.GroupDropReasons) != 1 {
		t.Fatalf("GroupDropped %d, reasons %v; want 10 not_in_node_list", st.GroupDropped, st.GroupDropReasons)
	}
	if f.nBox.count(f.b.id) != 1 {
		t.Fatalf("node-level messages of b: %v", f.nBox.from(f.b.id))
	}
	for _, pi := range f.ha.Peers() {
		want := uint64(0)
		if pi.NodeID == f.b.id {
			want = 10
		}
		if pi.GroupDropped != want {
			t.Errorf("peer %s GroupDropped %d, want %d", pi.Name, pi.GroupDropped, want)
		}
	}

	f.sendThenMark(t, f.hc, f.c.id, 10, "c1")
	if got := f.gBox.from(f.c.id); len(got) != 10 || got[0] != "c1 0" || got[9] != "c1 9" {
		t.Fatalf("a member's G messages: %q", got)
	}
	if st := f.ha.Stats(); st.GroupDropped != 10 {
		t.Fatalf("GroupDropped %d after a member's messages, want 10", st.GroupDropped)
	}
	// Decisions are cached: 20 messages from two peers, one policy call
	// per peer (for G).
	if calls := f.rule.calls.Load(); calls != 2 {
		t.Errorf("policy called %d times for 20 messages, want 2 (cached)", calls)
	}

	// c leaves G's node list but stays admitted at node level.
	f.gList.mu.Lock()
	delete(f.gList.ids, f.c.id)
	f.gList.mu.Unlock()
	f.ha.GroupsChanged()
	f.sendThenMark(t, f.hc, f.c.id, 4, "c2")
	if got := f.gBox.count(f.c.id); got != 10 {
		t.Fatalf("a removed member's G messages reached the handler: %q", f.gBox.from(f.c.id))
	}
	st = f.ha.Stats()
	if st.GroupDropped != 14 || st.GroupDropReasons[ReasonNotInNodeList] != 14 {
		t.Fatalf("GroupDropped %d, reasons %v; want 14", st.GroupDropped, st.GroupDropReasons)
	}
	if !f.ha.Connected(f.c.id) || f.nBox.count(f.c.id) != 2 {
		t.Fatal("the node-level connection of a peer removed from a group was affected")
	}

	// The deny-list wins over G's node list.
	f.gList.mu.Lock()
	f.gList.ids[f.c.id] = true
	f.gList.mu.Unlock()
	f.rule.adm.SetDenyList([]NodeID{f.c.id})
	f.ha.GroupsChanged()
	f.sendThenMark(t, f.hc, f.c.id, 2, "c3")
	st = f.ha.Stats()
	if f.gBox.count(f.c.id) != 10 || st.GroupDropReasons[ReasonDenied] != 2 {
		t.Fatalf("denied member: delivered %d, reasons %v", f.gBox.count(f.c.id), st.GroupDropReasons)
	}

	// Back in G: delivered again.
	f.rule.adm.SetDenyList(nil)
	f.ha.GroupsChanged()
	f.sendThenMark(t, f.hc, f.c.id, 2, "c4")
	if got := f.gBox.from(f.c.id); len(got) != 12 || got[11] != "c4 1" {
		t.Fatalf("a member readmitted to G: %q", got)
	}
}

// Messages of a group with no handler are counted as unhandled and never
// consult the membership rule, so a peer sending made-up group ids cannot
// grow the cache of group decisions.
func TestUnhandledGroupSkipsMembership(t *testing.T) {
	f := newGroupFixture(t, crypto.ECDSA(), nil)
	for i := range 100 {
		if err := f.hb.Send(f.a.id, fmt.Sprintf("x%d", i), ModuleConsensus, []byte("?")); err != nil {
			t.Fatal(err)
		}
	}
	f.sendThenMark(t, f.hb, f.b.id, 0, "b")
	st := f.ha.Stats()
	if st.Unhandled < 100 || st.GroupDropped != 0 || f.rule.calls.Load() != 0 {
		t.Fatalf("unhandled %d, group drops %d, policy calls %d", st.Unhandled, st.GroupDropped, f.rule.calls.Load())
	}
}

// The periodic recheck refreshes the group decisions: a member removed
// from G's list has its G messages dropped without anyone calling
// GroupsChanged, and stays connected (it is still admitted at node level).
func TestRecheckRefreshesGroups(t *testing.T) {
	f := newGroupFixture(t, crypto.ECDSA(), func(c *Config) {
		c.Recheck = nopRechecker{}
		c.RecheckInterval = 20 * time.Millisecond
	})
	f.sendThenMark(t, f.hc, f.c.id, 1, "c1")
	if f.gBox.count(f.c.id) != 1 {
		t.Fatal("a member's message was not delivered")
	}
	f.gList.mu.Lock()
	delete(f.gList.ids, f.c.id)
	f.gList.mu.Unlock()
	eventually(t, "a G message of the removed member dropped", func() bool {
		_ = f.hc.Send(f.a.id, "G", ModuleConsensus, []byte("late"))
		return f.ha.Stats().GroupDropped > 0
	})
	if !f.ha.Connected(f.c.id) {
		t.Fatal("a peer still admitted at node level was disconnected")
	}
}

type nopRechecker struct{}

func (nopRechecker) Refresh()               {}
func (nopRechecker) Recheck(Identity) error { return nil }

// Inbound filtering, broadcasts and membership changes run concurrently
// (for the race detector): every delivered G message comes from a peer
// that was a member when it was checked, and node-level messages always
// flow.
func TestGroupMembershipConcurrent(t *testing.T) {
	f := newGroupFixture(t, crypto.ECDSA(), func(c *Config) { c.RateLimit = -1; c.ByteRateLimit = -1 })
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // flip c in and out of G
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			f.gList.mu.Lock()
			f.gList.ids[f.c.id] = i%2 == 0
			f.gList.mu.Unlock()
			f.ha.GroupsChanged()
			time.Sleep(time.Millisecond)
		}
	}()
	go func() { // a broadcasts to G meanwhile
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, _ = f.ha.Broadcast("G", ModuleSync, []byte("from a"))
			time.Sleep(time.Millisecond)
		}
	}()
	f.sendThenMark(t, f.hb, f.b.id, 200, "b")
	f.sendThenMark(t, f.hc, f.c.id, 200, "c")
	close(stop)
	wg.Wait()
	if f.gBox.count(f.b.id) != 0 {
		t.Fatal("a non-member's G message was delivered")
	}
	st := f.ha.Stats()
	if got := uint64(f.gBox.count(f.c.id)) + st.GroupDropped; got != 400 {
		t.Fatalf("delivered + dropped = %d, want 400", got)
	}
}

// The per-peer decision cache stays bounded whatever groups are looked up.
func TestGroupCacheBounded(t *testing.T) {
	f := newGroupFixture(t, crypto.ECDSA(), nil)
	for i := range 3 * maxCachedGroups {
		if _, err := f.ha.Broadcast(fmt.Sprintf("g%d", i), ModuleSync, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range f.ha.snapshot() {
		if v := p.groups.Load(); v == nil || len(v.verdicts) > maxCachedGroups {
			t.Fatalf("cache of %s: %v", p.id.Short(), v)
		}
	}
}

// BenchmarkGroupMember is the hot path of the inbound check: a cached
// decision, read without a lock.
func BenchmarkGroupMember(b *testing.B) {
	h := &Host{cfg: Config{GroupMembers: func(string, NodeID) error { return nil }}}
	p := &peer{h: h}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if p.member("group0") != nil {
				b.Fatal("not a member")
			}
		}
	})
}

// countingHandler counts the log records with a given message.
type countingHandler struct {
	msg string
	n   *atomic.Int64
}

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.n.Add(1)
	}
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

// A hostile peer cannot flood the log: its group drops are logged at most
// once per peer per interval, however many there are.
func TestGroupDropLogRateLimited(t *testing.T) {
	var logged atomic.Int64
	f := newGroupFixture(t, crypto.ECDSA(), func(c *Config) {
		c.Logger = slog.New(countingHandler{msg: "dropped a message of a group the peer is not a member of", n: &logged})
	})
	start := time.Now()
	f.sendThenMark(t, f.hb, f.b.id, 200, "b")
	// One log, plus one per interval however slow the machine was.
	most := 1 + int64(time.Since(start)/groupLogEvery)
	if st := f.ha.Stats(); st.GroupDropped != 200 {
		t.Fatalf("GroupDropped %d, want 200", st.GroupDropped)
	}
	if n := logged.Load(); n < 1 || n > most {
		t.Fatalf("%d drop logs for 200 drops, want 1 to %d", n, most)
	}
}
