package enginetest

import (
	"testing"
	"time"
)

// Sweep is an engine's safety test over many seeds of one cluster size:
// the seeds N*1_000_000 + i for i below Count (a ShortDivisor-th of it
// with -short, or Seeds when the test's -seeds flag is set), or only the
// seed of the test's -seed flag (Seed >= 0), logged in full. T is what the
// engine reports of one run besides the Result.
type Sweep[T any] struct {
	N            int
	Count        int
	ShortDivisor int
	Seed         int64 // the -seed flag: < 0 for a sweep
	Seeds        int   // the -seeds flag: 0 for Count
	// Package is the engine's package, for the replay command a failure
	// prints, e.g. "./consensus/raft/".
	Package string
	// Committed says who commits every tx in the final log line, e.g.
	// "every honest sealer".
	Committed string
	// LosesBlocks says the engine commits blocks without sync
	// (Host.CommitUnsynced): a sweep of 50 seeds or more then fails if no
	// crash in it lost a committed block, which the runs must commit
	// again as before.
	LosesBlocks bool
	// Run runs one seed (logf, when not nil, traces the run); Add sums
	// what it reports and Summary says the sum.
	Run     func(seed uint64, logf func(string, ...any)) (*Result, T, error)
	Add     func(T)
	Summary func() any
}

// Test runs the sweep.
func (s Sweep[T]) Test(t *testing.T) {
	t.Helper()
	if s.Seed >= 0 {
		var logf func(string, ...any)
		if testing.Verbose() {
			logf = t.Logf
		}
		res, v, err := s.Run(uint64(s.Seed), logf)
		if err != nil {
			t.Fatalf("seed %d: %v", s.Seed, err)
		}
		t.Logf("seed %d: %s; heights %v, %d txs, %d ticks; %+v", s.Seed, res.Scenario, res.Heights, res.Txs, res.Ticks, v)
		return
	}
	count := s.Count
	if testing.Short() {
		count /= max(1, s.ShortDivisor)
	}
	if s.Seeds > 0 {
		count = s.Seeds
	}
	start := time.Now()
	var ticks, txs uint64
	lost, restarts := 0, 0
	for i := range count {
		seed := uint64(s.N)*1_000_000 + uint64(i)
		res, v, err := s.Run(seed, nil)
		if err != nil {
			t.Fatalf("seed %d: %v\nreplay: go test %s -run '^TestSafety$/^n=%d$' -seed=%d -v", seed, err, s.Package, s.N, seed)
		}
		ticks += res.Ticks
		txs += uint64(res.Txs)
		lost += res.LostBlocks
		restarts += res.Restarts
		s.Add(v)
	}
	t.Logf("%d seeds, %d ticks, %d txs committed by %s, in %v; %d restarts, %d unsynced blocks lost by crashes and committed again; %+v",
		count, ticks, txs, s.Committed, time.Since(start).Round(time.Millisecond), restarts, lost, s.Summary())
	// A few seeds (-seeds) may hold no such crash; 50 hold dozens.
	if s.LosesBlocks && lost == 0 && count >= 50 {
		t.Errorf("no crash of the %d seeds lost an unsynced block: the sweep did not test committing them again", count)
	}
}
