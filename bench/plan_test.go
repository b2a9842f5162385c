package bench

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

func TestPercentileNearestRank(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, c := range []struct {
		vals []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 100, 7 * time.Millisecond},
		{ms(1, 2), 50, 1 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 51, 3 * time.Millisecond},
		{ms(1, 2, 3, 4), 100, 4 * time.Millisecond},
		{hundred, 50, 50 * time.Millisecond},
		{hundred, 95, 95 * time.Millisecond},
		{hundred, 99, 99 * time.Millisecond},
		{hundred, 99.5, 100 * time.Millisecond},
		{hundred, 0.1, 1 * time.Millisecond},
	} {
		if got := Percentile(c.vals, c.p); got != c.want {
			t.Errorf("Percentile(%d values, %v) = %v, want %v", len(c.vals), c.p, got, c.want)
		}
	}
	l := latencyOf(ms(5, 1, 4, 2, 3))
	if l.P50 != 3 || l.Max != 5 || l.P95 != 5 {
		t.Errorf("latencyOf unsorted input = %+v, want p50 3, p95 5, max 5", l)
	}
}

func TestPlanConflictShare(t *testing.T) {
	for _, w := range []string{WorkloadTransfer, WorkloadERC20, WorkloadKV, WorkloadMixed} {
		for _, c := range []float64{0, 0.1, 0.5, 0.77, 1} {
			const n = 1000
			ops, err := Plan(w, n, 37, c, 42)
			if err != nil {
				t.Fatal(err)
			}
			hot := 0
			targets := map[common.Address]int{}
			keys := map[common.Hash]int{}
			for _, op := range ops {
				isHotTarget := op.To == HotAddress || op.Key == HotKey
				if op.Hot != isHotTarget {
					t.Fatalf("%s conflict %v: op %+v: Hot %v but target hot %v", w, c, op, op.Hot, isHotTarget)
				}
				if op.Hot {
					hot++
					continue
				}
				if op.Kind == KindKV {
					keys[op.Key]++
				} else {
					targets[op.To]++
				}
			}
			if want := int(math.Floor(n * c)); hot != want {
				t.Errorf("%s conflict %v: %d hot txs, want %d", w, c, hot, want)
			}
			for a, k := range targets {
				if k > 1 || a == HotAddress {
					t.Errorf("%s conflict %v: cold recipient %s used %d times", w, c, a, k)
				}
			}
			for h, k := range keys {
				if k > 1 || h == HotKey {
					t.Errorf("%s conflict %v: cold key %s used %d times", w, c, h, k)
				}
			}
			// The hot share is spread: every window of 100 txs holds
			// about c x 100 of them.
			for start := 0; start+100 <= n; start += 100 {
				inWin := 0
				for _, op := range ops[start : start+100] {
					if op.Hot {
						inWin++
					}
				}
				if math.Abs(float64(inWin)-100*c) > 1 {
					t.Errorf("%s conflict %v: %d hot txs in window at %d", w, c, inWin, start)
				}
			}
		}
	}
}

func TestPlanNonceOrderAndKinds(t *testing.T) {
	const n, accounts = 250, 7
	ops, err := Plan(WorkloadMixed, n, accounts, 0.3, 1)
	if err != nil {
		t.Fatal(err)
	}
	next := make([]uint64, accounts)
	kinds := map[Kind]int{}
	for i, op := range ops {
		if op.From != i%accounts {
			t.Fatalf("op %d from account %d, want %d", i, op.From, i%accounts)
		}
		// Each account's txs come in order with consecutive sequence numbers.
		if op.Seq != next[op.From] {
			t.Fatalf("op %d of account %d has seq %d, want %d", i, op.From, op.Seq, next[op.From])
		}
		next[op.From]++
		kinds[op.Kind]++
	}
	for _, k := range []Kind{KindTransfer, KindERC20, KindKV} {
		if kinds[k] < n/3 || kinds[k] > n/3+1 {
			t.Errorf("mixed workload: %d txs of kind %v, want about %d", kinds[k], k, n/3)
		}
	}
	total := uint64(0)
	for _, c := range next {
		total += c
	}
	if total != n {
		t.Errorf("sequence numbers cover %d txs, want %d", total, n)
	}
	// Another salt gives other fresh targets.
	other, _ := Plan(WorkloadMixed, n, accounts, 0.3, 2)
	if other[0].To == ops[0].To && other[0].Key == ops[0].Key {
		t.Error("plans with different salts share fresh targets")
	}
}

func TestPlanRejectsBadInput(t *testing.T) {
	for _, c := range []struct {
		w        string
		n, accts int
		conflict float64
	}{
		{"nope", 10, 1, 0}, {WorkloadKV, 0, 1, 0}, {WorkloadKV, 10, 0, 0},
		{WorkloadKV, 10, 1, -0.1}, {WorkloadKV, 10, 1, 1.5}, {WorkloadKV, 10, 1, math.NaN()},
	} {
		if _, err := Plan(c.w, c.n, c.accts, c.conflict, 0); !errors.Is(err, ErrConfig) {
			t.Errorf("Plan(%q, %d, %d, %v) = %v, want ErrConfig", c.w, c.n, c.accts, c.conflict, err)
		}
	}
}

// TestEmbeddedContractsCurrent checks the embedded artifacts are the ones
// testdata/contracts/compile.sh produced from the sources.
func TestEmbeddedContractsCurrent(t *testing.T) {
	for _, name := range []string{"BenchToken.abi", "BenchToken.bin", "BenchKV.abi", "BenchKV.bin"} {
		want, err := os.ReadFile(filepath.Join("..", "testdata", "contracts", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := contractFiles.ReadFile("contracts/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("bench/contracts/%s differs from testdata/contracts/%s: copy it after compile.sh", name, name)
		}
	}
	if _, err := loadContracts(); err != nil {
		t.Fatal(err)
	}
}

func TestClassifySend(t *testing.T) {
	for msg, want := range map[string]string{
		"nonce too low: next nonce 5, tx nonce 3": "send: nonce too low",
		"txpool is full":               "send: txpool full",
		"dial tcp: connection refused": "send: connection refused",
		"weird":                        "send: weird",
	} {
		if got := classifySend(errors.New(msg)); got != want {
			t.Errorf("classifySend(%q) = %q, want %q", msg, got, want)
		}
	}
}

// TestConfigBatchBounds: --batch takes 0 (one tx per request) to MaxBatch.
func TestConfigBatchBounds(t *testing.T) {
	for _, c := range []struct {
		batch int
		ok    bool
	}{{0, true}, {1, true}, {50, true}, {MaxBatch, true}, {-1, false}, {MaxBatch + 1, false}} {
		cfg := Config{RPC: []string{"http://127.0.0.1:1"}, Workload: WorkloadTransfer, Batch: c.batch}
		if err := cfg.validate(); (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrConfig)) {
			t.Errorf("--batch %d: validate() = %v, want ok %v", c.batch, err, c.ok)
		}
	}
}
