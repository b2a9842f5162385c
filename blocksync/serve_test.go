package blocksync

import (
	"sync"
	"testing"

	"github.com/gobcos/gobcos/crypto"
)

// captureTransport records what a syncer sends; sends to blockPeer block
// on release after signalling entered (once).
type captureTransport struct {
	mu        sync.Mutex
	sent      map[PeerID][][]byte
	blockPeer PeerID
	entered   chan struct{}
	release   chan struct{}
	blocked   bool
	peers     []PeerID
}

func (c *captureTransport) Send(to PeerID, payload []byte) error {
	c.mu.Lock()
	if c.sent == nil {
		c.sent = make(map[PeerID][][]byte)
	}
	c.sent[to] = append(c.sent[to], payload)
	block := to == c.blockPeer && !c.blocked
	if block {
		c.blocked = true
	}
	c.mu.Unlock()
	if block {
		c.entered <- struct{}{}
		<-c.release
	}
	return nil
}

func (c *captureTransport) Peers() []PeerID { return c.peers }

func (c *captureTransport) responses(t *testing.T, to PeerID, maxSize int) []*BlocksMsg {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*BlocksMsg
	for _, p := range c.sent[to] {
		if len(p) > maxSize {
			t.Errorf("response of %d bytes over the message limit %d", len(p), maxSize)
		}
		m, err := DecodeMessage(p, maxSize)
		if err != nil {
			t.Fatalf("undecodable response: %v", err)
		}
		if m.Kind == KindBlocks {
			out = append(out, m.Blocks)
		}
	}
	return out
}

func (c *captureTransport) count(to PeerID) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sent[to])
}

func startServer(t *testing.T, c *testChain, upto int, cfg Config, tr Transport) *Syncer {
	t.Helper()
	s, err := New(Params{Config: cfg, Suite: c.suite, Ledger: ledgerAdapter{c.newLedger(t, upto)},
		Executor: &fakeExec{suite: c.suite}, Transport: tr, Sealers: StaticSealers(c.pubs), Clock: newManualClock()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

func askBlocks(t *testing.T, s *Syncer, from PeerID, id, start, count uint64) {
	t.Helper()
	p, err := EncodeMessage(&Message{Kind: KindGetBlocks, GetBlocks: &GetBlocksMsg{ID: id, From: start, Count: count}})
	if err != nil {
		t.Fatal(err)
	}
	s.HandleMessage(from, p)
}

func waitServed(t *testing.T, s *Syncer, n uint64) {
	t.Helper()
	waitFor(t, nil, "requests served", func() bool { return s.Stats().Served >= n })
}

func TestServeRespectsLimits(t *testing.T) {
	c := newTestChain(t, newSealers(t, crypto.ECDSA(), 4), 1_700_000_000, 60)
	cfg := testConfig()
	cfg.MaxBlocksPerRequest = 16
	tr := &captureTransport{}
	s := startServer(t, c, 60, cfg, tr)

	askBlocks(t, s, "p", 1, 1, MaxRequestBlocks) // more than the server serves at once
	askBlocks(t, s, "p", 2, 55, 10)              // past the head
	askBlocks(t, s, "p", 3, 61, 5)               // nothing there
	waitServed(t, s, 3)
	got := tr.responses(t, "p", cfg.MaxMessageSize)
	if len(got) != 3 {
		t.Fatalf("%d responses, want 3", len(got))
	}
	want := []struct{ id, from, n uint64 }{{1, 1, 16}, {2, 55, 6}, {3, 61, 0}}
	for i, r := range got {
		w := want[i]
		if r.ID != w.id || r.From != w.from || uint64(len(r.Blocks)) != w.n {
			t.Errorf("response %d: id %d from %d with %d blocks, want %+v", i, r.ID, r.From, len(r.Blocks), w)
		}
	}

	// A byte budget smaller than one block still returns one block; a
	// budget of a few blocks is not exceeded.
	one := len(tr.responses(t, "p", cfg.MaxMessageSize)[0].Blocks[0])
	for _, budget := range []int{100, 3*one + 3*blockItemOverhead + blocksFixedOverhead} {
		cfg := testConfig()
		cfg.MaxMessageSize = minMessageSize
		cfg.MaxResponseBytes = budget
		tr := &captureTransport{}
		s := startServer(t, c, 60, cfg, tr)
		askBlocks(t, s, "p", 9, 1, 32)
		waitServed(t, s, 1)
		r := tr.responses(t, "p", cfg.MaxMessageSize)[0]
		size := blocksFixedOverhead
		for _, b := range r.Blocks {
			size += len(b) + blockItemOverhead
		}
		switch {
		case len(r.Blocks) == 0:
			t.Errorf("budget %d: no block served", budget)
		case len(r.Blocks) > 1 && size > budget:
			t.Errorf("budget %d: served %d blocks of %d bytes", budget, len(r.Blocks), size)
		case budget > 3*one && len(r.Blocks) < 2:
			t.Errorf("budget %d: served only %d block", budget, len(r.Blocks))
		}
	}
}

func TestServeQueueLimitPerPeer(t *testing.T) {
	c := newTestChain(t, newSealers(t, crypto.ECDSA(), 4), 1_700_000_000, 10)
	cfg := testConfig()
	cfg.MaxServePerPeer = 2
	cfg.MaxServeQueue = 3
	tr := &captureTransport{blockPeer: "greedy", entered: make(chan struct{}), release: make(chan struct{})}
	s := startServer(t, c, 10, cfg, tr)

	askBlocks(t, s, "greedy", 1, 1, 1)
	<-tr.entered // the server is stuck sending the first answer
	for id := uint64(2); id <= 6; id++ {
		askBlocks(t, s, "greedy", id, 1, 1)
	}
	if got := s.Stats().ServeDropped; got != 3 {
		t.Fatalf("dropped %d of greedy's 5 queued requests, want 3", got)
	}
	askBlocks(t, s, "other", 1, 1, 1) // another peer still gets in
	askBlocks(t, s, "third", 1, 1, 1) // but the queue (3) is now full
	if got := s.Stats().ServeDropped; got != 4 {
		t.Fatalf("dropped %d, want 4", got)
	}
	close(tr.release)
	waitServed(t, s, 4)
	if n := tr.count("greedy"); n != 3 {
		t.Errorf("greedy got %d answers, want 3", n)
	}
	if n := tr.count("other"); n != 1 {
		t.Errorf("other got %d answers, want 1", n)
	}
}

func TestInboundFiltering(t *testing.T) {
	c := newTestChain(t, newSealers(t, crypto.ECDSA(), 4), 1_700_000_000, 2)
	tr := &captureTransport{}
	s := startServer(t, c, 2, testConfig(), tr)
	s.HandleMessage("p", []byte{0xc0})
	s.HandleMessage("p", nil)
	blocks, _ := EncodeMessage(&Message{Kind: KindBlocks, Blocks: &BlocksMsg{ID: 5, From: 1}})
	s.HandleMessage("p", blocks)
	st := s.Stats()
	if st.BadMessages != 2 || st.Unsolicited != 1 {
		t.Errorf("stats %+v: want 2 bad messages and 1 unsolicited response", st)
	}
	// A status from another chain marks the peer and is not followed.
	status, _ := EncodeMessage(&Message{Kind: KindStatus, Status: &StatusMsg{Number: 1000}})
	s.HandleMessage("other-chain", status)
	waitFor(t, nil, "peer marked", func() bool {
		ps := s.Peers()
		return len(ps) == 1 && ps[0].WrongChain
	})
	if st := s.Status(); st.Syncing || st.Highest != 2 || st.Peers != 0 {
		t.Errorf("status %+v", st)
	}
	if tr.count("other-chain") != 0 {
		t.Error("sent to a peer of another chain")
	}
}
