package txgossip

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gobcos/gobcos/network"
)

// recSender records what a Batcher sends; peers are the connected ones.
type recSender struct {
	mu    sync.Mutex
	peers []network.NodeID
	got   map[network.NodeID][][]byte // payloads per peer
}

func newRecSender(peers ...network.NodeID) *recSender {
	return &recSender{peers: peers, got: map[network.NodeID][][]byte{}}
}

func (s *recSender) Broadcast(p []byte, except []network.NodeID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, id := range s.peers {
		if !contains(except, id) {
			s.got[id] = append(s.got[id], p)
			n++
		}
	}
	return n
}

func (s *recSender) Send(to network.NodeID, p []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !contains(s.peers, to) {
		return false
	}
	s.got[to] = append(s.got[to], p)
	return true
}

// txsOf decodes what peer received.
func (s *recSender) txsOf(t *testing.T, peer network.NodeID) (msgs int, txs [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.got[peer] {
		b, err := Decode(p, DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, b...)
	}
	return len(s.got[peer]), txs
}

func id(b byte) network.NodeID { var x network.NodeID; x[0] = 4; x[1] = b; return x }

func tx(i int) []byte { return []byte{0xf8, byte(i), byte(i >> 8), 0xaa} }

// newBatcher makes a batcher over s; a config it refuses fails the test.
func newBatcher(t *testing.T, cfg Config, s Sender) *Batcher {
	t.Helper()
	b, err := NewBatcher(cfg, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runBatcher makes a batcher over s and runs it until the test ends.
func runBatcher(t *testing.T, cfg Config, s Sender) *Batcher {
	t.Helper()
	b := newBatcher(t, cfg, s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return b
}

// TestBatcherFlushesByInterval: a few txs queued together leave in one
// message per peer once the interval passes; Run sends them without a
// Flush call.
func TestBatcherFlushesByInterval(t *testing.T) {
	s := newRecSender(id(1), id(2), id(3))
	b := runBatcher(t, Config{Interval: 20 * time.Millisecond}, s)
	for i := range 50 {
		if !b.Queue(tx(i), network.NodeID{}) {
			t.Fatal("queue refused a tx")
		}
	}
	waitFor(t, func() bool { return b.Stats().Txs == 50 })
	for _, p := range []network.NodeID{id(1), id(2), id(3)} {
		msgs, txs := s.txsOf(t, p)
		if len(txs) != 50 {
			t.Fatalf("peer %d got %d txs", p[1], len(txs))
		}
		// All 50 were queued within one interval unless the machine
		// stalled; either way far fewer messages than txs.
		if msgs >= 50 {
			t.Fatalf("peer %d: %d messages for 50 txs", p[1], msgs)
		}
	}
	if st := b.Stats(); st.Queued != 50 || st.Dropped != 0 || st.Messages != 3*st.Batches {
		t.Fatalf("stats %+v", st)
	}
}

// TestBatcherFlushesWhenFull: reaching FlushTxs sends at once, even with
// an interval far longer than the test.
func TestBatcherFlushesWhenFull(t *testing.T) {
	s := newRecSender(id(1))
	b := runBatcher(t, Config{Interval: time.Hour, FlushTxs: 10}, s)
	// A first tx leaves at once (the node was quiet) and starts the
	// interval; a full batch after it does not wait for the interval.
	b.Queue(tx(100), network.NodeID{})
	waitFor(t, func() bool { return b.Stats().Txs == 1 })
	for i := range 10 {
		b.Queue(tx(i), network.NodeID{})
	}
	waitFor(t, func() bool { return b.Stats().Txs == 11 })
}

// TestBatcherIdleSendsAtOnce: on a quiet node a tx leaves at once, not
// an interval later (here an hour: the test would time out); the txs
// queued right after it wait for the next paced flush, and Flush sends
// them.
func TestBatcherIdleSendsAtOnce(t *testing.T) {
	s := newRecSender(id(1))
	b := runBatcher(t, Config{Interval: time.Hour}, s)
	b.Queue(tx(1), network.NodeID{})
	waitFor(t, func() bool { return b.Stats().Txs == 1 })
	b.Queue(tx(2), network.NodeID{})
	b.Queue(tx(3), network.NodeID{})
	b.Flush()
	msgs, txs := s.txsOf(t, id(1))
	if msgs != 2 || len(txs) != 3 {
		t.Fatalf("%d messages, %d txs", msgs, len(txs))
	}
}

// TestBatcherSplitsByLimits: a flush of more txs or bytes than one batch
// holds makes several batches, each within the limits.
func TestBatcherSplitsByLimits(t *testing.T) {
	s := newRecSender(id(1))
	l := Limits{MaxTxs: 4, MaxBytes: 100}
	b := newBatcher(t, Config{Limits: l, FlushTxs: 100, QueueTxs: 100}, s)
	big := make([]byte, 60)
	big[0] = 0xf8
	b.Queue(big, network.NodeID{})
	for i := range 9 {
		b.Queue(tx(i), network.NodeID{})
	}
	if b.Queue(make([]byte, 200), network.NodeID{}) {
		t.Fatal("a tx no batch holds was queued")
	}
	b.Flush()
	s.mu.Lock()
	payloads := s.got[id(1)]
	s.mu.Unlock()
	total := 0
	for _, p := range payloads {
		txs, err := Decode(p, l)
		if err != nil {
			t.Fatalf("batch beyond limits: %v", err)
		}
		total += len(txs)
	}
	if total != 10 || len(payloads) < 3 {
		t.Fatalf("%d txs in %d batches", total, len(payloads))
	}
	if st := b.Stats(); st.Dropped != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestBatcherSendTo: SendTo sends to the one peer, at once, in batches
// within the limits, drops a tx no batch holds, and counts what a peer
// that is not connected did not take.
func TestBatcherSendTo(t *testing.T) {
	s := newRecSender(id(1), id(2))
	l := Limits{MaxTxs: 4, MaxBytes: 100}
	b := newBatcher(t, Config{Limits: l, FlushTxs: 100, QueueTxs: 100}, s)
	txs := [][]byte{make([]byte, 200)} // no batch holds it
	for i := range 9 {
		txs = append(txs, tx(i))
	}
	if got := b.SendTo(id(1), txs); got != 9 {
		t.Fatalf("SendTo took %d txs; want 9", got)
	}
	msgs, sent := s.txsOf(t, id(1))
	if len(sent) != 9 || msgs != 3 {
		t.Fatalf("peer got %d txs in %d batches; want 9 in 3", len(sent), msgs)
	}
	for i, x := range sent {
		if string(x) != string(tx(i)) {
			t.Fatalf("tx %d differs", i)
		}
	}
	if msgs, _ := s.txsOf(t, id(2)); msgs != 0 {
		t.Fatal("SendTo reached another peer")
	}
	if got := b.SendTo(id(3), txs[1:]); got != 0 {
		t.Fatalf("a peer not connected took %d txs", got)
	}
	if st := b.Stats(); st.Dropped != 1 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestBatcherQueueBound: a full queue drops and counts, without blocking.
func TestBatcherQueueBound(t *testing.T) {
	b := newBatcher(t, Config{FlushTxs: 5, QueueTxs: 5}, newRecSender())
	for i := range 8 {
		b.Queue(tx(i), network.NodeID{})
	}
	if st := b.Stats(); st.Queued != 5 || st.Dropped != 3 {
		t.Fatalf("stats %+v", st)
	}
	b.Flush()
	if !b.Queue(tx(9), network.NodeID{}) {
		t.Fatal("a flushed queue refused a tx")
	}
	if _, err := NewBatcher(Config{FlushTxs: 10, QueueTxs: 5}, newRecSender(), nil); err == nil {
		t.Fatal("queue smaller than a flush accepted")
	}
}

// TestBatcherNoEcho: a tx queued with the peer it came from reaches every
// other peer and never that one.
func TestBatcherNoEcho(t *testing.T) {
	s := newRecSender(id(1), id(2), id(3))
	b := newBatcher(t, Config{}, s)
	b.Queue(tx(1), network.NodeID{}) // from a client
	b.Queue(tx(2), id(1))
	b.Queue(tx(3), id(2))
	b.Flush()
	want := map[byte][]int{1: {1, 3}, 2: {1, 2}, 3: {1, 2, 3}}
	for p, ws := range want {
		_, txs := s.txsOf(t, id(p))
		if len(txs) != len(ws) {
			t.Fatalf("peer %d got %d txs, want %v", p, len(txs), ws)
		}
		for i, w := range ws {
			if txs[i][1] != byte(w) {
				t.Fatalf("peer %d got tx %d, want %v", p, txs[i][1], ws)
			}
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
