package bench_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/gobcos/gobcos/bench"
	"github.com/gobcos/gobcos/crypto"
)

func TestMeasureVerifyAllCores(t *testing.T) {
	// The measurement runs its workers with a spare P (GOMAXPROCS one above
	// the cores it measures), turns the garbage collector off while it
	// times, and puts both back.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	defer debug.SetGCPercent(debug.SetGCPercent(123))
	for _, s := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		c, err := bench.MeasureVerifyAllCores(s, 3, 20*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if got := runtime.GOMAXPROCS(0); got != 1 {
			t.Fatalf("%s: GOMAXPROCS %d after the measurement, want 1 as before it", s.Name(), got)
		}
		if got := debug.SetGCPercent(123); got != 123 {
			t.Fatalf("%s: GC percent %d after the measurement, want 123 as before it", s.Name(), got)
		}
		if c.Suite != s.Name() || len(c.PerCore) != 3 {
			t.Fatalf("%s: %+v, want 3 per-core rates", s.Name(), c)
		}
		if c.Procs != 4 {
			t.Errorf("%s: workers ran under GOMAXPROCS %d, want 4 (a spare P for 3 workers)", s.Name(), c.Procs)
		}
		var sum float64
		for i, r := range c.PerCore {
			if r <= 0 {
				t.Errorf("%s: core %d verified at %v a second", s.Name(), i, r)
			}
			sum += r
		}
		if mean := sum / 3; math.Abs(c.PerSec-mean) > 1e-9*mean || math.Abs(c.Micros-1e6/c.PerSec) > 1e-9*c.Micros {
			t.Errorf("%s: per core %v and %v us, want the mean %v of %v", s.Name(), c.PerSec, c.Micros, mean, c.PerCore)
		}
	}
	if _, err := bench.MeasureVerifyAllCores(crypto.ECDSA(), 0, time.Millisecond); !errors.Is(err, bench.ErrConfig) {
		t.Fatalf("0 cores: %v, want ErrConfig", err)
	}
}

func TestMeasureCeiling(t *testing.T) {
	r, err := bench.MeasureCeiling([]int{1, 4}, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if r.Cores != runtime.NumCPU() || len(r.Costs) != 2 || len(r.Limits) != 4 {
		t.Fatalf("report %+v", r)
	}
	for i, c := range r.Costs {
		if len(c.PerCore) != r.Cores || c.OneCore <= 0 || c.PerSec <= 0 {
			t.Errorf("%s: %+v, want a rate for each of %d cores and one core's", c.Suite, c, r.Cores)
		}
		// The ceilings come from the all-cores rate.
		for _, l := range r.Limits[2*i : 2*i+2] {
			if want := c.Ceiling(r.Cores, l.Nodes); l.Suite != c.Suite || l.TPS != want {
				t.Errorf("ceiling %+v, want %s at %v", l, c.Suite, want)
			}
		}
	}
}

func TestCeilingReportPrint(t *testing.T) {
	r := &bench.CeilingReport{Cores: 2, Nodes: []int{4},
		Costs:  []bench.VerifyCost{{Suite: "ecdsa", Format: "eth", PerSec: 18000, Micros: 1e6 / 18000, PerCore: []float64{20000, 16000}, OneCore: 21500}},
		Limits: []bench.CeilingRow{{Suite: "ecdsa", Nodes: 4, TPS: 9000}},
	}
	var b bytes.Buffer
	r.Print(&b)
	out := b.String()
	for _, want := range []string{"2 cores verifying at once", "18000 verifies/s per core", "the cores: 20000, 16000", "one core alone: 21500", "4 node(s):     9000 tx/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var back bench.CeilingReport
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &back); err != nil {
		t.Fatal(err)
	}
	if c := back.Costs[0]; c.PerSec != 18000 || c.OneCore != 21500 || len(c.PerCore) != 2 {
		t.Errorf("JSON line gives %+v", c)
	}
}
