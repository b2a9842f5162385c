package blocksync

import (
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// loopHarness steps a syncer's loop state by hand: no goroutines.
type loopHarness struct {
	t  *testing.T
	c  *testChain
	st *loopState
	tr *captureTransport
}

func newLoopHarness(t *testing.T, c *testChain, cfg Config, peers ...PeerID) *loopHarness {
	t.Helper()
	tr := &captureTransport{peers: peers}
	l := c.newLedger(t, 0)
	s, err := New(Params{Config: cfg, Suite: c.suite, Ledger: ledgerAdapter{l}, Executor: &fakeExec{suite: c.suite},
		Transport: tr, Sealers: StaticSealers(c.pubs), Clock: newManualClock()})
	if err != nil {
		t.Fatal(err)
	}
	h := &loopHarness{t: t, c: c, st: newLoopState(s, c.blocks[0].Header.Hash(c.suite), l.Head()), tr: tr}
	for _, p := range peers {
		h.st.onStatus(p, &StatusMsg{Genesis: h.st.genesis, Number: c.head().Number, Hash: c.head().Hash(c.suite)})
	}
	return h
}

// requests returns the block requests sent to p so far.
func (h *loopHarness) requests(p PeerID) []*GetBlocksMsg {
	h.tr.mu.Lock()
	defer h.tr.mu.Unlock()
	var out []*GetBlocksMsg
	for _, raw := range h.tr.sent[p] {
		m, err := DecodeMessage(raw, DefaultMaxMessageSize)
		if err != nil {
			h.t.Fatal(err)
		}
		if m.Kind == KindGetBlocks {
			out = append(out, m.GetBlocks)
		}
	}
	return out
}

// answer makes p answer request r with the chain's blocks (n of them, or
// all asked when n < 0).
func (h *loopHarness) answer(p PeerID, r *GetBlocksMsg, n int) {
	if n < 0 {
		n = int(r.Count)
	}
	m := &BlocksMsg{ID: r.ID, From: r.From}
	for i := range n {
		m.Blocks = append(m.Blocks, types.EncodeBlock(h.c.blocks[r.From+uint64(i)]))
	}
	h.st.onBlocks(p, m)
}

// commitNext plays the applier committing the block after the head.
func (h *loopHarness) commitNext() {
	f := h.st.readyBlock()
	if f == nil {
		h.t.Fatalf("no block ready after head %d", h.st.head)
	}
	h.st.applying = true
	h.st.onApplied(applyResult{f: f, outcome: applyCommitted})
	h.st.applying = false
}

func (h *loopHarness) checkBounds() {
	h.t.Helper()
	cfg := h.st.s.cfg
	if len(h.st.buffer) > cfg.MaxBufferedBlocks {
		h.t.Fatalf("%d blocks buffered, limit %d", len(h.st.buffer), cfg.MaxBufferedBlocks)
	}
	for n := range h.st.buffer {
		if n <= h.st.head || n > h.st.head+uint64(cfg.MaxBufferedBlocks) {
			h.t.Fatalf("block %d buffered with head %d", n, h.st.head)
		}
	}
	for n := range h.st.assigned {
		if n > h.st.head+uint64(cfg.MaxBufferedBlocks) {
			h.t.Fatalf("block %d requested with head %d", n, h.st.head)
		}
	}
	for _, ps := range h.st.peers {
		if ps.inflight > cfg.MaxInflightPerPeer {
			h.t.Fatalf("%d requests to %s", ps.inflight, ps.id)
		}
	}
}

func loopConfig() Config {
	cfg := testConfig()
	cfg.MaxBlocksPerRequest = 16
	cfg.MaxInflightPerPeer = 2
	cfg.MaxBufferedBlocks = 64
	return cfg
}

func TestLoopSchedulesParallelAndBuffersOutOfOrder(t *testing.T) {
	c := newTestChain(t, newSealers(t, crypto.ECDSA(), 4), 1_700_000_000, 100)
	h := newLoopHarness(t, c, loopConfig(), "p1", "p2", "p3")
	h.st.schedule()
	h.checkBounds()
	// The window (64 blocks) is split in runs of 16 over the least loaded peers.
	want := map[PeerID][][2]uint64{"p1": {{1, 16}, {49, 16}}, "p2": {{17, 16}}, "p3": {{33, 16}}}
	for p, ranges := range want {
		got := h.requests(p)
		if len(got) != len(ranges) {
			t.Fatalf("%s got %d requests, want %d", p, len(got), len(ranges))
		}
		for i, r := range ranges {
			if got[i].From != r[0] || got[i].Count != r[1] {
				t.Fatalf("%s request %d: from %d count %d, want %v", p, i, got[i].From, got[i].Count, r)
			}
		}
	}
	// Answers arrive in reverse order; nothing applies until block 1 is in.
	h.answer("p1", h.requests("p1")[1], -1)
	h.answer("p3", h.requests("p3")[0], -1)
	h.answer("p2", h.requests("p2")[0], -1)
	if h.st.readyBlock() != nil {
		t.Fatal("a block is ready before block 1 arrived")
	}
	h.st.schedule()
	h.checkBounds()
	if len(h.tr.sent["p2"])+len(h.tr.sent["p3"]) != 4 { // status + one request each
		t.Fatal("requests beyond the window")
	}
	h.answer("p1", h.requests("p1")[0], -1)
	if len(h.st.buffer) != 64 {
		t.Fatalf("%d blocks buffered, want 64", len(h.st.buffer))
	}
	// Applying slides the window; a new request goes out only once a full
	// run fits.
	for range 15 {
		h.commitNext()
		h.st.schedule()
		h.checkBounds()
	}
	if len(h.st.reqs) != 0 {
		t.Fatalf("asked a short run at the window's edge: %+v", h.st.reqs)
	}
	h.commitNext()
	h.st.schedule()
	h.checkBounds()
	if len(h.st.reqs) != 1 {
		t.Fatalf("%d requests after the head moved 16, want 1", len(h.st.reqs))
	}
	for _, r := range h.st.reqs {
		if r.from != 65 || r.count != 16 {
			t.Fatalf("request %+v, want 65..80", r)
		}
	}
}

func TestLoopTimeoutReassigns(t *testing.T) {
	c := newTestChain(t, newSealers(t, crypto.ECDSA(), 4), 1_700_000_000, 10)
	h := newLoopHarness(t, c, loopConfig(), "p1", "p2")
	h.st.schedule()
	first := h.requests("p1")
	if len(first) != 1 || first[0].From != 1 || first[0].Count != 10 {
		t.Fatalf("p1 requests %+v", first)
	}
	for range h.st.s.timeoutTicks {
		h.st.onTick()
	}
	h.st.schedule()
	again := h.requests("p2")
	if len(again) != 1 || again[0].From != 1 || again[0].Count != 10 {
		t.Fatalf("after the timeout p2 got %+v", again)
	}
	if ps := h.st.peers["p1"]; ps.timeouts != 1 || ps.inflight != 0 || ps.penalties != 0 {
		t.Fatalf("p1 %+v", ps)
	}
	// The late answer is ignored; the new one is used.
	h.answer("p1", first[0], -1)
	if len(h.st.buffer) != 0 || h.st.s.Stats().Unsolicited != 1 {
		t.Fatalf("late answer used: %d buffered", len(h.st.buffer))
	}
	h.answer("p2", again[0], -1)
	if len(h.st.buffer) != 10 {
		t.Fatalf("%d buffered, want 10", len(h.st.buffer))
	}
}

func TestLoopPenaliseDropsPeerData(t *testing.T) {
	c := newTestChain(t, newSealers(t, crypto.ECDSA(), 4), 1_700_000_000, 64)
	h := newLoopHarness(t, c, loopConfig(), "p1", "p2")
	h.st.schedule() // p1: 1-16, 33-48; p2: 17-32, 49-64
	p1, p2 := h.requests("p1"), h.requests("p2")
	h.answer("p1", p1[1], -1) // 33..48 buffered from p1
	h.answer("p2", p2[0], -1) // 17..32 from p2
	// p2 answers its second request with a block whose txs were cut.
	bad := &BlocksMsg{ID: p2[1].ID, From: p2[1].From}
	for n := p2[1].From; n < p2[1].From+p2[1].Count; n++ {
		b := *c.blocks[n]
		if n == 60 {
			b.Txs = b.Txs[:0]
		}
		bad.Blocks = append(bad.Blocks, types.EncodeBlock(&b))
	}
	h.st.onBlocks("p2", bad)
	ps := h.st.peers["p2"]
	if ps.penalties != 1 || !h.st.banned(ps) {
		t.Fatalf("p2 %+v not penalised", ps)
	}
	for n, f := range h.st.buffer {
		if f.from == "p2" {
			t.Fatalf("block %d from the penalised peer kept", n)
		}
	}
	if len(h.st.buffer) != 16 {
		t.Fatalf("%d buffered, want p1's 16", len(h.st.buffer))
	}
	// Status from a penalised peer is ignored; its ranges go to p1.
	h.st.onStatus("p2", &StatusMsg{Genesis: h.st.genesis, Number: 1000})
	if h.st.highest() != 64 {
		t.Fatalf("highest %d after a penalised peer's status", h.st.highest())
	}
	h.answer("p1", p1[0], -1)
	h.st.schedule()
	for n := uint64(17); n <= 32; n++ {
		if id, ok := h.st.assigned[n]; !ok || h.st.reqs[id].peer != "p1" {
			t.Fatalf("block %d not asked of p1", n)
		}
	}
}

func TestLoopAnswerChecks(t *testing.T) {
	c := newTestChain(t, newSealers(t, crypto.ECDSA(), 4), 1_700_000_000, 8)
	other := newTestChain(t, newSealers(t, crypto.ECDSA(), 4), 1_700_000_000, 8)
	for _, tc := range []struct {
		name   string
		mangle func(r *GetBlocksMsg) *BlocksMsg
	}{
		{"more than asked", func(r *GetBlocksMsg) *BlocksMsg {
			m := &BlocksMsg{ID: r.ID, From: r.From}
			for n := r.From; n <= r.From+r.Count; n++ {
				m.Blocks = append(m.Blocks, []byte{0xc0})
			}
			return m
		}},
		{"other start", func(r *GetBlocksMsg) *BlocksMsg {
			return &BlocksMsg{ID: r.ID, From: r.From + 1, Blocks: [][]byte{types.EncodeBlock(c.blocks[2])}}
		}},
		{"wrong number", func(r *GetBlocksMsg) *BlocksMsg {
			return &BlocksMsg{ID: r.ID, From: r.From, Blocks: [][]byte{types.EncodeBlock(c.blocks[2])}}
		}},
		{"undecodable", func(r *GetBlocksMsg) *BlocksMsg {
			return &BlocksMsg{ID: r.ID, From: r.From, Blocks: [][]byte{{0x01, 0x02}}}
		}},
		{"gap inside", func(r *GetBlocksMsg) *BlocksMsg {
			return &BlocksMsg{ID: r.ID, From: r.From, Blocks: [][]byte{types.EncodeBlock(c.blocks[1]), types.EncodeBlock(other.blocks[2])}}
		}},
		{"other sealers", func(r *GetBlocksMsg) *BlocksMsg {
			return &BlocksMsg{ID: r.ID, From: r.From, Blocks: [][]byte{types.EncodeBlock(other.blocks[1])}}
		}},
		{"no certificate", func(r *GetBlocksMsg) *BlocksMsg {
			b := *c.blocks[1]
			hd := *b.Header
			hd.Signatures = hd.Signatures[:BFTQuorum(4)-1]
			b.Header = &hd
			return &BlocksMsg{ID: r.ID, From: r.From, Blocks: [][]byte{types.EncodeBlock(&b)}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newLoopHarness(t, c, loopConfig(), "p1")
			h.st.schedule()
			r := h.requests("p1")[0]
			h.st.onBlocks("p1", tc.mangle(r))
			if ps := h.st.peers["p1"]; ps.penalties != 1 || len(h.st.buffer) != 0 {
				t.Fatalf("peer %+v, %d buffered", ps, len(h.st.buffer))
			}
		})
	}
	// An empty answer is no offence: the peer just lacks the blocks.
	h := newLoopHarness(t, c, loopConfig(), "p1")
	h.st.schedule()
	h.answer("p1", h.requests("p1")[0], 0)
	if ps := h.st.peers["p1"]; ps.penalties != 0 || ps.head != 0 {
		t.Fatalf("after an empty answer: %+v", ps)
	}
}

// TestLoopLeavesNearBlocksToEngine: while peers are fewer than CatchUpGap
// blocks ahead and the consensus engine is committing, nothing is fetched;
// once the engine has committed nothing for CatchUpDelay, or a peer is
// CatchUpGap blocks ahead, blocks are fetched.
func TestLoopLeavesNearBlocksToEngine(t *testing.T) {
	c := newTestChain(t, newSealers(t, crypto.ECDSA(), 4), 1_700_000_000, 8)
	cfg := loopConfig() // CatchUpDelay 500 ms in ticks of 10 ms, CatchUpGap 3
	delay := cfg.ticks(cfg.CatchUpDelay)
	h := newLoopHarness(t, c, cfg, "p1")
	l := h.st.s.ledger.(ledgerAdapter).l
	// The engine commits up to 6; p1 is at 8.
	h.st.onStatus("p1", &StatusMsg{Genesis: h.st.genesis, Number: 6, Hash: c.blocks[6].Header.Hash(c.suite)})
	c.commitTo(t, l, 1, 5)
	h.st.onTick()
	h.st.schedule()
	if h.st.head != 5 || len(h.requests("p1")) != 0 {
		t.Fatalf("head %d, %d requests; want head 5 and none (p1 is 1 block ahead)", h.st.head, len(h.requests("p1")))
	}
	for i := int64(1); i < delay; i++ {
		h.st.onTick()
		h.st.schedule()
		if i == delay/2 {
			c.commitTo(t, l, 6, 6) // the engine keeps up: the wait restarts
			h.st.onStatus("p1", &StatusMsg{Genesis: h.st.genesis, Number: 7, Hash: c.blocks[7].Header.Hash(c.suite)})
		}
	}
	if h.st.head != 6 || len(h.requests("p1")) != 0 {
		t.Fatalf("head %d, %d requests while the engine commits; want head 6 and none", h.st.head, len(h.requests("p1")))
	}
	for i := int64(0); i < delay && len(h.requests("p1")) == 0; i++ {
		h.st.onTick()
		h.st.schedule()
	}
	got := h.requests("p1")
	if len(got) != 1 || got[0].From != 7 || got[0].Count != 1 {
		t.Fatalf("requests after the engine stalled: %+v; want block 7", got)
	}
	// A peer CatchUpGap blocks ahead is fetched from at once, even right
	// after an engine commit.
	h2 := newLoopHarness(t, c, cfg, "p1")
	h2.st.onStatus("p1", &StatusMsg{Genesis: h2.st.genesis, Number: 8, Hash: c.blocks[8].Header.Hash(c.suite)})
	c.commitTo(t, h2.st.s.ledger.(ledgerAdapter).l, 1, 5)
	h2.st.onTick()
	h2.st.schedule()
	if got := h2.requests("p1"); h2.st.head != 5 || len(got) != 1 || got[0].From != 6 || got[0].Count != 3 {
		t.Fatalf("head %d, requests %+v; want blocks 6 to 8 at once", h2.st.head, got)
	}
	// A node whose engine commits nothing (an observer) fetches the next
	// block at once.
	h3 := newLoopHarness(t, c, cfg, "p1")
	h3.st.onStatus("p1", &StatusMsg{Genesis: h3.st.genesis, Number: 1, Hash: c.blocks[1].Header.Hash(c.suite)})
	h3.st.schedule()
	if got := h3.requests("p1"); len(got) != 1 || got[0].From != 1 {
		t.Fatalf("observer requests %+v; want block 1 at once", got)
	}
	// With no CatchUpDelay every block is fetched at once.
	cfg.CatchUpDelay = 0
	h4 := newLoopHarness(t, c, cfg, "p1")
	h4.st.onStatus("p1", &StatusMsg{Genesis: h4.st.genesis, Number: 6, Hash: c.blocks[6].Header.Hash(c.suite)})
	c.commitTo(t, h4.st.s.ledger.(ledgerAdapter).l, 1, 5)
	h4.st.onTick()
	h4.st.schedule()
	if got := h4.requests("p1"); len(got) != 1 || got[0].From != 6 {
		t.Fatalf("requests with no delay %+v; want block 6 at once", got)
	}
}

// TestLoopWaitFollowsEngineInterval: an engine whose commits come further
// apart than CatchUpDelay (full blocks on a loaded machine) is waited for
// up to twice its interval, at most catchUpGrowth x CatchUpDelay, before
// the blocks peers announce are fetched.
func TestLoopWaitFollowsEngineInterval(t *testing.T) {
	c := newTestChain(t, newSealers(t, crypto.ECDSA(), 4), 1_700_000_000, 10)
	cfg := loopConfig() // CatchUpDelay 500 ms in ticks of 10 ms, CatchUpGap 3
	delay := cfg.ticks(cfg.CatchUpDelay)
	interval := delay * 3 / 2
	h := newLoopHarness(t, c, cfg, "p1")
	l := h.st.s.ledger.(ledgerAdapter).l
	tick := func(n int64) {
		for range n {
			h.st.onTick()
			h.st.schedule()
		}
	}
	// The engine commits a block every 1.5 x CatchUpDelay; once that is
	// seen, p1 is always one block ahead, as a peer that commits a moment
	// earlier is.
	h.st.onStatus("p1", &StatusMsg{Genesis: h.st.genesis, Number: 1, Hash: c.blocks[1].Header.Hash(c.suite)})
	c.commitTo(t, l, 1, 1)
	tick(interval)
	c.commitTo(t, l, 2, 2)
	tick(1)
	for n := uint64(3); n <= 6; n++ {
		h.st.onStatus("p1", &StatusMsg{Genesis: h.st.genesis, Number: n, Hash: c.blocks[n].Header.Hash(c.suite)})
		tick(interval)
		c.commitTo(t, l, int(n), int(n))
		tick(1)
		if got := h.requests("p1"); len(got) != 0 {
			t.Fatalf("requests %+v after the engine committed block %d; want none while it commits every %d ticks", got, n, interval)
		}
	}
	// The engine stops: block 7 is fetched once twice the interval (as
	// seen at ticks) passed.
	h.st.onStatus("p1", &StatusMsg{Genesis: h.st.genesis, Number: 7, Hash: c.blocks[7].Header.Hash(c.suite)})
	tick(2*interval - 2)
	if got := h.requests("p1"); len(got) != 0 {
		t.Fatalf("requests %+v before twice the engine's interval passed", got)
	}
	for i := 0; i < 10 && len(h.requests("p1")) == 0; i++ {
		tick(1)
	}
	if got := h.requests("p1"); len(got) != 1 || got[0].From != 7 {
		t.Fatalf("requests %+v once the engine stalled; want block 7", got)
	}

	// However slow the engine was, the wait is at most catchUpGrowth x
	// CatchUpDelay.
	h2 := newLoopHarness(t, c, cfg, "p1")
	l2 := h2.st.s.ledger.(ledgerAdapter).l
	h2.st.onStatus("p1", &StatusMsg{Genesis: h2.st.genesis, Number: 1, Hash: c.blocks[1].Header.Hash(c.suite)})
	c.commitTo(t, l2, 1, 2)
	h2.st.onTick()
	for range 20 * delay {
		h2.st.onTick()
	}
	c.commitTo(t, l2, 3, 3)
	h2.st.onStatus("p1", &StatusMsg{Genesis: h2.st.genesis, Number: 4, Hash: c.blocks[4].Header.Hash(c.suite)})
	for i := int64(0); i <= catchUpGrowth*delay+1 && len(h2.requests("p1")) == 0; i++ {
		h2.st.onTick()
		h2.st.schedule()
	}
	if got := h2.requests("p1"); len(got) != 1 || got[0].From != 4 {
		t.Fatalf("requests %+v after %d x CatchUpDelay; want block 4", got, catchUpGrowth)
	}
}

// TestLoopHeadReadBeforeScheduling: the engine commits several blocks
// between two ticks of the syncer (small blocks come every few tens of
// milliseconds); a peer's status that arrives then is measured against
// the ledger's head, not the head seen at the last tick, so a peer one
// block ahead of the engine is not taken for one CatchUpGap ahead and no
// block the engine is committing is fetched.
func TestLoopHeadReadBeforeScheduling(t *testing.T) {
	c := newTestChain(t, newSealers(t, crypto.ECDSA(), 4), 1_700_000_000, 8)
	cfg := loopConfig() // CatchUpDelay 500 ms in ticks of 10 ms, CatchUpGap 3
	h := newLoopHarness(t, c, cfg, "p1")
	l := h.st.s.ledger.(ledgerAdapter).l
	h.st.onStatus("p1", &StatusMsg{Genesis: h.st.genesis, Number: 2, Hash: c.blocks[2].Header.Hash(c.suite)})
	c.commitTo(t, l, 1, 1)
	h.st.onTick()
	h.st.schedule()
	if h.st.head != 1 || len(h.requests("p1")) != 0 {
		t.Fatalf("head %d, requests %+v; want head 1 and none", h.st.head, h.requests("p1"))
	}
	// Before the next tick the engine commits up to 5 and p1 announces 6.
	c.commitTo(t, l, 2, 5)
	h.st.onStatus("p1", &StatusMsg{Genesis: h.st.genesis, Number: 6, Hash: c.blocks[6].Header.Hash(c.suite)})
	h.st.schedule()
	if got := h.requests("p1"); h.st.head != 5 || len(got) != 0 {
		t.Fatalf("head %d, requests %+v; want head 5 and none (p1 is 1 block ahead of the engine)", h.st.head, got)
	}
	if f := h.st.readyBlock(); f != nil {
		t.Fatalf("block %d handed to the applier; the engine committed it", f.block.Header.Number)
	}
}
