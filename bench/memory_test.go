package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
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
