package metrics

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// fakeSource is a Source with settable values.
type fakeSource struct {
	mu                sync.Mutex
	height            uint64
	txs, bytes, peers int
	view, changes     uint64
	hasViews          bool
	refusals, drops   map[string]uint64
	groupDrops        map[string]uint64
}

func (f *fakeSource) Height() uint64 { f.mu.Lock(); defer f.mu.Unlock(); return f.height }
func (f *fakeSource) PoolStats() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.txs, f.bytes
}
func (f *fakeSource) Peers() int { f.mu.Lock(); defer f.mu.Unlock(); return f.peers }
func (f *fakeSource) P2PRefusals() map[string]uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.refusals)
}
func (f *fakeSource) P2PDisconnects() map[string]uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.drops)
}
func (f *fakeSource) P2PGroupDrops() map[string]uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.groupDrops)
}

func (f *fakeSource) TxGossip() TxGossipStats {
	return TxGossipStats{Queued: 10, Dropped: 1, BatchesSent: 2, TxsSent: 9, BatchesReceived: 3, TxsReceived: 30, BadMessages: 1}
}
func (f *fakeSource) SigChecks() (uint64, uint64) { return 7, 11 }
func (f *fakeSource) Consensus() (uint64, uint64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.view, f.changes, f.hasViews
}

// documented are the gobcos metrics, their type and labels (besides
// group), as docs/metrics.md lists them.
var documented = map[string]struct {
	typ    dto.MetricType
	labels []string
}{
	"gobcos_block_height":                     {dto.MetricType_GAUGE, nil},
	"gobcos_blocks_committed_total":           {dto.MetricType_COUNTER, nil},
	"gobcos_txs_committed_total":              {dto.MetricType_COUNTER, nil},
	"gobcos_gas_used_total":                   {dto.MetricType_COUNTER, nil},
	"gobcos_block_execution_duration_seconds": {dto.MetricType_HISTOGRAM, nil},
	"gobcos_block_commit_duration_seconds":    {dto.MetricType_HISTOGRAM, nil},
	"gobcos_consensus_view":                   {dto.MetricType_GAUGE, nil},
	"gobcos_consensus_view_changes_total":     {dto.MetricType_COUNTER, nil},
	"gobcos_consensus_phase_duration_seconds": {dto.MetricType_HISTOGRAM, []string{"phase"}},
	"gobcos_txpool_txs":                       {dto.MetricType_GAUGE, nil},
	"gobcos_txpool_bytes":                     {dto.MetricType_GAUGE, nil},
	"gobcos_txpool_txs_accepted_total":        {dto.MetricType_COUNTER, []string{"source"}},
	"gobcos_txpool_txs_rejected_total":        {dto.MetricType_COUNTER, []string{"source", "reason"}},
	"gobcos_tx_commit_latency_seconds":        {dto.MetricType_HISTOGRAM, nil},
	"gobcos_tx_signature_checks_total":        {dto.MetricType_COUNTER, nil},
	"gobcos_tx_signature_cache_hits_total":    {dto.MetricType_COUNTER, nil},
	"gobcos_p2p_peers":                        {dto.MetricType_GAUGE, nil},
	"gobcos_p2p_sent_bytes_total":             {dto.MetricType_COUNTER, []string{"module"}},
	"gobcos_p2p_received_bytes_total":         {dto.MetricType_COUNTER, []string{"module"}},
	"gobcos_p2p_sent_messages_total":          {dto.MetricType_COUNTER, []string{"module"}},
	"gobcos_p2p_received_messages_total":      {dto.MetricType_COUNTER, []string{"module"}},
	"gobcos_p2p_refusals_total":               {dto.MetricType_COUNTER, []string{"reason"}},
	"gobcos_p2p_disconnects_total":            {dto.MetricType_COUNTER, []string{"reason"}},
	"gobcos_p2p_group_drops_total":            {dto.MetricType_COUNTER, []string{"reason"}},
	"gobcos_txgossip_txs_queued_total":        {dto.MetricType_COUNTER, nil},
	"gobcos_txgossip_txs_dropped_total":       {dto.MetricType_COUNTER, nil},
	"gobcos_txgossip_batches_total":           {dto.MetricType_COUNTER, []string{"direction"}},
	"gobcos_txgossip_txs_total":               {dto.MetricType_COUNTER, []string{"direction"}},
	"gobcos_txgossip_bad_messages_total":      {dto.MetricType_COUNTER, nil},
	"gobcos_rpc_requests_total":               {dto.MetricType_COUNTER, []string{"method"}},
	"gobcos_rpc_errors_total":                 {dto.MetricType_COUNTER, []string{"method"}},
	"gobcos_rpc_request_duration_seconds":     {dto.MetricType_HISTOGRAM, []string{"method"}},
}

// exercise touches every collector once, so each has a series.
func exercise(m *Metrics) {
	m.BlockExecuted(3 * time.Millisecond)
	m.BlockCommitted(5, 21000*5, 2*time.Millisecond)
	m.Phase("prepare", 4*time.Millisecond)
	m.TxAccepted("rpc")
	m.TxRejected("rpc", "nonce_too_low")
	m.TxCommitLatency(time.Second)
	m.P2PSent("consensus", 100)
	m.P2PReceived("consensus", 120)
	m.RPCCall("eth_blockNumber", time.Millisecond, false)
	m.RPCCall("eth_call", time.Millisecond, true)
}

func gather(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]*dto.MetricFamily, len(mfs))
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

func TestNamesTypesAndLabels(t *testing.T) {
	src := &fakeSource{height: 7, txs: 3, bytes: 300, peers: 2, view: 4, changes: 1, hasViews: true,
		refusals: map[string]uint64{"revoked": 1}, drops: map[string]uint64{"keepalive_timeout": 2, "expired": 1},
		groupDrops: map[string]uint64{"not_in_node_list": 3}}
	m := New("group0", src)
	exercise(m)
	mfs := gather(t, m)
	for name, want := range documented {
		mf, ok := mfs[name]
		if !ok {
			t.Errorf("%s is not exposed", name)
			continue
		}
		if mf.GetType() != want.typ {
			t.Errorf("%s is a %v, want %v", name, mf.GetType(), want.typ)
		}
		for _, metric := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range metric.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			if got[GroupLabel] != "group0" {
				t.Errorf("%s: group label %q", name, got[GroupLabel])
			}
			if len(got) != 1+len(want.labels) {
				t.Errorf("%s: labels %v, want group and %v", name, got, want.labels)
			}
			for _, l := range want.labels {
				if _, ok := got[l]; !ok {
					t.Errorf("%s: no label %q in %v", name, l, got)
				}
			}
		}
	}
	for name := range mfs {
		if strings.HasPrefix(name, Namespace+"_") {
			if _, ok := documented[name]; !ok {
				t.Errorf("%s is exposed but not documented", name)
			}
		}
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := mfs[name]; !ok && !(name == "process_cpu_seconds_total" && !processMetricsSupported()) {
			t.Errorf("%s missing: Go and process collectors are registered", name)
		}
	}
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, Namespace+"_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}

// processMetricsSupported reports whether the process collector has data
// on this system (it reads /proc).
func processMetricsSupported() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}

func TestDocsListEveryMetric(t *testing.T) {
	raw, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for name := range documented {
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("docs/metrics.md does not list %s", name)
		}
	}
}

func TestGaugesReadTheSourceAtScrapeTime(t *testing.T) {
	src := &fakeSource{height: 1}
	m := New("g", src)
	value := func(name string) (float64, bool) {
		mf, ok := gather(t, m)[name]
		if !ok {
			return 0, false
		}
		met := mf.GetMetric()[0]
		if met.GetGauge() != nil {
			return met.GetGauge().GetValue(), true
		}
		return met.GetCounter().GetValue(), true
	}
	if v, _ := value("gobcos_block_height"); v != 1 {
		t.Fatalf("height %v", v)
	}
	if _, ok := value("gobcos_consensus_view"); ok {
		t.Fatal("a node without views reports a view")
	}
	if _, ok := value("gobcos_p2p_refusals_total"); ok {
		t.Fatal("refusals reported before any")
	}
	src.mu.Lock()
	src.height, src.txs, src.bytes, src.peers, src.view, src.changes, src.hasViews = 9, 4, 400, 3, 2, 5, true
	src.refusals, src.drops = map[string]uint64{"denied": 6}, map[string]uint64{"revoked": 7}
	src.groupDrops = map[string]uint64{"denied": 8}
	src.mu.Unlock()
	for name, want := range map[string]float64{
		"gobcos_block_height": 9, "gobcos_txpool_txs": 4, "gobcos_txpool_bytes": 400, "gobcos_p2p_peers": 3,
		"gobcos_consensus_view": 2, "gobcos_consensus_view_changes_total": 5,
		"gobcos_p2p_refusals_total": 6, "gobcos_p2p_disconnects_total": 7, "gobcos_p2p_group_drops_total": 8,
		"gobcos_tx_signature_checks_total": 7, "gobcos_tx_signature_cache_hits_total": 11,
	} {
		if v, ok := value(name); !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
}

func TestCountersMove(t *testing.T) {
	m := New("g", nil)
	m.BlockCommitted(3, 63000, time.Millisecond)
	m.BlockCommitted(2, 42000, time.Millisecond)
	m.RPCCall("eth_call", time.Millisecond, true)
	m.RPCCall("eth_call", time.Millisecond, false)
	m.P2PSent("sync", 10)
	m.P2PSent("sync", 5)
	m.TxRejected("gossip", "pool_full")
	m.TxAccepted("rpc")
	m.TxsAccepted("rpc", 50)
	m.TxsAccepted("gossip", 0)
	checks := []struct {
		what string
		got  float64
		want float64
	}{
		{"txs committed", testutil.ToFloat64(m.txsCommitted), 5},
		{"blocks committed", testutil.ToFloat64(m.blocksCommitted), 2},
		{"gas", testutil.ToFloat64(m.gasUsed), 105000},
		{"rpc calls", testutil.ToFloat64(m.rpcCalls.WithLabelValues("eth_call")), 2},
		{"rpc errors", testutil.ToFloat64(m.rpcErrors.WithLabelValues("eth_call")), 1},
		{"sync bytes", testutil.ToFloat64(m.p2pSentBytes.WithLabelValues("sync")), 15},
		{"sync messages", testutil.ToFloat64(m.p2pSentMsgs.WithLabelValues("sync")), 2},
		{"rejected", testutil.ToFloat64(m.txsRejected.WithLabelValues("gossip", "pool_full")), 1},
		{"accepted", testutil.ToFloat64(m.txsAccepted.WithLabelValues("rpc")), 51},
		{"rpc durations", float64(testutil.CollectAndCount(m.rpcDuration)), 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.blockCommit); n != 1 {
		t.Errorf("commit histogram series: %d", n)
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	exercise(m) // must not panic
	if m.Registry() != nil {
		t.Fatal("nil metrics have a registry")
	}
}

// TestRegistriesAreSeparate: two groups in one process do not share
// collectors (no global registry).
func TestRegistriesAreSeparate(t *testing.T) {
	a, b := New("a", nil), New("b", nil)
	a.TxAccepted("rpc")
	if v := testutil.ToFloat64(b.txsAccepted.WithLabelValues("rpc")); v != 0 {
		t.Fatalf("group b sees group a's count: %v", v)
	}
}

func TestConcurrentUse(t *testing.T) {
	src := &fakeSource{hasViews: true}
	m := New("g", src)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				exercise(m)
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if _, err := m.Registry().Gather(); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if v := testutil.ToFloat64(m.txsCommitted); v != 4*200*5 {
		t.Fatalf("txs committed %v", v)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServer(t *testing.T) {
	for _, withPprof := range []bool{false, true} {
		m := New("group0", &fakeSource{height: 12})
		m.RPCCall("eth_blockNumber", time.Millisecond, false)
		s := NewServer(m, ServerConfig{Listen: "127.0.0.1:0", Pprof: withPprof}, nil)
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err == nil {
			t.Error("second Start succeeded")
		}
		base := "http://" + s.Addr()
		code, body := get(t, base+"/metrics")
		if code != http.StatusOK {
			t.Fatalf("/metrics: %d", code)
		}
		for _, want := range []string{`gobcos_block_height{group="group0"} 12`, `gobcos_rpc_requests_total{group="group0",method="eth_blockNumber"} 1`, "go_goroutines"} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
		code, _ = get(t, base+"/debug/pprof/")
		if withPprof && code != http.StatusOK {
			t.Errorf("pprof on: /debug/pprof/ answered %d", code)
		}
		if !withPprof && code != http.StatusNotFound {
			t.Errorf("pprof off: /debug/pprof/ answered %d, want 404", code)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		cancel()
		if _, err := http.Get(base + "/metrics"); err == nil {
			t.Error("server still answers after Shutdown")
		}
	}
}

func TestServerListenError(t *testing.T) {
	s := NewServer(New("g", nil), ServerConfig{Listen: "127.0.0.1:notaport"}, nil)
	if err := s.Start(); err == nil {
		t.Fatal("bad address accepted")
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestGrafanaDashboard: the sample dashboard is valid JSON and every gobcos
// metric its queries use exists (histograms through _bucket).
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile("../docs/grafana/gobcos.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("docs/grafana/gobcos.json: %v", err)
	}
	name := regexp.MustCompile(`gobcos_[a-z0-9_]+`)
	used := map[string]bool{}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				base := strings.TrimSuffix(n, "_bucket")
				if _, ok := documented[base]; !ok {
					t.Errorf("dashboard query uses %s, which is not a gobcos metric: %s", n, tg.Expr)
				}
				used[base] = true
			}
		}
	}
	for _, must := range []string{"gobcos_block_height", "gobcos_txs_committed_total", "gobcos_consensus_phase_duration_seconds", "gobcos_rpc_requests_total", "gobcos_p2p_sent_bytes_total"} {
		if !used[must] {
			t.Errorf("dashboard does not show %s", must)
		}
	}
}

// kindCounters gathers the counter name of m by its kind label.
func kindCounters(t *testing.T, m *Metrics, name string) map[string]float64 {
	t.Helper()
	return labelCounters(t, m, name, "kind")
}

// labelCounters are the values of counter name by its label label.
func labelCounters(t *testing.T, m *Metrics, name, label string) map[string]float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, x := range mf.GetMetric() {
			for _, l := range x.GetLabel() {
				if l.GetName() == label {
					got[l.GetValue()] = x.GetCounter().GetValue()
				}
			}
		}
	}
	return got
}

type parallelSource struct{ *fakeSource }

func (parallelSource) ParallelExecution() (uint64, uint64, uint64, uint64) { return 9, 1, 3, 4 }

func TestParallelCounters(t *testing.T) {
	got := kindCounters(t, New("g", parallelSource{&fakeSource{height: 1}}), "gobcos_executor_parallel_total")
	if got["blocks"] != 9 || got["serial_fallbacks"] != 1 || got["reexecuted_chunks"] != 3 || got["taken_chunks"] != 4 {
		t.Fatalf("gobcos_executor_parallel_total: %v", got)
	}
	if !strings.Contains(mustRead(t, "../docs/metrics.md"), "`gobcos_executor_parallel_total`") {
		t.Fatal("docs/metrics.md does not list gobcos_executor_parallel_total")
	}
}

type pipeSource struct{ *fakeSource }

func (pipeSource) Pipelined() (uint64, uint64, bool) { return 5, 2, true }

func TestPipelinedCounters(t *testing.T) {
	got := kindCounters(t, New("g", pipeSource{&fakeSource{height: 1}}), "gobcos_consensus_pipelined_total")
	if got["orders"] != 5 || got["executions"] != 2 {
		t.Fatalf("gobcos_consensus_pipelined_total: %v", got)
	}
	if !strings.Contains(mustRead(t, "../docs/metrics.md"), "`gobcos_consensus_pipelined_total`") {
		t.Fatal("docs/metrics.md does not list gobcos_consensus_pipelined_total")
	}
}

type dropSource struct{ *fakeSource }

func (dropSource) ConsensusDrops() (map[string]uint64, bool) {
	return map[string]uint64{"surplus": 7, "bad_signature": 2}, true
}

func TestConsensusDropCounters(t *testing.T) {
	got := labelCounters(t, New("g", dropSource{&fakeSource{height: 1}}), "gobcos_consensus_dropped_total", "reason")
	if len(got) != 2 || got["surplus"] != 7 || got["bad_signature"] != 2 {
		t.Fatalf("gobcos_consensus_dropped_total: %v", got)
	}
	if !strings.Contains(mustRead(t, "../docs/metrics.md"), "`gobcos_consensus_dropped_total`") {
		t.Fatal("docs/metrics.md does not list gobcos_consensus_dropped_total")
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type cacheSource struct{ *fakeSource }

func (cacheSource) StateCache() (uint64, uint64, uint64, int) { return 7, 3, 2, 5 }

func TestStateCacheCounters(t *testing.T) {
	got := kindCounters(t, New("g", cacheSource{&fakeSource{height: 1}}), "gobcos_state_cache_reads_total")
	if got["hit"] != 7 || got["absent"] != 3 || got["miss"] != 2 {
		t.Fatalf("gobcos_state_cache_reads_total: %v", got)
	}
	doc := mustRead(t, "../docs/metrics.md")
	for _, name := range []string{"gobcos_state_cache_reads_total", "gobcos_state_cache_entries"} {
		if !strings.Contains(doc, "`"+name+"`") {
			t.Fatalf("docs/metrics.md does not list %s", name)
		}
	}
}

type storageSource struct{ *fakeSource }

func (storageSource) Storage() (StorageStats, bool) {
	return StorageStats{Flushes: 4, Compactions: 2, FlushedBytes: 400, CompactedBytes: 900,
		WriteStalls: 1, WriteStallTime: 1500 * time.Millisecond, L0Sublevels: 3,
		CompactionDebt: 77, DiskBytes: 1 << 20}, true
}

func TestStorageMetrics(t *testing.T) {
	m := New("g", storageSource{&fakeSource{height: 1}})
	got := kindCounters(t, m, "gobcos_storage_table_bytes_written_total")
	if got["flush"] != 400 || got["compaction"] != 900 {
		t.Fatalf("gobcos_storage_table_bytes_written_total: %v", got)
	}
	mfs := gather(t, m)
	for name, want := range map[string]float64{
		"gobcos_storage_flushes_total":             4,
		"gobcos_storage_compactions_total":         2,
		"gobcos_storage_write_stalls_total":        1,
		"gobcos_storage_write_stall_seconds_total": 1.5,
		"gobcos_storage_l0_sublevels":              3,
		"gobcos_storage_compaction_debt_bytes":     77,
		"gobcos_storage_disk_bytes":                1 << 20,
	} {
		mf := mfs[name]
		if mf == nil || len(mf.GetMetric()) != 1 {
			t.Fatalf("%s: missing", name)
		}
		x := mf.GetMetric()[0]
		v := x.GetCounter().GetValue()
		if x.GetGauge() != nil {
			v = x.GetGauge().GetValue()
		}
		if v != want {
			t.Fatalf("%s = %v, want %v", name, v, want)
		}
	}
	if _, ok := gather(t, New("g", &fakeSource{height: 1}))["gobcos_storage_flushes_total"]; ok {
		t.Fatal("storage metrics from a source without storage")
	}
	doc := mustRead(t, "../docs/metrics.md")
	for name := range mfs {
		if strings.HasPrefix(name, "gobcos_storage_") && !strings.Contains(doc, "`"+name+"`") {
			t.Fatalf("docs/metrics.md does not list %s", name)
		}
	}
}
