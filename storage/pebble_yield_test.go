package storage

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// TestFlushesYield requires that a store's flushes and compactions call
// the yield as they write tables, and that commits, which only write the
// write-ahead log, do not.
func TestFlushesYield(t *testing.T) {
	var yields atomic.Int64
	tuning := nodeTuning
	tuning.writeYield = func() { yields.Add(1) }
	p, err := openPebble(t.TempDir(), nil, true, tuning)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rng := rand.NewPCG(5, 6)
	for i := range 4 {
		ledgerLayoutBlock(t, p, rng, 1000, i)
	}
	if n := yields.Load(); n != 0 {
		t.Fatalf("commits yielded %d times before any flush", n)
	}
	if err := p.db.Flush(); err != nil {
		t.Fatal(err)
	}
	flushed := yields.Load()
	if flushed < 10 {
		t.Fatalf("a flush of 2 MB yielded %d times, want one per block written", flushed)
	}
	// A second flush whose hash-index and state keys overlap the first's:
	// compacting the two rewrites them.
	for i := range 4 {
		ledgerLayoutBlock(t, p, rng, 1000, 4+i)
	}
	if err := p.db.Flush(); err != nil {
		t.Fatal(err)
	}
	flushed = yields.Load()
	if err := p.db.Compact(t.Context(), []byte("a"), []byte("z"), true); err != nil {
		t.Fatal(err)
	}
	if yields.Load() == flushed {
		t.Fatal("the compaction did not yield")
	}
}

// BenchmarkCompactionWakeDelay measures how late a goroutine that sleeps
// 1 ms at a time wakes while the store compacts, in a process with one P
// (GOMAXPROCS=1, as each of several nodes sharing a machine's cores runs):
// the node's other work waits that long behind a compaction. With and
// without the yields of yieldingFS; it also reports how often the sleeper
// woke during the compaction.
//
//	go test ./storage -run '^$' -bench CompactionWakeDelay -benchtime 1x
func BenchmarkCompactionWakeDelay(b *testing.B) {
	for _, yield := range []bool{false, true} {
		b.Run(fmt.Sprintf("yield=%v", yield), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			tuning := nodeTuning
			if !yield {
				tuning.writeYield = nil
			}
			var delays []time.Duration
			for range b.N {
				p, err := openPebble(b.TempDir(), nil, true, tuning)
				if err != nil {
					b.Fatal(err)
				}
				rng := rand.NewPCG(1, 2)
				for i := range 200 {
					ledgerLayoutBlock(b, p, rng, 1000, i)
				}
				if err := p.db.Flush(); err != nil {
					b.Fatal(err)
				}
				done := make(chan struct{})
				go func() {
					defer close(done)
					if err := p.db.Compact(b.Context(), []byte("a"), []byte("z"), true); err != nil {
						b.Error(err)
					}
				}()
			loop:
				for {
					t := time.Now()
					time.Sleep(time.Millisecond)
					delays = append(delays, time.Since(t)-time.Millisecond)
					select {
					case <-done:
						break loop
					default:
					}
				}
				if err := p.Close(); err != nil {
					b.Fatal(err)
				}
			}
			slices.Sort(delays)
			q := func(f float64) float64 { return float64(delays[int(f*float64(len(delays)-1))]) / 1e3 }
			b.ReportMetric(q(0.5), "p50-us")
			b.ReportMetric(q(0.99), "p99-us")
			b.ReportMetric(q(1), "max-us")
			b.ReportMetric(float64(len(delays))/float64(b.N), "wakes")
		})
	}
}
