package engine

import (
	"sync"
	"testing"
	"time"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// TestMinSealIntervalByClock: with a minimum seal interval under two of the
// driver's ticks (39 ms, ticks of 20 ms) and txs coming one at a time, each
// submitted when the one before is committed (blocks of one tx, under the
// block's limit of two), consecutive proposals are at least the interval
// apart. The core counts the interval in whole ticks, rounded down: one
// tick, which ends anywhere from 0 to 20 ms after the round began, so
// proposals followed each decision by less than the interval.
func TestMinSealIntervalByClock(t *testing.T) {
	const interval = 39 * time.Millisecond
	c, proposals := sealCluster(t, 2, interval)
	var txs []*types.Transaction
	for range 8 {
		tx := c.NewTx(500)
		txs = append(txs, tx)
		c.Submit([]*types.Transaction{tx}, 0, 1, 2, 3)
		c.WaitCommitted([]*types.Transaction{tx}, 0, 1, 2, 3)
	}
	c.checkSameChain(0, 1, 2, 3)

	times := proposals()
	if len(times) < len(txs) {
		t.Fatalf("%d proposals for %d one-tx blocks", len(times), len(txs))
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < interval {
			t.Errorf("proposal %d came %v after the one before, under the minimum seal interval %v", i, gap, interval)
		}
	}
}

// TestFullBlockNotHeldByMinSealInterval: the interval spaces partial blocks
// only. With an interval far longer than the test (10 minutes), blocks of
// at most one tx and six txs waiting, every proposal finds a full block
// in the pool and goes out without waiting: the six blocks are committed
// (WaitCommitted gives up long before one interval), none of the
// consecutive proposals an interval apart.
func TestFullBlockNotHeldByMinSealInterval(t *testing.T) {
	const interval = 10 * time.Minute
	c, proposals := sealCluster(t, 1, interval)
	var txs []*types.Transaction
	for range 6 {
		txs = append(txs, c.NewTx(500))
	}
	c.Submit(txs, 0, 1, 2, 3)
	c.WaitCommitted(txs, 0, 1, 2, 3)
	c.checkSameChain(0, 1, 2, 3)

	times := proposals()
	if len(times) < len(txs) {
		t.Fatalf("%d proposals for %d one-tx blocks", len(times), len(txs))
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap >= interval {
			t.Errorf("proposal %d came %v after the one before: a full block waited for the interval", i, gap)
		}
	}
}

// sealCluster starts 4 sealers whose blocks hold at most maxTxs txs, with
// the minimum seal interval; proposals returns the times of the proposals
// made so far, by any of them, in order.
func sealCluster(t *testing.T, maxTxs int, interval time.Duration) (c *cluster, proposals func() []time.Time) {
	rules := consensus.RulesFunc(func(uint64) (consensus.Rules, error) {
		return consensus.Rules{MaxTxs: maxTxs, MinSealInterval: interval}, nil
	})
	c = newClusterWith(t, crypto.ECDSA(), 4, false, rules)
	var (
		mu    sync.Mutex
		times []time.Time
	)
	for i := range c.Nodes {
		c.Start(i, func(p *Params) {
			p.OnProposed = func() {
				mu.Lock()
				times = append(times, time.Now())
				mu.Unlock()
			}
		})
	}
	return c, func() []time.Time {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Time(nil), times...)
	}
}
