package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestTimeline(t *testing.T) {
	start := time.Unix(1000, 0)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	var zero time.Time
	sent := []time.Time{at(0), at(500), at(999), at(1200), zero, at(2100), at(2500)}
	commit := []time.Time{at(40), at(560), at(1099), zero, zero, at(2900), at(2700)}
	got := timeline(start, sent, commit)
	want := []Second{
		{Second: 0, Sent: 3, Committed: 3, P50: 60, P95: 100},
		{Second: 1, Sent: 1, Committed: 0},
		{Second: 2, Sent: 2, Committed: 2, P50: 200, P95: 800},
	}
	if len(got) != len(want) {
		t.Fatalf("timeline = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("second %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	var b bytes.Buffer
	printTimeline(&b, got)
	if lines := strings.Split(strings.TrimSpace(b.String()), "\n"); len(lines) != 5 || !strings.Contains(lines[4], "800.0") {
		t.Fatalf("printed timeline:\n%s", b.String())
	}
	if timeline(start, []time.Time{zero}, []time.Time{zero}) != nil {
		t.Fatal("a run that sent nothing has a timeline")
	}
}
