package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/raft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// TestSealAndApplyFollowRules: the leader seals within tx_count_limit;
// replicas reject a block over it (every replica alike), and a node that
// cannot read the rules of a height stops there instead of judging it.
func TestSealAndApplyFollowRules(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, false)
	e := c.Drivers[0]
	halt := errors.New("unsupported compatibility version")
	e.rules = consensus.RulesFunc(func(h uint64) (consensus.Rules, error) {
		if h == 1 {
			return consensus.Rules{MaxTxs: 2, MinSealInterval: 100 * time.Millisecond}, nil
		}
		return consensus.Rules{}, halt
	})
	txs := []*types.Transaction{c.NewTx(100), c.NewTx(100), c.NewTx(100)}
	c.Submit(txs, 0)
	a := &app{e: e, ctx: t.Context()}
	head := c.Nodes[0].Ledger.Head()
	h, raw, err := a.Seal(head, 1000, 1<<20)
	if err != nil || h == nil || len(raw) != 2 {
		t.Fatalf("sealed %d txs, want 2 (tx_count_limit): %v", len(raw), err)
	}

	b := &app{e: c.Drivers[1], ctx: t.Context()}
	c.Drivers[1].rules = e.rules
	three := [][]byte{txs[0].Bytes(), txs[1].Bytes(), txs[2].Bytes()}
	if err := b.Apply(&types.Header{Number: 1}, three); !errors.Is(err, raft.ErrRejected) || !errors.Is(err, consensus.ErrTooManyTxs) {
		t.Fatalf("a block over tx_count_limit: %v", err)
	}
	if err := b.Apply(&types.Header{Number: 2}, three[:1]); !errors.Is(err, halt) || errors.Is(err, raft.ErrRejected) {
		t.Fatalf("a block whose rules cannot be read: %v", err)
	}
	if _, _, err := a.Seal(&types.Header{Number: 1}, 1000, 1<<20); !errors.Is(err, halt) {
		t.Fatalf("sealing where the rules cannot be read: %v", err)
	}
}

// TestFullBlockFollowsRules: the pool holds a full block when its txs
// reach the lower of the core's cap and tx_count_limit, or the byte bound;
// where the rules cannot be read, no block counts as full.
func TestFullBlockFollowsRules(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, false)
	e := c.Drivers[0]
	limit := 0
	e.rules = consensus.RulesFunc(func(h uint64) (consensus.Rules, error) {
		if h == 1 {
			return consensus.Rules{MaxTxs: limit}, nil
		}
		return consensus.Rules{}, errors.New("unreadable")
	})
	txs := []*types.Transaction{c.NewTx(100), c.NewTx(100), c.NewTx(100)}
	c.Submit(txs, 0)
	a := &app{e: e, ctx: t.Context()}
	head := c.Nodes[0].Ledger.Head()
	size := 0 // the txs' encodings differ by a byte or so (their signatures)
	for _, tx := range txs {
		size += len(tx.Bytes())
	}
	for _, tc := range []struct {
		limit, maxTxs, maxBytes int
		want                    bool
	}{
		{0, 1000, 1 << 20, false}, // 3 txs of 1000
		{0, 3, 1 << 20, true},     // the core's cap
		{4, 3, 1 << 20, true},
		{2, 1000, 1 << 20, true}, // tx_count_limit
		{4, 1000, 1 << 20, false},
		{0, 1000, size, true}, // the byte bound
		{0, 1000, size + 1, false},
	} {
		limit = tc.limit
		if got := a.FullBlock(head, tc.maxTxs, tc.maxBytes); got != tc.want {
			t.Errorf("tx_count_limit %d, cap %d txs and %d bytes: FullBlock %v, want %v", tc.limit, tc.maxTxs, tc.maxBytes, got, tc.want)
		}
	}
	if a.FullBlock(&types.Header{Number: 1}, 1, 1<<20) {
		t.Error("a full block where the rules cannot be read")
	}
}

// TestMinSealFollowsRules: the leader's minimum seal interval follows the
// value in force.
func TestMinSealFollowsRules(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, false)
	e := c.Drivers[0]
	e.rules = consensus.RulesFunc(func(uint64) (consensus.Rules, error) {
		return consensus.Rules{MinSealInterval: 200 * time.Millisecond}, nil
	})
	core, err := raft.New(e.ccfg, kvStore{e.kv}, &app{e: e, ctx: t.Context()}, coreTransport{e})
	if err != nil {
		t.Fatal(err)
	}
	e.core = core
	e.applyTiming(1)
	if e.ccfg.MinSealInterval != 200*time.Millisecond || e.ccfg.MinSealTicks != 0 { // by the clock, not in ticks
		t.Fatalf("MinSealInterval %v, MinSealTicks %d; want 200ms, 0", e.ccfg.MinSealInterval, e.ccfg.MinSealTicks)
	}
}

// TestElectionTimeoutFollowsRules: consensus_timeout_ms in force sets the
// driver's tick so that ElectionTicks ticks last it; heartbeats stay a
// tenth of it, and the seal and sync intervals keep their length.
func TestElectionTimeoutFollowsRules(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, false)
	e := c.Drivers[0]
	if e.ccfg.ElectionTicks != 10 || e.ccfg.HeartbeatTicks != 1 || e.ccfg.SyncTicks != 20 {
		t.Fatalf("test assumes the default raft config, have %+v", e.ccfg)
	}
	e.rules = consensus.RulesFunc(func(h uint64) (consensus.Rules, error) {
		switch {
		case h < 3:
			return consensus.Rules{MinSealInterval: 400 * time.Millisecond}, nil // no timeout: the configured tick
		case h < 5:
			return consensus.Rules{ConsensusTimeout: 2 * time.Second, MinSealInterval: 400 * time.Millisecond}, nil
		default:
			return consensus.Rules{ConsensusTimeout: 30 * time.Millisecond}, nil
		}
	})
	core, err := raft.New(e.ccfg, kvStore{e.kv}, &app{e: e, ctx: t.Context()}, coreTransport{e})
	if err != nil {
		t.Fatal(err)
	}
	e.core = core
	check := func(height uint64, tick, election, seal time.Duration, sync uint64) {
		t.Helper()
		e.applyTiming(height)
		s := e.Stats()
		if s.Tick != tick || s.ElectionTimeout != election || e.ccfg.MinSealInterval != seal || e.ccfg.SyncTicks != sync {
			t.Fatalf("height %d: tick %v, election timeout %v, seal %v, sync %d ticks; want %v, %v, %v, %d",
				height, s.Tick, s.ElectionTimeout, e.ccfg.MinSealInterval, e.ccfg.SyncTicks, tick, election, seal, sync)
		}
	}
	const seal = 400 * time.Millisecond
	check(1, 20*time.Millisecond, 200*time.Millisecond, seal, 20) // the configured 20 ms tick
	check(3, 200*time.Millisecond, 2*time.Second, seal, 2)        // 2 s: ten 200 ms ticks
	check(4, 200*time.Millisecond, 2*time.Second, seal, 2)
	check(5, minTick, 10*minTick, 0, 80) // under ten minimum ticks: the minimum
	check(2, 20*time.Millisecond, 200*time.Millisecond, seal, 20)
}

// TestRunningDriversFollowTimeout: running drivers take a new consensus
// timeout from the block it applies at (block 2 here, so after block 1 is
// committed) and go on committing with it.
func TestRunningDriversFollowTimeout(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, false)
	rules := consensus.RulesFunc(func(h uint64) (consensus.Rules, error) {
		if h < 2 {
			return consensus.Rules{ConsensusTimeout: 200 * time.Millisecond}, nil
		}
		return consensus.Rules{ConsensusTimeout: 400 * time.Millisecond}, nil
	})
	all := []int{0, 1, 2}
	for _, i := range all {
		c.Start(i, func(p *Params) { p.Rules = rules })
		if s := c.Drivers[i].Stats(); s.ElectionTimeout != 200*time.Millisecond {
			t.Fatalf("node %d starts with election timeout %v, want the 200 ms of block 1", i, s.ElectionTimeout)
		}
	}
	first := []*types.Transaction{c.NewTx(500)}
	c.Submit(first, all...)
	c.WaitCommitted(first, all...)
	for _, i := range all { // the driver applies it right after the commit
		deadline := time.Now().Add(30 * time.Second)
		for {
			s := c.Drivers[i].Stats()
			if s.ElectionTimeout == 400*time.Millisecond && s.Tick == 40*time.Millisecond {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d at block %d: election timeout %v, tick %v; want 400 ms, 40 ms", i, c.Nodes[i].Ledger.Height(), s.ElectionTimeout, s.Tick)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// With the longer tick the cluster still elects (after a leader stops)
	// and commits.
	ld := c.leader()
	c.Stop(ld)
	rest := []int{}
	for _, i := range all {
		if i != ld {
			rest = append(rest, i)
		}
	}
	more := []*types.Transaction{c.NewTx(500)}
	c.Submit(more, rest...)
	c.WaitCommitted(more, rest...)
}
