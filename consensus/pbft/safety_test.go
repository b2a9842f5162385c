package pbft

import (
	"flag"
	"fmt"
	"testing"

	"github.com/gobcos/gobcos/consensus/enginetest"
	"github.com/gobcos/gobcos/crypto"
)

var (
	flagSeed  = flag.Int64("seed", -1, "TestSafety: run only this seed (replays a failure exactly)")
	flagSeeds = flag.Int("seeds", 0, "TestSafety: seeds per sealer count (default 1000/700/500 for n=4/7/10, a tenth with -short)")
)

// safetyCounts are the default seeds per sealer count, sized to run in
// about two minutes on two slow cores.
var safetyCounts = map[int]int{4: 1000, 7: 700, 10: 500}

// suiteForSeed picks the crypto suite of a seed: most seeds use the fast
// test suite, one in 20 the real ECDSA suite and one in 20 the SM suite.
func suiteForSeed(seed uint64) crypto.Suite {
	switch seed % 20 {
	case 7:
		return crypto.ECDSA()
	case 13:
		return crypto.SM()
	}
	return fastSuite{}
}

// runSeed runs one seeded scenario of the simulated network.
func runSeed(n int, seed uint64, logf func(string, ...any)) (*enginetest.Result, *simTotals, error) {
	suite := suiteForSeed(seed)
	f := newSimFactory(suite, n, seed)
	res, err := enginetest.Run(f, enginetest.Options{N: n, Seed: seed, Hasher: suite, Byzantine: -1, Logf: logf})
	if err != nil {
		return res, nil, fmt.Errorf("%w\nscenario: %s, suite %s, leader period %d, window %d, block txs %d",
			err, res.Scenario, suite.Name(), f.cfg.LeaderPeriod, f.cfg.Window, f.cfg.MaxBlockTxs)
	}
	return res, f.totals(), nil
}

func (t *simTotals) String() string {
	s := t.stats
	return fmt.Sprintf("view changes %d, new views %d, decided %d, finalized %d, catch-up proofs %d, sync requests %d; drops %v",
		s.ViewChanges, s.NewViews, s.Decided, s.Finalized, s.CatchupSent, s.SyncRequests, t.drops.Map())
}

// TestSafety runs the deterministic simulated network over thousands of
// seeds for n = 4, 7 and 10 sealers (see package enginetest for the faults
// and invariants). A failure prints the command that replays its seed.
func TestSafety(t *testing.T) {
	for _, n := range []int{4, 7, 10} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			t.Parallel()
			var all simTotals
			enginetest.Sweep[*simTotals]{
				N: n, Count: safetyCounts[n], ShortDivisor: 10, Seed: *flagSeed, Seeds: *flagSeeds,
				Package: "./consensus/pbft/", Committed: "every honest sealer",
				Run: func(seed uint64, logf func(string, ...any)) (*enginetest.Result, *simTotals, error) {
					return runSeed(n, seed, logf)
				},
				Add: all.merge, Summary: func() any { return &all },
			}.Test(t)
		})
	}
}

// TestSafetyReplaysExactly runs seeds twice and compares everything the
// runs report: a printed seed must replay the same run. Seed 13 uses the
// SM suite, whose signatures are randomized: the run must not depend on
// signature bytes.
func TestSafetyReplaysExactly(t *testing.T) {
	for _, seed := range []uint64{3, 13} {
		a, ta, err := runSeed(4, seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, tb, err := runSeed(4, seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v %v", *a, ta) != fmt.Sprintf("%+v %v", *b, tb) {
			t.Fatalf("seed %d ran differently:\n%+v %v\n%+v %v", seed, *a, ta, *b, tb)
		}
		if a.Heights[0] == 0 {
			t.Fatalf("seed %d committed nothing", seed)
		}
	}
}
