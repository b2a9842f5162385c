package raft

import (
	"testing"
	"time"
)

// TestMinSealIntervalByClock: with MinSealInterval, a leader seals its next
// block only once the interval has passed on its clock since it sealed the
// last one, however many ticks go by; SealWait tells the driver how long
// is left while a block waits. The pool never holds a full block here
// (blocks of up to 2 txs, one tx waiting at a time).
func TestMinSealIntervalByClock(t *testing.T) {
	const interval = 250 * time.Millisecond
	clock := time.Unix(1_000_000, 0)
	c := newCluster(t, 3, 3, func(cfg *Config) {
		cfg.MaxBlockTxs = 2
		cfg.MinSealInterval = interval
		cfg.Now = func() time.Time { return clock }
	})
	c.submit(1)
	c.runUntil(300, "a leader's first block", func() bool { return c.nodes[0].ledger.Height() >= 1 })
	l := c.leader()
	if l < 0 {
		t.Fatal("no leader")
	}
	c.submit(1)
	c.run(30) // many ticks, no time: no second block
	if h := c.nodes[l].ledger.Height(); h != 1 {
		t.Fatalf("height %d before the interval passed", h)
	}
	if w := c.nodes[l].core.SealWait(); w != interval {
		t.Fatalf("SealWait %v, want %v", w, interval)
	}
	clock = clock.Add(interval - time.Millisecond)
	c.run(5)
	if h := c.nodes[l].ledger.Height(); h != 1 {
		t.Fatalf("height %d a millisecond before the interval ends", h)
	}
	if w := c.nodes[l].core.SealWait(); w != time.Millisecond {
		t.Fatalf("SealWait %v, want 1ms", w)
	}
	clock = clock.Add(time.Millisecond)
	c.runUntil(50, "the second block once the interval passed", func() bool { return c.nodes[l].ledger.Height() >= 2 })
	c.submit(1)
	c.run(5)
	if h := c.nodes[l].ledger.Height(); h != 2 {
		t.Fatalf("height %d: sealed more than one block in one interval", h)
	}
	clock = clock.Add(interval)
	c.runUntil(50, "the third block", func() bool { return c.allCommitted(0, 1, 2) })
	clock = clock.Add(interval)
	c.run(2)
	if w := c.nodes[l].core.SealWait(); w != 0 {
		t.Fatalf("SealWait %v after the interval, with nothing to seal", w)
	}
	c.sameChains()
}

// TestFullBlockNotHeldByMinSealInterval: a leader whose pool holds a full
// block seals it without waiting for the interval, so a backlog drains at
// the chain's pace, not one block per interval.
func TestFullBlockNotHeldByMinSealInterval(t *testing.T) {
	clock := time.Unix(1_000_000, 0)
	c := newCluster(t, 3, 3, func(cfg *Config) {
		cfg.MaxBlockTxs = 2
		cfg.MinSealInterval = time.Hour
		cfg.MinSealTicks = 1000
		cfg.Now = func() time.Time { return clock }
	})
	c.submit(7) // three full blocks, then one tx that waits
	c.runUntil(300, "three full blocks within the interval", func() bool { return c.nodes[0].ledger.Height() >= 3 })
	c.run(30)
	for i := range c.nodes {
		if h := c.nodes[i].ledger.Height(); h != 3 {
			t.Fatalf("node %d at height %d: the last tx, not a full block, must wait for the interval", i, h)
		}
	}
	clock = clock.Add(time.Hour)
	c.runUntil(1100, "the last tx once the interval passed", func() bool { return c.allCommitted(0, 1, 2) })
	c.sameChains()
}
