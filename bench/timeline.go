package bench

import (
	"fmt"
	"io"
	"time"
)

// Second is one second of a run's sending phase in its timeline: the txs
// whose send began in it, how many of them were committed, and their
// latency percentiles in milliseconds.
type Second struct {
	Second    int     `json:"second"`
	Sent      int     `json:"sent"`
	Committed int     `json:"committed"`
	P50       float64 `json:"p50"`
	P95       float64 `json:"p95"`
}

// timeline groups txs by the second of the sending phase (from start) in
// which their send began; unsent txs (zero sent time) are left out, and
// uncommitted ones (zero commit time) count as sent only. A run's p50
// hides its course: a chain that falls behind for a few seconds and then
// catches up shows here as a rise and a fall.
func timeline(start time.Time, sent, commit []time.Time) []Second {
	var secs []Second
	var lat [][]time.Duration
	for i, s := range sent {
		if s.IsZero() {
			continue
		}
		n := max(0, int(s.Sub(start)/time.Second))
		for len(secs) <= n {
			secs = append(secs, Second{Second: len(secs)})
			lat = append(lat, nil)
		}
		secs[n].Sent++
		if !commit[i].IsZero() {
			secs[n].Committed++
			lat[n] = append(lat[n], commit[i].Sub(s))
		}
	}
	for n := range secs {
		l := latencyOf(lat[n])
		secs[n].P50, secs[n].P95 = l.P50, l.P95
	}
	return secs
}

// printTimeline writes the timeline as a table.
func printTimeline(w io.Writer, secs []Second) {
	if len(secs) == 0 {
		return
	}
	fmt.Fprintln(w, "timeline, by the second the txs were sent in:")
	fmt.Fprintln(w, "  second    sent  committed   p50 ms   p95 ms")
	for _, s := range secs {
		fmt.Fprintf(w, "  %6d  %6d  %9d  %7.1f  %7.1f\n", s.Second, s.Sent, s.Committed, s.P50, s.P95)
	}
}
