package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted
// values: the smallest value with at least p% of the values at or below it.
// It is 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// Latency are latency percentiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func latencyOf(ds []time.Duration) Latency {
	s := slices.Clone(ds)
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Millisecond)*10) / 10 }
	return Latency{P50: ms(Percentile(s, 50)), P95: ms(Percentile(s, 95)), P99: ms(Percentile(s, 99)), Max: ms(Percentile(s, 100))}
}

// Result is the outcome of one run; its JSON form is the summary line.
type Result struct {
	Workload  string  `json:"workload"`
	Format    string  `json:"format"`
	Suite     string  `json:"suite"`
	Nodes     int     `json:"nodes"`
	Accounts  int     `json:"accounts"`
	Conflict  float64 `json:"conflict"`
	Rate      float64 `json:"rate"` // target tx/s; 0 = as fast as possible
	Conns     int     `json:"conns"`
	Batch     int     `json:"batch,omitempty"` // most txs per request; 0: one
	Txs       int     `json:"txs"`             // signed
	Unsent    int     `json:"unsent"`          // not sent: --duration ended first
	Sent      int     `json:"sent"`            // accepted by the node
	Committed int     `json:"committed"`       // found in a block
	Succeeded int     `json:"succeeded"`       // committed with status 1
	Blocks    int     `json:"blocks"`          // blocks holding the run's txs
	// SendSeconds is the sending phase; Seconds runs from the first send
	// to the last commit.
	SendSeconds float64 `json:"sendSeconds"`
	Seconds     float64 `json:"seconds"`
	SendTPS     float64 `json:"sendTps"`
	TPS         float64 `json:"tps"` // committed txs per second
	Latency     Latency `json:"latencyMs"`
	// Errors counts failed txs by kind (send errors, reverts, not committed).
	Errors map[string]int `json:"errors"`
	// CeilingTPS is cores / (nodes x verify cost) for the suite, measured on
	// this machine; CeilingFraction is TPS / CeilingTPS.
	CeilingTPS      float64 `json:"ceilingTps"`
	CeilingFraction float64 `json:"ceilingFraction"`
	Cores           int     `json:"cores"`
	SignSeconds     float64 `json:"signSeconds"`
	// Memory is each node's memory after the run, NodeCPU the nodes' CPU
	// during it (Config.Metrics).
	Memory  []NodeMemory `json:"memory,omitempty"`
	NodeCPU *NodeCPU     `json:"nodeCpu,omitempty"`
	// Speed is the machine speed probe's figures over the timed phase
	// (speed.go); nil where it cannot run.
	Speed *Speed `json:"speedProbe,omitempty"`
	// Timeline is the run second by second (Config.Timeline; timeline.go).
	Timeline []Second `json:"timeline,omitempty"`
}

// JSON is the one-line summary.
func (r *Result) JSON() string { return mustJSON(r) }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf(`{"error":%q}`, err.Error())
	}
	return string(b)
}

// Print writes the human-readable report and then the JSON line.
func (r *Result) Print(w io.Writer) {
	batch := ""
	if r.Batch > 1 {
		batch = fmt.Sprintf(" (JSON-RPC batches of up to %d txs)", r.Batch)
	}
	fmt.Fprintf(w, "workload %s (%s txs, %s suite), %d accounts, conflict %.2f, %d connections%s, rate %s\n",
		r.Workload, r.Format, r.Suite, r.Accounts, r.Conflict, r.Conns, batch, rateString(r.Rate))
	fmt.Fprintf(w, "txs: %d signed in %.1fs, %d sent in %.1fs (%.0f tx/s), %d committed in %d blocks, %d succeeded\n",
		r.Txs, r.SignSeconds, r.Sent, r.SendSeconds, r.SendTPS, r.Committed, r.Blocks, r.Succeeded)
	if r.Unsent > 0 {
		fmt.Fprintf(w, "%d signed txs were not sent: the sending phase ended (--duration)\n", r.Unsent)
	}
	fmt.Fprintf(w, "committed TPS: %.0f over %.1fs\n", r.TPS, r.Seconds)
	fmt.Fprintf(w, "latency ms: p50 %.1f  p95 %.1f  p99 %.1f  max %.1f\n", r.Latency.P50, r.Latency.P95, r.Latency.P99, r.Latency.Max)
	printTimeline(w, r.Timeline)
	if r.CeilingTPS > 0 {
		fmt.Fprintf(w, "ceiling (%d cores, %d node(s), %s verify): %.0f tx/s; this run reached %.1f%% of it\n",
			r.Cores, r.Nodes, r.Suite, r.CeilingTPS, 100*r.CeilingFraction)
	}
	if s := r.Speed; s != nil {
		fmt.Fprintf(w, "machine speed probe: %.0f ns of thread CPU per Keccak-256 of 1 KiB at the median (p90 %.0f, fastest %.0f, %d samples); higher means slower cores\n",
			s.P50Ns, s.P90Ns, s.MinNs, s.Samples)
	}
	if c := r.NodeCPU; c != nil {
		if c.Nodes > 0 {
			fmt.Fprintf(w, "node CPU: %.2f s over %d node(s) while the txs were sent and committed: %.0f us per committed tx, %.2f cores\n",
				c.Seconds, c.Nodes, c.UsPerTx, c.Cores)
		}
		for _, e := range c.Errors {
			fmt.Fprintf(w, "node CPU: a node left out (%s)\n", e)
		}
	}
	for _, m := range r.Memory {
		if m.Error != "" {
			fmt.Fprintf(w, "memory of %s: unknown (%s)\n", m.URL, m.Error)
			continue
		}
		fmt.Fprintf(w, "memory of %s: RSS %.0f MiB, Go heap in use %.0f MiB\n", m.URL, m.RSSBytes/(1<<20), m.HeapBytes/(1<<20))
	}
	if len(r.Errors) == 0 {
		fmt.Fprintln(w, "errors: none")
	} else {
		kinds := make([]string, 0, len(r.Errors))
		for k := range r.Errors {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		fmt.Fprintln(w, "errors:")
		for _, k := range kinds {
			fmt.Fprintf(w, "  %6d  %s\n", r.Errors[k], k)
		}
	}
	fmt.Fprintln(w, r.JSON())
}

func rateString(r float64) string {
	if r <= 0 {
		return "max"
	}
	return fmt.Sprintf("%.0f tx/s", r)
}

// Error kinds of the summary.
const (
	ErrKindReverted     = "reverted (receipt status 0)"
	ErrKindNotCommitted = "not committed before the wait ended"
	// ErrKindExpired counts native txs the node accepted but no block
	// took before the chain passed their block limit.
	ErrKindExpired = "expired (block limit passed)"
)

// classifySend names the kind of a send error.
func classifySend(err error) string {
	msg := strings.ToLower(err.Error())
	for _, k := range []struct{ sub, kind string }{
		{"nonce too low", "send: nonce too low"},
		{"nonce too high", "send: nonce too high"},
		{"nonce too far ahead", "send: nonce too far ahead"},
		{"already known", "send: already known"},
		{"known transaction", "send: already known"},
		{"insufficient funds", "send: insufficient funds"},
		{"block limit", "send: block limit"},
		{"full", "send: txpool full"},
		{"underpriced", "send: underpriced"},
		{"rate limit", "send: rate limited"},
		{"too many requests", "send: rate limited"},
		{"connection refused", "send: connection refused"},
		{"connection reset", "send: connection reset"},
		{"eof", "send: connection closed"},
		{"deadline exceeded", "send: timeout"},
		{"timeout", "send: timeout"},
	} {
		if strings.Contains(msg, k.sub) {
			return k.kind
		}
	}
	if len(msg) > 60 {
		msg = msg[:60] + "..."
	}
	return "send: " + msg
}
