package blocksync

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

const chainLen = 200

// errTxRoot is how a tx root mismatch reads.
var errTxRoot = errors.New("but its txs give")

func TestCatchUpFromThreePeers(t *testing.T) {
	sealers := newSealers(t, crypto.ECDSA(), 4)
	c := newTestChain(t, sealers, 1_700_000_000, chainLen)
	net := newMemNet()
	var nodes []*testNode
	for _, id := range []PeerID{"peer1", "peer2", "peer3"} {
		nodes = append(nodes, net.addNode(t, c, id, chainLen, nodeOpt{}))
	}
	// Requests wait until node0 knows all three peers, so the download is
	// spread over them whatever order their statuses arrive in.
	var mu sync.Mutex
	var held [][3]any
	release := false
	net.setIntercept(func(from, to PeerID, payload []byte) bool {
		mu.Lock()
		defer mu.Unlock()
		if m, err := DecodeMessage(payload, DefaultMaxMessageSize); release || err != nil || m.Kind != KindGetBlocks {
			return false
		}
		held = append(held, [3]any{from, to, payload})
		return true
	})
	n0 := net.addNode(t, c, "node0", 0, nodeOpt{})
	nodes = append(nodes, n0)
	waitFor(t, nodes, "node0 to know its peers", func() bool { return n0.syncer.Status().Peers == 3 })
	mu.Lock()
	release = true
	out := held
	mu.Unlock()
	for _, h := range out {
		net.deliverNow(h[0].(PeerID), h[1].(PeerID), h[2].([]byte))
	}

	waitFor(t, nodes, "node0 to catch up", func() bool { return headOf(n0.ledger) == chainLen })
	sameLedger(t, c, n0.ledger, chainLen)
	// Every peer served part of the range: the download ran in parallel.
	for _, p := range nodes[:3] {
		if got := net.receivedCount(p.id, KindGetBlocks); got == 0 {
			t.Errorf("%s got no block request", p.id)
		}
		if p.syncer.Stats().Served == 0 {
			t.Errorf("%s served nothing", p.id)
		}
	}
	waitFor(t, nodes, "status to settle", func() bool {
		st := n0.syncer.Status()
		return !st.Syncing && st.Current == chainLen && st.Highest == chainLen && st.Peers == 3
	})
	st := n0.syncer.Stats()
	if st.Committed != chainLen || st.Penalties != 0 || st.BadBlocks != 0 || st.ApplyFailed != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestFollowGrowingChain: observers that start empty follow a chain that
// grows, fetching from each other as well as from the node that has the
// blocks first.
func TestFollowGrowingChain(t *testing.T) {
	sealers := newSealers(t, crypto.ECDSA(), 4)
	c := newTestChain(t, sealers, 1_700_000_000, 60)
	net := newMemNet()
	src := net.addNode(t, c, "sealer", 60, nodeOpt{})
	nodes := []*testNode{src}
	for _, id := range []PeerID{"obs1", "obs2", "obs3"} {
		nodes = append(nodes, net.addNode(t, c, id, 0, nodeOpt{}))
	}
	all := func(h uint64) func() bool {
		return func() bool {
			for _, n := range nodes {
				if headOf(n.ledger) != h {
					return false
				}
			}
			return true
		}
	}
	waitFor(t, nodes, "observers at 60", all(60))
	// The sealer commits more blocks by consensus; the syncer notices the
	// head moved and announces it.
	c.extend(t, 40)
	c.commitTo(t, src.ledger, 61, 100)
	waitFor(t, nodes, "observers at 100", all(100))
	for _, n := range nodes {
		sameLedger(t, c, n.ledger, 100)
	}
}

// byzantine modes rewrite the blocks a node serves.
type tamperMode int

const (
	forgedCert tamperMode = iota
	wrongParent
	tamperedTxs
)

// byzantineTamper rewrites outgoing block responses. fork is a chain
// certified by the same sealers but from another genesis: its blocks are
// valid on their own and chain among themselves, but not to ours.
func byzantineTamper(t *testing.T, c, fork *testChain, mode tamperMode) func(PeerID, []byte) []byte {
	forger := newSealers(t, c.suite, len(c.sealers))
	var mu sync.Mutex
	return func(_ PeerID, payload []byte) []byte {
		m, err := DecodeMessage(payload, DefaultMaxMessageSize)
		if err != nil || m.Kind != KindBlocks {
			return payload
		}
		mu.Lock()
		defer mu.Unlock()
		for i, raw := range m.Blocks.Blocks {
			b, err := types.DecodeBlock(c.suite, raw)
			if err != nil {
				t.Errorf("byzantine peer decoding its own block: %v", err)
				return payload
			}
			switch mode {
			case forgedCert:
				b.Header.Signatures = nil
				for j := range BFTQuorum(len(forger)) {
					sig, err := consensus.SignCommit(c.suite, forger[j], b.Header, uint64(j))
					if err != nil {
						t.Error(err)
					}
					b.Header.Signatures = append(b.Header.Signatures, sig)
				}
			case wrongParent:
				b = fork.blocks[b.Header.Number]
			case tamperedTxs:
				b.Txs = b.Txs[:len(b.Txs)-1] // every test block has a tx
			}
			m.Blocks.Blocks[i] = types.EncodeBlock(b)
		}
		out, err := EncodeMessage(m)
		if err != nil {
			t.Error(err)
		}
		return out
	}
}

func TestByzantinePeerIsPenalised(t *testing.T) {
	sealers := newSealers(t, crypto.ECDSA(), 4)
	c := newTestChain(t, sealers, 1_700_000_000, chainLen)
	fork := newTestChain(t, sealers, 1_600_000_000, chainLen)
	for _, tc := range []struct {
		name string
		mode tamperMode
		want error
	}{
		{"forged certificate", forgedCert, consensus.ErrBadCommitSignature},
		{"wrong parent", wrongParent, ErrWrongParent},
		{"tampered tx list", tamperedTxs, errTxRoot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net := newMemNet()
			// The byzantine peer is alone until node0 has penalised it.
			byz := net.addNode(t, c, "byz", chainLen, nodeOpt{tamper: byzantineTamper(t, c, fork, tc.mode)})
			n0 := net.addNode(t, c, "node0", 0, nodeOpt{})
			waitFor(t, []*testNode{byz, n0}, "the byzantine peer penalised", func() bool {
				return n0.syncer.Status().Penalised == 1
			})
			h1 := net.addNode(t, c, "honest1", chainLen, nodeOpt{})
			h2 := net.addNode(t, c, "honest2", chainLen, nodeOpt{})
			nodes := []*testNode{byz, h1, h2, n0}
			waitFor(t, nodes, "node0 to catch up", func() bool { return headOf(n0.ledger) == chainLen })
			sameLedger(t, c, n0.ledger, chainLen)
			for _, p := range n0.syncer.Peers() {
				switch p.ID {
				case byz.id:
					if p.Penalties == 0 || !p.Penalised {
						t.Errorf("byzantine peer not penalised: %+v", p)
					}
					if !strings.Contains(p.LastPenalty, tc.want.Error()) {
						t.Errorf("byzantine peer penalised for %q, want %q", p.LastPenalty, tc.want)
					}
				default:
					if p.Penalties != 0 {
						t.Errorf("honest peer penalised: %+v", p)
					}
				}
			}
			st := n0.syncer.Stats()
			if st.BadBlocks == 0 || st.Penalties == 0 {
				t.Errorf("stats %+v", st)
			}
			if s := n0.syncer.Status(); s.Penalised != 1 {
				t.Errorf("status %+v, want one penalised peer", s)
			}
		})
	}
}

func TestPeerThatTimesOut(t *testing.T) {
	sealers := newSealers(t, crypto.ECDSA(), 4)
	c := newTestChain(t, sealers, 1_700_000_000, 50)
	net := newMemNet()
	cfg := testConfig()
	cfg.RequestTimeout = 200 * cfg.TickInterval
	cfg.TimeoutBackoff = cfg.PenaltyDuration // never asked again here
	// "a-silent" announces its head but its answers are lost.
	silent := net.addNode(t, c, "a-silent", 50, nodeOpt{tamper: func(_ PeerID, p []byte) []byte {
		if m, err := DecodeMessage(p, DefaultMaxMessageSize); err == nil && m.Kind == KindBlocks {
			return nil
		}
		return p
	}})
	n0 := net.addNode(t, c, "node0", 0, nodeOpt{cfg: &cfg})
	waitFor(t, []*testNode{silent, n0}, "a request to the silent peer", func() bool {
		return net.receivedCount(silent.id, KindGetBlocks) > 0
	})
	honest := net.addNode(t, c, "honest", 50, nodeOpt{})
	nodes := []*testNode{silent, honest, n0}
	waitFor(t, nodes, "node0 to catch up", func() bool { return headOf(n0.ledger) == 50 })
	sameLedger(t, c, n0.ledger, 50)
	for _, p := range n0.syncer.Peers() {
		if p.ID == silent.id && (p.Timeouts == 0 || p.Penalties != 0) {
			t.Errorf("silent peer %+v: want timeouts and no penalty", p)
		}
	}
	if st := n0.syncer.Stats(); st.Timeouts == 0 {
		t.Errorf("no timeout counted: %+v", st)
	}
}

func TestWipedNodeResyncs(t *testing.T) {
	sealers := newSealers(t, crypto.ECDSA(), 4)
	c := newTestChain(t, sealers, 1_700_000_000, 80)
	net := newMemNet()
	p1 := net.addNode(t, c, "peer1", 80, nodeOpt{})
	p2 := net.addNode(t, c, "peer2", 80, nodeOpt{})
	n0 := net.addNode(t, c, "node0", 0, nodeOpt{})
	waitFor(t, []*testNode{p1, p2, n0}, "first sync", func() bool { return headOf(n0.ledger) == 80 })
	sameLedger(t, c, n0.ledger, 80)

	// Wipe: stop, throw the data away, start again from genesis.
	if err := n0.syncer.Stop(); err != nil {
		t.Fatal(err)
	}
	net.detach(n0.id)
	fresh := net.addNode(t, c, "node0", 0, nodeOpt{})
	if headOf(fresh.ledger) != 0 {
		t.Fatal("fresh ledger is not at genesis")
	}
	waitFor(t, []*testNode{p1, p2, fresh}, "re-sync", func() bool { return headOf(fresh.ledger) == 80 })
	sameLedger(t, c, fresh.ledger, 80)
}

// TestRootMismatchNeverCommits: a node whose execution disagrees with a
// certified header stops before that block and keeps retrying, never
// committing it.
func TestRootMismatchNeverCommits(t *testing.T) {
	sealers := newSealers(t, crypto.ECDSA(), 4)
	c := newTestChain(t, sealers, 1_700_000_000, 20)
	net := newMemNet()
	p1 := net.addNode(t, c, "peer1", 20, nodeOpt{})
	p2 := net.addNode(t, c, "peer2", 20, nodeOpt{})
	n0 := net.addNode(t, c, "node0", 0, nodeOpt{exec: &fakeExec{suite: c.suite, disagreeAt: 5}})
	nodes := []*testNode{p1, p2, n0}
	waitFor(t, nodes, "several failed attempts at block 5", func() bool { return n0.syncer.Stats().ApplyFailed >= 3 })
	if h := headOf(n0.ledger); h != 4 {
		t.Fatalf("head %d, want 4", h)
	}
	st := n0.syncer.Status()
	if !strings.Contains(st.LastError, ErrRootMismatch.Error()) || !st.Syncing || st.Current != 4 {
		t.Errorf("status %+v", st)
	}
	for _, p := range n0.syncer.Peers() {
		if p.Penalties != 0 {
			t.Errorf("peer penalised for a local divergence: %+v", p)
		}
	}
}

// TestOutOfOrderResponses delivers responses to the syncing node in
// reverse order of arrival.
func TestOutOfOrderResponses(t *testing.T) {
	sealers := newSealers(t, crypto.ECDSA(), 4)
	c := newTestChain(t, sealers, 1_700_000_000, 120)
	net := newMemNet()
	cfg := testConfig()
	cfg.MaxBlocksPerRequest = 4
	cfg.MaxInflightPerPeer = 3
	type held struct {
		from    PeerID
		payload []byte
	}
	var mu sync.Mutex
	var hold []held
	reversed := 0
	net.setIntercept(func(from, to PeerID, payload []byte) bool {
		if to != "node0" {
			return false
		}
		m, err := DecodeMessage(payload, DefaultMaxMessageSize)
		if err != nil || m.Kind != KindBlocks {
			return false
		}
		mu.Lock()
		hold = append(hold, held{from, payload})
		var out []held
		if len(hold) == 5 {
			out, hold = hold, nil
			reversed++
		}
		mu.Unlock()
		for i := len(out) - 1; i >= 0; i-- {
			net.deliverNow(out[i].from, to, out[i].payload)
		}
		return true
	})
	flush := func() {
		mu.Lock()
		out := hold
		hold = nil
		mu.Unlock()
		for i := len(out) - 1; i >= 0; i-- {
			net.deliverNow(out[i].from, "node0", out[i].payload)
		}
	}
	var nodes []*testNode
	for _, id := range []PeerID{"peer1", "peer2", "peer3"} {
		nodes = append(nodes, net.addNode(t, c, id, 120, nodeOpt{}))
	}
	n0 := net.addNode(t, c, "node0", 0, nodeOpt{cfg: &cfg})
	nodes = append(nodes, n0)
	waitFor(t, nodes, "node0 to catch up", func() bool {
		if headOf(n0.ledger) == 120 {
			return true
		}
		if n0.syncer.Status().Inflight <= 4 { // fewer requests out than the hold needs
			flush()
		}
		return false
	})
	sameLedger(t, c, n0.ledger, 120)
	mu.Lock()
	defer mu.Unlock()
	if reversed == 0 {
		t.Fatal("no batch of responses was reordered")
	}
	if st := n0.syncer.Stats(); st.Penalties != 0 || st.BadBlocks != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestStartStop(t *testing.T) {
	sealers := newSealers(t, crypto.ECDSA(), 1)
	c := newTestChain(t, sealers, 1_700_000_000, 0)
	mk := func(l Ledger) (*Syncer, error) {
		return New(Params{Config: testConfig(), Suite: c.suite, Ledger: l, Executor: &fakeExec{suite: c.suite},
			Transport: &memTransport{net: newMemNet(), self: "x"}, Sealers: StaticSealers(c.pubs), Clock: newManualClock()})
	}
	s, err := mk(ledgerAdapter{c.newLedger(t, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil { // before Start
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); !errors.Is(err, ErrStopped) {
		t.Fatalf("Start after Stop: %v", err)
	}

	s, _ = mk(ledgerAdapter{c.newLedger(t, 0)})
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); !errors.Is(err, ErrAlreadyStarted) {
		t.Fatalf("second Start: %v", err)
	}
	if !s.Status().Running {
		t.Error("not running after Start")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if s.Status().Running {
		t.Error("running after Stop")
	}

	empty, err := ledgerOpenEmpty(c)
	if err != nil {
		t.Fatal(err)
	}
	s, _ = mk(ledgerAdapter{empty})
	if err := s.Start(t.Context()); !errors.Is(err, ErrNoHead) {
		t.Fatalf("Start on an empty ledger: %v", err)
	}

	if _, err := New(Params{Config: testConfig()}); !errors.Is(err, ErrMissingDep) {
		t.Fatalf("New without deps: %v", err)
	}
	bad := testConfig()
	bad.MaxBlocksPerRequest = MaxRequestBlocks + 1
	if _, err := New(Params{Config: bad}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("New with a bad config: %v", err)
	}
}

func TestBFTQuorum(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 4, 7: 5, 10: 7, 13: 9} {
		if got := BFTQuorum(n); got != want {
			t.Errorf("BFTQuorum(%d) = %d, want %d", n, got, want)
		}
	}
}
