package raft

import (
	"flag"
	"fmt"
	"testing"
	"testing/cryptotest"

	"github.com/gobcos/gobcos/consensus/enginetest"
	"github.com/gobcos/gobcos/crypto"
)

var (
	flagSeed  = flag.Int64("seed", -1, "TestSafety: run only this seed (replays a failure exactly)")
	flagSeeds = flag.Int("seeds", 0, "TestSafety: seeds per node count (default 400/250/150 for n=3/5/7, a fifth with -short)")
)

var safetyCounts = map[int]int{3: 400, 5: 250, 7: 150}

// suiteForSeed: most seeds run on ECDSA (deterministic signatures), one in
// ten on SM.
func suiteForSeed(seed uint64) crypto.Suite {
	if seed%10 == 3 {
		return crypto.SM()
	}
	return crypto.ECDSA()
}

// runSeed runs one seeded scenario. etcd raft draws its randomised
// election timeouts from crypto/rand, so the run fixes the process's
// cryptographic randomness to the seed (which rules out parallel tests).
func runSeed(t *testing.T, n int, seed uint64, logf func(string, ...any)) (*enginetest.Result, Stats, error) {
	cryptotest.SetGlobalRandom(t, seed)
	suite := suiteForSeed(seed)
	f := newSimFactory(suite, n, seed)
	res, err := enginetest.Run(f, enginetest.Options{N: n, Seed: seed, Hasher: suite, Logf: logf})
	if err != nil {
		c := f.cfg
		return res, Stats{}, fmt.Errorf("%w\nscenario: %s, conf change rate %.2f, suite %s, heartbeat %d, block txs %d, min seal %d, snapshot every %d keep %d, msg size %d, inflight %d",
			err, res.Scenario, f.confRate, suite.Name(), c.HeartbeatTicks, c.MaxBlockTxs, c.MinSealTicks, c.SnapshotEntries, c.KeepEntries, c.MaxSizePerMsg, c.MaxInflightMsgs)
	}
	return res, f.totals(), nil
}

// TestSafety runs the engine-agnostic simulated network (crashes,
// partitions, message loss, delays, duplicates; no byzantine replicas)
// against the Raft core over many seeds for 3, 5 and 7 nodes.
func TestSafety(t *testing.T) {
	for _, n := range []int{3, 5, 7} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			var all Stats
			enginetest.Sweep[Stats]{
				N: n, Count: safetyCounts[n], ShortDivisor: 5, Seed: *flagSeed, Seeds: *flagSeeds,
				Package: "./consensus/raft/", Committed: "every replica",
				Run: func(seed uint64, logf func(string, ...any)) (*enginetest.Result, Stats, error) {
					return runSeed(t, n, seed, logf)
				},
				Add: all.add, Summary: func() any { return all },
			}.Test(t)
		})
	}
}

// TestSafetyReplaysExactly: a printed seed must replay the same run. This
// holds for the ECDSA seeds; the SM2 library reads an extra random byte at
// random when signing (as Go's ECDSA does), which shifts the raft election
// timeouts drawn from the same source, so an SM seed (one in ten) replays
// its faults and workload but not necessarily every election.
func TestSafetyReplaysExactly(t *testing.T) {
	for _, seed := range []uint64{5, 16} {
		a, sa, err := runSeed(t, 3, seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, sb, err := runSeed(t, 3, seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v %+v", *a, sa) != fmt.Sprintf("%+v %+v", *b, sb) {
			t.Fatalf("seed %d ran differently:\n%+v %+v\n%+v %+v", seed, *a, sa, *b, sb)
		}
		if a.Heights[0] == 0 {
			t.Fatalf("seed %d committed nothing", seed)
		}
	}
}
