package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// NodeMemory is a node's memory after a run, from its Prometheus /metrics
// (the Go client's process and runtime collectors, which gobcos nodes
// export).
type NodeMemory struct {
	URL string `json:"url"`
	// RSSBytes is process_resident_memory_bytes: the resident set size.
	RSSBytes float64 `json:"rssBytes"`
	// HeapBytes is go_memstats_heap_inuse_bytes (0 when not exported).
	HeapBytes float64 `json:"heapBytes,omitempty"`
	// Error says why the node could not be read ("" when it was).
	Error string `json:"error,omitempty"`
}

// maxMetricsBytes bounds a /metrics answer read.
const maxMetricsBytes = 8 << 20

// metricsURL completes a metrics address: "host:port" or a URL without a
// path gets http:// and /metrics.
func metricsURL(s string) string {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	if rest := s[strings.Index(s, "://")+3:]; !strings.Contains(rest, "/") {
		s += "/metrics"
	}
	return s
}

// ReadMemory scrapes the memory figures of one node's /metrics.
func ReadMemory(ctx context.Context, url string) NodeMemory {
	m := NodeMemory{URL: metricsURL(url)}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL, nil)
	if err != nil {
		m.Error = err.Error()
		return m
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.Error = err.Error()
		return m
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		m.Error = "GET " + m.URL + ": " + resp.Status
		return m
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, maxMetricsBytes))
	if err != nil {
		m.Error = fmt.Sprintf("parsing %s: %v", m.URL, err)
		return m
	}
	gauge := func(name string) (float64, bool) {
		mf := mfs[name]
		if mf == nil || len(mf.GetMetric()) == 0 || mf.GetMetric()[0].GetGauge() == nil {
			return 0, false
		}
		return mf.GetMetric()[0].GetGauge().GetValue(), true
	}
	rss, ok := gauge("process_resident_memory_bytes")
	if !ok {
		m.Error = m.URL + " exports no process_resident_memory_bytes"
		return m
	}
	m.RSSBytes = rss
	m.HeapBytes, _ = gauge("go_memstats_heap_inuse_bytes")
	return m
}
