package raft

import (
	"testing"
	"time"
)

// TestMinSealIntervalByClock: with MinSealInterval, a leader seals its next
// block only once the interval has passed on its clock since it sealed the
// last one, however many ticks go by; SealWait tells the driver how long
// is left while a block waits.
func TestMinSealIntervalByClock(t *testing.T) {
	const interval = 250 * time.Millisecond
	clock := time.Unix(1_000_000, 0)
	c := newCluster(t, 3, 3, func(cfg *Config) {
		cfg.MaxBlockTxs = 1
		cfg.MinSealInterval = interval
		cfg.Now = func() time.Time { return clock }
	})
	c.submit(3)
	c.runUntil(300, "a leader's first block", func() bool { return c.nodes[0].ledger.Height() >= 1 })
	l := c.leader()
	if l < 0 {
		t.Fatal("no leader")
	}
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
