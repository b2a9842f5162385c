package bench

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSpeedProbeSamples(t *testing.T) {
	// A loaded machine (go test runs packages side by side) may not run
	// the probe's thread in a short window: longer ones follow.
	var s *Speed
	for _, window := range []time.Duration{80 * time.Millisecond, time.Second, 10 * time.Second} {
		stop := startSpeedProbe(5 * time.Millisecond)
		time.Sleep(window)
		if s = stop(); s == nil || s.Samples >= 2 {
			break
		}
	}
	if runtime.GOOS != "linux" {
		if s != nil {
			t.Fatalf("probe reported %+v where it cannot read thread CPU time", s)
		}
		return
	}
	if s == nil || s.Samples < 2 {
		t.Fatalf("probe over up to 10 s at 5 ms intervals: %+v", s)
	}
	if s.MinNs <= 0 || s.MinNs > s.P50Ns || s.P50Ns > s.P90Ns {
		t.Fatalf("probe figures out of order: %+v", s)
	}
}

func TestSpeedOf(t *testing.T) {
	if speedOf(nil) != nil {
		t.Fatal("no samples gave figures")
	}
	var samples []time.Duration
	for _, ns := range []int{900, 100, 500, 300, 700, 200, 400, 800, 600, 1000} {
		samples = append(samples, time.Duration(ns))
	}
	got := *speedOf(samples)
	want := Speed{Samples: 10, P50Ns: 500, P90Ns: 900, MinNs: 100}
	if got != want {
		t.Fatalf("speedOf = %+v, want %+v", got, want)
	}
}

func TestResultPrintsSpeed(t *testing.T) {
	var b bytes.Buffer
	(&Result{Speed: &Speed{Samples: 40, P50Ns: 3340, P90Ns: 3800, MinNs: 3210}}).Print(&b)
	out := b.String()
	for _, want := range []string{"machine speed probe: 3340 ns", "p90 3800", "fastest 3210", `"speedProbe":{"samples":40,"p50NsPerHash":3340,"p90NsPerHash":3800,"minNsPerHash":3210}`} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
