package bench

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSpeedProbeSamples(t *testing.T) {
	stop := startSpeedProbe(5 * time.Millisecond)
	time.Sleep(80 * time.Millisecond)
	s := stop()
	if runtime.GOOS != "linux" {
		if s != nil {
			t.Fatalf("probe reported %+v where it cannot read thread CPU time", s)
		}
		return
	}
	if s == nil || s.Samples < 2 {
		t.Fatalf("probe over 80 ms at 5 ms intervals: %+v", s)
	}
	if s.MinUs <= 0 || s.MinUs > s.P50Us || s.P50Us > s.P90Us {
		t.Fatalf("probe figures out of order: %+v", s)
	}
}

func TestSpeedOf(t *testing.T) {
	if speedOf(nil) != nil {
		t.Fatal("no samples gave figures")
	}
	var samples []time.Duration
	for _, us := range []int{900, 100, 500, 300, 700, 200, 400, 800, 600, 1000} {
		samples = append(samples, time.Duration(us)*time.Microsecond)
	}
	got := *speedOf(samples)
	want := Speed{Samples: 10, P50Us: 500, P90Us: 900, MinUs: 100}
	if got != want {
		t.Fatalf("speedOf = %+v, want %+v", got, want)
	}
}

func TestResultPrintsSpeed(t *testing.T) {
	var b bytes.Buffer
	(&Result{Speed: &Speed{Samples: 40, P50Us: 1340, P90Us: 1800, MinUs: 1210}}).Print(&b)
	out := b.String()
	for _, want := range []string{"machine speed probe: 1340 us", "p90 1800", "fastest 1210", `"speedProbe":{"samples":40,"p50Us":1340,"p90Us":1800,"minUs":1210}`} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
