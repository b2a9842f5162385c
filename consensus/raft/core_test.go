package raft

import (
	"errors"
	"slices"
	"testing"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/enginetest"
	"github.com/gobcos/gobcos/types"
)

func TestCommitsSignedBlocks(t *testing.T) {
	c := newCluster(t, 3, 3, nil)
	c.submit(10)
	c.runUntil(300, "commit", func() bool { return c.allCommitted(0, 1, 2) })
	c.sameChains()
	l := c.nodes[0].ledger
	for h := uint64(1); h <= l.Height(); h++ {
		hdr := l.Block(h).Header
		term, index, err := DecodeExtra(hdr.Extra)
		if err != nil || term == 0 || index == 0 {
			t.Fatalf("block %d: extra term %d index %d: %v", h, term, index, err)
		}
		if err := consensus.VerifyCommit(c.suite, hdr, c.pubs, 1); err != nil || len(hdr.Signatures) != 1 {
			t.Fatalf("block %d: %d signatures: %v", h, len(hdr.Signatures), err)
		}
	}
	if st := c.nodes[0].core.Status(); st.Term == 0 || st.Lead == 0 || len(st.Voters) != 3 {
		t.Fatalf("status %+v", st)
	}
}

// TestTamperedBlocksRejected commits entries a leader never makes (bad
// signature, wrong term/index, no signature, a non-member's signature):
// every replica skips them alike, and later blocks still commit.
func TestTamperedBlocksRejected(t *testing.T) {
	c := newCluster(t, 4, 3, nil) // key 3 is not a member
	c.submit(2)
	c.runUntil(300, "first blocks", func() bool { return c.allCommitted(0, 1, 2) })
	ld := c.leader()
	n := c.nodes[ld]
	tampers := map[string]func(h *types.Header){
		"flipped signature": func(h *types.Header) { h.Signatures[0].Signature[5] ^= 1 },
		"wrong index":       func(h *types.Header) { h.Extra = EncodeExtra(1, 1) },
		"no signature":      func(h *types.Header) { h.Signatures = nil },
		"two signatures":    func(h *types.Header) { h.Signatures = append(h.Signatures, h.Signatures[0]) },
		"non-member": func(h *types.Header) {
			sig, _ := consensus.SignCommit(c.suite, c.keys[3], h, 0)
			h.Signatures = []types.CommitSig{sig}
		},
		"altered after signing": func(h *types.Header) { h.Timestamp++ },
	}
	heights := c.heights()
	for name, tamper := range tampers {
		c.next++
		txs := [][]byte{enginetest.MakeTx(c.suite, c.next)}
		head := n.ledger.Head()
		h := enginetest.Execute(c.suite, head, head.Timestamp+1, c.suite.Address(c.pubs[ld]), txs)
		st := n.core.rn.BasicStatus()
		last, _ := n.core.st.LastIndex()
		h.Extra = EncodeExtra(st.HardState.GetTerm(), last+1)
		sig, err := consensus.SignCommit(c.suite, c.keys[ld], h, uint64(ld))
		if err != nil {
			t.Fatal(err)
		}
		h.Signatures = []types.CommitSig{sig}
		tamper(h)
		if err := n.core.rn.Propose(encodeBlockEntry(h, txs)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c.run(30)
		if got := c.heights(); !slices.Equal(got[:3], heights[:3]) {
			t.Fatalf("%s: tampered block committed: heights %v, before %v", name, got, heights)
		}
		// Its tx was never submitted to the pool: forget it.
		c.next--
	}
	for i := range 3 {
		if r := c.nodes[i].core.stats.Rejected; r != uint64(len(tampers)) {
			t.Errorf("node %d rejected %d entries, want %d", i, r, len(tampers))
		}
	}
	c.submit(3)
	c.runUntil(300, "commits after tampered entries", func() bool { return c.allCommitted(0, 1, 2) })
	c.sameChains()
}

// TestSyncedBlockChecks: block sync refuses a tampered block.
func TestSyncedBlockChecks(t *testing.T) {
	c := newCluster(t, 3, 3, nil)
	c.cut[2] = true
	c.submit(4)
	c.runUntil(300, "commit without node 2", func() bool { return c.allCommitted(0, 1) })
	b := c.nodes[0].ledger.Block(1)
	n := c.nodes[2]
	for name, tamper := range map[string]func(*types.Header, *[][]byte){
		"state root": func(h *types.Header, _ *[][]byte) { h.StateRoot[0] ^= 1 },
		"signature": func(h *types.Header, _ *[][]byte) {
			h.Signatures[0].Signature = slices.Clone(h.Signatures[0].Signature)
			h.Signatures[0].Signature[3] ^= 1
		},
		"dropped tx":      func(_ *types.Header, txs *[][]byte) { *txs = (*txs)[1:] },
		"no signature":    func(h *types.Header, _ *[][]byte) { h.Signatures = nil },
		"extra truncated": func(h *types.Header, _ *[][]byte) { h.Extra = h.Extra[:8] },
	} {
		hdr := *b.Header
		hdr.Signatures = slices.Clone(hdr.Signatures)
		txs := slices.Clone(b.Txs)
		tamper(&hdr, &txs)
		if err := n.core.SyncBlock(&hdr, txs); !errors.Is(err, ErrBadEntry) {
			t.Errorf("%s: synced block accepted: %v", name, err)
		}
		if n.ledger.Height() != 0 {
			t.Fatalf("%s: ledger moved", name)
		}
	}
	if err := n.core.SyncBlock(b.Header, b.Txs); err != nil || n.ledger.Height() != 1 {
		t.Fatalf("genuine block refused: %v", err)
	}
	if n.core.Err() != nil {
		t.Fatal(n.core.Err())
	}
}

// TestRestartFromPersistedState stops every node and rebuilds each core
// from its store: terms never go back, the chains continue.
func TestRestartFromPersistedState(t *testing.T) {
	c := newCluster(t, 3, 3, func(cfg *Config) { cfg.SnapshotEntries = 5; cfg.KeepEntries = 2 })
	c.submit(20)
	c.runUntil(600, "commit", func() bool { return c.allCommitted(0, 1, 2) })
	terms := make([]uint64, 3)
	for i, n := range c.nodes {
		terms[i] = n.core.Status().Term
		c.stop(i)
	}
	c.msgs = nil
	for i := range c.nodes {
		c.start(i)
		if got := c.nodes[i].core.Status().Term; got != terms[i] {
			t.Fatalf("node %d restarted at term %d, was %d", i, got, terms[i])
		}
	}
	c.submit(10)
	c.runUntil(600, "commit after restart", func() bool { return c.allCommitted(0, 1, 2) })
	c.sameChains()
	// Restart one node alone in the middle of a run.
	c.stop(1)
	c.submit(5)
	c.runUntil(600, "commit without node 1", func() bool { return c.allCommitted(0, 2) })
	c.start(1)
	c.runUntil(600, "node 1 catches up", func() bool { return c.allCommitted(0, 1, 2) })
	c.sameChains()
}

// TestCommitIndexNotSynced: a Ready that only moves the commit index is
// written without sync (the store fails an unsynced write of entries, a
// term or a vote), and nodes stopped with such writes lost restart and
// go on on the same chain.
func TestCommitIndexNotSynced(t *testing.T) {
	c := newCluster(t, 3, 3, nil)
	c.submit(20)
	c.runUntil(600, "commit", func() bool { return c.allCommitted(0, 1, 2) })
	if c.lazyWrites == 0 || c.syncedWrites == 0 {
		t.Fatalf("%d unsynced and %d synced writes, want both", c.lazyWrites, c.syncedWrites)
	}
	lost := 0
	for i, n := range c.nodes {
		var hs pb.HardState
		if err := proto.Unmarshal(n.store.Get(keyHardState), &hs); err != nil {
			t.Fatal(err)
		}
		if hs.GetCommit() < n.core.rn.Status().GetCommit() {
			lost++
		}
		c.stop(i)
	}
	if lost == 0 {
		t.Fatal("every node's commit index was durable at the stop: the restart tests nothing")
	}
	c.msgs = nil
	for i := range c.nodes {
		c.start(i)
	}
	c.submit(10)
	c.runUntil(600, "commit after restart", func() bool { return c.allCommitted(0, 1, 2) })
	c.sameChains()
}

// TestSnapshotCatchUp isolates a node while the others commit and compact
// their logs: on return it receives a snapshot, fetches the blocks below
// it by sync, then follows the log.
func TestSnapshotCatchUp(t *testing.T) {
	c := newCluster(t, 3, 3, func(cfg *Config) { cfg.SnapshotEntries = 4; cfg.KeepEntries = 0; cfg.MaxBlockTxs = 1 })
	c.submit(1)
	c.runUntil(300, "first block", func() bool { return c.allCommitted(0, 1, 2) })
	lag := (c.leader() + 1) % 3
	c.cut[lag] = true
	c.submit(30)
	others := []int{(lag + 1) % 3, (lag + 2) % 3}
	c.runUntil(1500, "commit without the lagging node", func() bool { return c.allCommitted(others...) })
	for _, i := range others {
		n := c.nodes[i]
		if n.core.stats.Snapshots == 0 {
			t.Fatalf("node %d took no snapshot", i)
		}
		if e := countEntries(n.store, n.core); e > 10 {
			t.Fatalf("node %d keeps %d log entries after compaction", i, e)
		}
	}
	delete(c.cut, lag)
	c.submit(3)
	c.runUntil(1500, "lagging node catches up", func() bool { return c.allCommitted(0, 1, 2) })
	c.sameChains()
	n := c.nodes[lag]
	if n.core.stats.SnapInstalls == 0 || n.core.stats.Synced == 0 {
		t.Fatalf("lagging node caught up without snapshot and sync: %+v", n.core.stats)
	}
	// It restarts from its own snapshot too.
	c.stop(lag)
	c.start(lag)
	c.submit(2)
	c.runUntil(600, "commit after restart", func() bool { return c.allCommitted(0, 1, 2) })
}

func countEntries(s *enginetest.Store, core *Core) int {
	n := 0
	for i := uint64(0); i <= core.applied+1; i++ {
		if s.Get(entryKey(i)) != nil {
			n++
		}
	}
	return n
}

func TestConfigValidate(t *testing.T) {
	c := newCluster(t, 1, 1, nil)
	good := c.cfg
	good.Key = c.keys[0]
	for name, f := range map[string]func(*Config){
		"no suite":     func(c *Config) { c.Suite = nil },
		"no key":       func(c *Config) { c.Key = nil },
		"no sealers":   func(c *Config) { c.Sealers = nil },
		"election":     func(c *Config) { c.ElectionTicks = c.HeartbeatTicks },
		"block txs":    func(c *Config) { c.MaxBlockTxs = 0 },
		"snapshot":     func(c *Config) { c.SnapshotEntries = 0 },
		"dup sealers":  func(c *Config) { c.Sealers = [][]byte{c.Sealers[0], c.Sealers[0]} },
		"message size": func(c *Config) { c.MaxMessageSize = 10 },
	} {
		cfg := good
		f(&cfg)
		if err := cfg.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestBadMessages(t *testing.T) {
	c := newCluster(t, 3, 3, nil)
	n := c.nodes[0].core
	for name, data := range map[string][]byte{
		"garbage":  []byte("\xff\xff\xff"),
		"too long": make([]byte, c.cfg.MaxMessageSize+1),
		"empty":    nil, // a message to raft id 0
	} {
		if err := n.Step(c.pubs[1], data); !errors.Is(err, ErrBadMessage) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A genuine message claiming another sender is refused.
	c.record = true
	c.run(60)
	var genuine []byte
	from := -1
	for _, m := range c.sent {
		if m.to == 0 {
			genuine, from = m.data, m.from
		}
	}
	if genuine == nil {
		t.Fatalf("no message to node 0 among %d", len(c.sent))
	}
	if err := n.Step(c.pubs[3-from], genuine); !errors.Is(err, ErrBadMessage) {
		t.Fatalf("message with a forged sender: %v", err)
	}
	if err := n.Step(c.pubs[from], genuine); err != nil {
		t.Fatalf("genuine message: %v", err)
	}
}
