package pbft

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gobcos/gobcos/consensus"
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
	return runSeedWeights(n, seed, nil, logf)
}

// runSeedWeights runs one seeded scenario with the sealers' vote weights
// (nil: 1 each); the harness draws byzantine sealers of weight at most F.
func runSeedWeights(n int, seed uint64, weights []uint64, logf func(string, ...any)) (*enginetest.Result, *simTotals, error) {
	suite := suiteForSeed(seed)
	f := newSimFactory(suite, n, seed, weights)
	res, err := enginetest.Run(f, enginetest.Options{N: n, Seed: seed, Hasher: suite, Byzantine: -1, Weights: weights, Logf: logf})
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
				Package: "./consensus/pbft/", Committed: "every honest sealer", LosesBlocks: true,
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

// weightedCounts are the default seeds per sealer count of TestSafetyWeighted.
var weightedCounts = map[int]int{4: 300, 7: 300}

// weightsForSeed draws the sealers' vote weights of a weighted seed:
// small random weights, one sealer as heavy as all others together (it
// cannot be byzantine, and up to all light ones minus what F allows can),
// light sealers and a heavy one whose weight is a quorum by itself (every
// light sealer may be byzantine), or powers of two.
func weightsForSeed(n int, seed uint64) []uint64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	w := make([]uint64, n)
	heavy := rng.IntN(n)
	for i := range w {
		switch seed % 4 {
		case 0:
			w[i] = 1 + rng.Uint64N(4)
		case 1:
			w[i] = 1
			if i == heavy {
				w[i] = uint64(n - 1)
			}
		case 2:
			w[i] = 1
			if i == heavy {
				w[i] = consensus.MaxSealerWeight
			}
		default:
			w[i] = 1 << rng.IntN(4)
		}
	}
	return w
}

// TestSafetyWeighted is TestSafety with random vote weights: byzantine
// sealers weigh at most F (possibly more sealers than f of weight 1), no
// two honest sealers decide differently, every block's certificate
// reaches the quorum weight, and everything submitted is committed after
// the heal.
func TestSafetyWeighted(t *testing.T) {
	for _, n := range []int{4, 7} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			t.Parallel()
			if *flagSeed >= 0 {
				var logf func(string, ...any)
				if testing.Verbose() {
					logf = t.Logf
				}
				seed := uint64(*flagSeed)
				res, tot, err := runSeedWeights(n, seed, weightsForSeed(n, seed), logf)
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				t.Logf("seed %d: %s; heights %v, %d txs, %d ticks; %v", seed, res.Scenario, res.Heights, res.Txs, res.Ticks, tot)
				return
			}
			count := weightedCounts[n]
			if testing.Short() {
				count /= 10
			}
			if *flagSeeds > 0 {
				count = *flagSeeds
			}
			var all simTotals
			beyondF := 0 // runs with more byzantine sealers than f of weight 1 would allow
			for s := range count {
				seed := uint64(n)*1_000_000 + 500_000 + uint64(s)
				res, tot, err := runSeedWeights(n, seed, weightsForSeed(n, seed), nil)
				if err != nil {
					t.Fatalf("seed %d: %v\nreplay: go test ./consensus/pbft/ -run '^TestSafetyWeighted$/^n=%d$' -seed=%d -v",
						seed, err, n, seed)
				}
				if len(res.Byzantine) > MaxFaulty(n) {
					beyondF++
				}
				all.merge(tot)
			}
			if count >= 30 && beyondF == 0 {
				t.Errorf("no run had more byzantine sealers than f = %d: the weighted draw is not exercised", MaxFaulty(n))
			}
			t.Logf("%d seeds (%d with more than f byzantine sealers); %v", count, beyondF, &all)
		})
	}
}
