package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
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

// scrape reads and parses one node's /metrics at url (complete, as
// metricsURL gives it).
func scrape(ctx context.Context, url string) (map[string]*dto.MetricFamily, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, maxMetricsBytes))
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %v", url, err)
	}
	return mfs, nil
}

// value is the value of the first series of the gauge or counter name.
func value(mfs map[string]*dto.MetricFamily, name string) (float64, bool) {
	mf := mfs[name]
	if mf == nil || len(mf.GetMetric()) == 0 {
		return 0, false
	}
	m := mf.GetMetric()[0]
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue(), true
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue(), true
	}
	return 0, false
}

// nodeScrape is one reading of a node's /metrics.
type nodeScrape struct {
	url string // complete, as metricsURL gives it
	mfs map[string]*dto.MetricFamily
	err error
}

// scrapeNodes reads the /metrics of each node address (host:port or URL).
func scrapeNodes(ctx context.Context, addrs []string) []nodeScrape {
	out := make([]nodeScrape, len(addrs))
	for i, a := range addrs {
		out[i].url = metricsURL(a)
		out[i].mfs, out[i].err = scrape(ctx, out[i].url)
	}
	return out
}

// ReadMemory scrapes the memory figures of one node's /metrics.
func ReadMemory(ctx context.Context, url string) NodeMemory {
	return scrapeNodes(ctx, []string{url})[0].memory()
}

// memory is the node's memory figures in the reading.
func (s nodeScrape) memory() NodeMemory {
	m := NodeMemory{URL: s.url}
	if s.err != nil {
		m.Error = s.err.Error()
		return m
	}
	rss, ok := value(s.mfs, "process_resident_memory_bytes")
	if !ok {
		m.Error = m.URL + " exports no process_resident_memory_bytes"
		return m
	}
	m.RSSBytes = rss
	m.HeapBytes, _ = value(s.mfs, "go_memstats_heap_inuse_bytes")
	return m
}

// NodeCPU is the CPU time the nodes used while a run's txs were sent and
// committed: the growth of each node's process_cpu_seconds_total from just
// before the first send to the end of the tracking (the last commit seen,
// or Config.Wait running out for txs never committed) (Config.Metrics). Divided by the committed txs it is the nodes' CPU cost
// of a tx: on a machine the nodes share, what their throughput comes down
// to.
type NodeCPU struct {
	// Seconds is summed over the nodes read both times, Nodes of them.
	Seconds float64 `json:"seconds"`
	Nodes   int     `json:"nodes"`
	// UsPerTx is Seconds per committed tx, in microseconds; Cores is
	// Seconds over the run's length: the cores the nodes kept busy.
	UsPerTx float64 `json:"usPerTx"`
	Cores   float64 `json:"cores"`
	// Errors says why nodes could not be read, one entry each.
	Errors []string `json:"errors,omitempty"`
}

// cpuReading is one node's process CPU seconds, or why it is unknown.
type cpuReading struct {
	url     string
	seconds float64
	err     error
}

// cpuOf is each reading's process_cpu_seconds_total.
func cpuOf(scrapes []nodeScrape) []cpuReading {
	out := make([]cpuReading, len(scrapes))
	for i, s := range scrapes {
		out[i].url = s.url
		if s.err != nil {
			out[i].err = s.err
			continue
		}
		v, ok := value(s.mfs, "process_cpu_seconds_total")
		if !ok {
			out[i].err = fmt.Errorf("%s exports no process_cpu_seconds_total", s.url)
			continue
		}
		out[i].seconds = v
	}
	return out
}

// nodeCPU is the CPU the nodes used between two readings, over committed
// txs and seconds of run; nil without readings.
func nodeCPU(before, after []cpuReading, committed int, seconds float64) *NodeCPU {
	if len(before) == 0 || len(before) != len(after) {
		return nil
	}
	c := &NodeCPU{}
	for i := range before {
		switch {
		case before[i].err != nil:
			c.Errors = append(c.Errors, before[i].err.Error())
		case after[i].err != nil:
			c.Errors = append(c.Errors, after[i].err.Error())
		case after[i].seconds < before[i].seconds:
			c.Errors = append(c.Errors, fmt.Sprintf("%s: process_cpu_seconds_total went back (%g to %g): restarted?", after[i].url, before[i].seconds, after[i].seconds))
		default:
			c.Seconds += after[i].seconds - before[i].seconds
			c.Nodes++
		}
	}
	c.Seconds = round2(c.Seconds)
	if c.Nodes > 0 && committed > 0 {
		c.UsPerTx = round2(c.Seconds * 1e6 / float64(committed))
	}
	if c.Nodes > 0 && seconds > 0 {
		c.Cores = round2(c.Seconds / seconds)
	}
	return c
}
