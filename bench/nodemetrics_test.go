package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestMetricsURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:9100":                    "http://127.0.0.1:9100/metrics",
		"http://127.0.0.1:9100":             "http://127.0.0.1:9100/metrics",
		"https://node:9100/custom/path":     "https://node:9100/custom/path",
		"http://127.0.0.1:9100/metrics":     "http://127.0.0.1:9100/metrics",
		"[::1]:9100":                        "http://[::1]:9100/metrics",
		"http://127.0.0.1:9100/metrics?x=1": "http://127.0.0.1:9100/metrics?x=1",
	} {
		if got := metricsURL(in); got != want {
			t.Errorf("metricsURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadMemory(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 1.4495744e+08\n" +
			"# TYPE go_memstats_heap_inuse_bytes gauge\ngo_memstats_heap_inuse_bytes 5.24288e+07\n"))
	})
	mux.HandleFunc("/nomem", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("# TYPE up gauge\nup 1\n"))
	})
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("process_resident_memory_bytes {{{\n"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()

	m := ReadMemory(ctx, strings.TrimPrefix(srv.URL, "http://"))
	if m.Error != "" || m.RSSBytes != 144957440 || m.HeapBytes != 52428800 {
		t.Fatalf("ReadMemory: %+v", m)
	}
	for path, want := range map[string]string{
		"/nomem":   "exports no process_resident_memory_bytes",
		"/garbage": "parsing",
		"/missing": "404",
	} {
		if m := ReadMemory(ctx, srv.URL+path); !strings.Contains(m.Error, want) || m.RSSBytes != 0 {
			t.Errorf("%s: %+v, want an error with %q", path, m, want)
		}
	}
	srv.Close()
	if m := ReadMemory(ctx, srv.URL); m.Error == "" {
		t.Errorf("closed server: %+v", m)
	}

	var b strings.Builder
	(&Result{Memory: []NodeMemory{{URL: "http://n0/metrics", RSSBytes: 144957440, HeapBytes: 52428800}, {URL: "http://n1/metrics", Error: "refused"}}}).Print(&b)
	out := b.String()
	if !strings.Contains(out, "memory of http://n0/metrics: RSS 138 MiB, Go heap in use 50 MiB") ||
		!strings.Contains(out, "memory of http://n1/metrics: unknown (refused)") || !strings.Contains(out, `"rssBytes":144957440`) {
		t.Fatalf("report:\n%s", out)
	}
}

// TestNodeCPU requires the nodes' CPU over a run to be the growth of their
// process_cpu_seconds_total, per committed tx and per second of run, with
// the nodes that could not be read left out and named.
func TestNodeCPU(t *testing.T) {
	var calls atomic.Int64
	mux := http.NewServeMux()
	// Each scrape of /n0 and /n1 reports 1.5 s and 2 s more than the one
	// before.
	for i, step := range []float64{1.5, 2} {
		var n atomic.Int64
		mux.HandleFunc(fmt.Sprintf("/n%d", i), func(w http.ResponseWriter, _ *http.Request) {
			calls.Add(1)
			fmt.Fprintf(w, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %g\n", 10+step*float64(n.Add(1)))
		})
	}
	mux.HandleFunc("/nocpu", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("# TYPE up gauge\nup 1\n"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	urls := []string{srv.URL + "/n0", srv.URL + "/n1", srv.URL + "/nocpu"}

	before := cpuOf(scrapeNodes(ctx, urls))
	after := cpuOf(scrapeNodes(ctx, urls))
	c := nodeCPU(before, after, 7000, 2)
	if calls.Load() != 4 {
		t.Fatalf("%d scrapes of the two nodes, want 4", calls.Load())
	}
	if c.Nodes != 2 || c.Seconds != 3.5 || c.UsPerTx != 500 || c.Cores != 1.75 {
		t.Fatalf("node CPU %+v, want 3.5 s over 2 nodes, 500 us a tx, 1.75 cores", c)
	}
	if len(c.Errors) != 1 || !strings.Contains(c.Errors[0], "exports no process_cpu_seconds_total") {
		t.Fatalf("errors %q, want the node without the counter named", c.Errors)
	}

	// A node that restarted in between is left out; no metrics, no figure.
	back := nodeCPU([]cpuReading{{seconds: 50}}, []cpuReading{{seconds: 3}}, 100, 1)
	if back.Nodes != 0 || back.UsPerTx != 0 || len(back.Errors) != 1 || !strings.Contains(back.Errors[0], "restarted") {
		t.Fatalf("restarted node: %+v", back)
	}
	if nodeCPU(nil, nil, 100, 1) != nil {
		t.Fatal("a figure without metrics")
	}

	var b strings.Builder
	(&Result{NodeCPU: c}).Print(&b)
	out := b.String()
	if !strings.Contains(out, "node CPU: 3.50 s over 2 node(s) while the txs were sent and committed: 500 us per committed tx, 1.75 cores") ||
		!strings.Contains(out, "node CPU: a node left out (") || !strings.Contains(out, `"nodeCpu":{"seconds":3.5,"nodes":2,"usPerTx":500,"cores":1.75`) {
		t.Fatalf("report:\n%s", out)
	}
}
