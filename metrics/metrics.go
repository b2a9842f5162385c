package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes every gobcos metric.
const Namespace = "gobcos"

// GroupLabel is the label every gobcos metric carries.
const GroupLabel = "group"

// Bucket bounds, in seconds.
var (
	// phaseBuckets cover consensus phases, execution and commits: 0.5 ms
	// to about 16 s.
	phaseBuckets = prometheus.ExponentialBuckets(0.0005, 2, 16)
	// rpcBuckets cover JSON-RPC calls: 0.1 ms to about 6.5 s (receipt
	// waits longer than that land in +Inf).
	rpcBuckets = prometheus.ExponentialBuckets(0.0001, 3, 11)
	// latencyBuckets cover a tx's arrival to commit: 10 ms to about 80 s.
	latencyBuckets = prometheus.ExponentialBuckets(0.01, 2, 14)
)

// Source is what the gauges read at scrape time. Every call must be cheap
// and safe from any goroutine.
type Source interface {
	// Height is the number of the latest committed block.
	Height() uint64
	// PoolStats are the txs waiting in the pool and their encoded size.
	PoolStats() (txs, bytes int)
	// Peers is the number of connected P2P peers.
	Peers() int
	// Consensus is the current view (PBFT) or term (Raft) and the view
	// changes this node started; ok is false on a node without an engine
	// that has views (an observer, a Solo chain).
	Consensus() (view, viewChanges uint64, ok bool)
	// SigChecks are the tx signatures this node checked and the txs whose
	// sender it already knew by hash (txverify.Verifier.Stats).
	SigChecks() (checks, cacheHits uint64)
}

// Metrics are one node's collectors, in their own registry. The methods of
// a nil *Metrics do nothing.
type Metrics struct {
	reg *prometheus.Registry

	blocksCommitted prometheus.Counter
	txsCommitted    prometheus.Counter
	gasUsed         prometheus.Counter
	blockExec       prometheus.Histogram
	blockCommit     prometheus.Histogram
	phase           *prometheus.HistogramVec
	txsAccepted     *prometheus.CounterVec
	txsRejected     *prometheus.CounterVec
	txLatency       prometheus.Histogram
	p2pSentBytes    *prometheus.CounterVec
	p2pRecvBytes    *prometheus.CounterVec
	p2pSentMsgs     *prometheus.CounterVec
	p2pRecvMsgs     *prometheus.CounterVec
	rpcCalls        *prometheus.CounterVec
	rpcErrors       *prometheus.CounterVec
	rpcDuration     *prometheus.HistogramVec

	// rpcMethods holds, by method, the series of rpcCalls and rpcDuration
	// (*rpcSeries): a call does not look them up by label value.
	rpcMethods sync.Map
}

// rpcSeries are one method's series of the calls counter and the
// duration histogram.
type rpcSeries struct {
	calls    prometheus.Counter
	duration prometheus.Observer
}

// New makes the collectors of the node serving group and registers them,
// with the gauges read from src and the Go and process collectors, in a
// new registry.
func New(group string, src Source) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r := prometheus.WrapRegistererWith(prometheus.Labels{GroupLabel: group}, reg)
	m := &Metrics{reg: reg}

	counter := func(sub, name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Subsystem: sub, Name: name, Help: help})
		r.MustRegister(c)
		return c
	}
	counterVec := func(sub, name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: sub, Name: name, Help: help}, labels)
		r.MustRegister(c)
		return c
	}
	histogram := func(sub, name, help string, buckets []float64) prometheus.Histogram {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: sub, Name: name, Help: help, Buckets: buckets})
		r.MustRegister(h)
		return h
	}
	histogramVec := func(sub, name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: sub, Name: name, Help: help, Buckets: buckets}, labels)
		r.MustRegister(h)
		return h
	}

	m.blocksCommitted = counter("", "blocks_committed_total", "Blocks this node committed to its ledger (by consensus or block sync).")
	m.txsCommitted = counter("", "txs_committed_total", "Transactions in the blocks this node committed.")
	m.gasUsed = counter("", "gas_used_total", "Gas used by the blocks this node committed.")
	m.blockExec = histogram("block", "execution_duration_seconds", "Time to execute a block's transactions.", phaseBuckets)
	m.blockCommit = histogram("block", "commit_duration_seconds", "Time to store an executed block in the ledger.", phaseBuckets)
	m.phase = histogramVec("consensus", "phase_duration_seconds", "Time a block spent in a consensus phase (seal, prepare, commit, checkpoint).", phaseBuckets, "phase")
	m.txsAccepted = counterVec("txpool", "txs_accepted_total", "Transactions admitted to the pool, by source (rpc, gossip).", "source")
	m.txsRejected = counterVec("txpool", "txs_rejected_total", "Transactions the pool refused, by source (rpc, gossip) and reason.", "source", "reason")
	m.txLatency = histogram("tx", "commit_latency_seconds", "Time from a transaction's arrival in this node's pool to the commit of its block.", latencyBuckets)
	m.p2pSentBytes = counterVec("p2p", "sent_bytes_total", "Payload bytes sent to peers, by message type (module).", "module")
	m.p2pRecvBytes = counterVec("p2p", "received_bytes_total", "Payload bytes received from peers, by message type (module).", "module")
	m.p2pSentMsgs = counterVec("p2p", "sent_messages_total", "Messages sent to peers, by message type (module).", "module")
	m.p2pRecvMsgs = counterVec("p2p", "received_messages_total", "Messages received from peers, by message type (module).", "module")
	m.rpcCalls = counterVec("rpc", "requests_total", "JSON-RPC calls, by method.", "method")
	m.rpcErrors = counterVec("rpc", "errors_total", "JSON-RPC calls answered with an error, by method.", "method")
	m.rpcDuration = histogramVec("rpc", "request_duration_seconds", "Time to answer a JSON-RPC call, by method.", rpcBuckets, "method")

	if src != nil {
		registerGauges(r, src)
	}
	return m
}

// registerGauges adds the collectors read from src at scrape time.
func registerGauges(r prometheus.Registerer, src Source) {
	gauge := func(sub, name, help string, f func() float64) {
		r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: sub, Name: name, Help: help}, f))
	}
	gauge("", "block_height", "Number of the latest committed block.", func() float64 { return float64(src.Height()) })
	gauge("txpool", "txs", "Transactions waiting in the pool.", func() float64 { n, _ := src.PoolStats(); return float64(n) })
	gauge("txpool", "bytes", "Encoded bytes of the transactions waiting in the pool.", func() float64 { _, b := src.PoolStats(); return float64(b) })
	gauge("p2p", "peers", "Connected P2P peers.", func() float64 { return float64(src.Peers()) })
	counter := func(sub, name, help string, f func() float64) {
		r.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Subsystem: sub, Name: name, Help: help}, f))
	}
	counter("tx", "signature_checks_total", "Transaction signatures this node checked (each tx once per node, however it arrives).",
		func() float64 { c, _ := src.SigChecks(); return float64(c) })
	counter("tx", "signature_cache_hits_total", "Transactions whose sender this node knew by hash, so their signature was not checked again.",
		func() float64 { _, h := src.SigChecks(); return float64(h) })
	r.MustRegister(&consensusCollector{src: src})
	if ps, ok := src.(P2PSource); ok {
		r.MustRegister(&p2pCollector{src: ps})
	}
	if gs, ok := src.(TxGossipSource); ok {
		r.MustRegister(&gossipCollector{src: gs})
	}
	if fs, ok := src.(TxFetchSource); ok {
		r.MustRegister(&fetchCollector{src: fs})
	}
	if ps, ok := src.(PipelineSource); ok {
		r.MustRegister(&pipelineCollector{src: ps})
	}
	if ds, ok := src.(ConsensusDropSource); ok {
		r.MustRegister(&consensusDropCollector{src: ds})
	}
	if ps, ok := src.(ParallelSource); ok {
		r.MustRegister(&parallelCollector{src: ps})
	}
	if cs, ok := src.(StateCacheSource); ok {
		r.MustRegister(&stateCacheCollector{src: cs})
	}
	if ss, ok := src.(StorageSource); ok {
		r.MustRegister(&storageCollector{src: ss})
	}
}

// Registry is the registry holding the node's collectors.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// BlockExecuted records the execution of a block.
func (m *Metrics) BlockExecuted(took time.Duration) {
	if m == nil {
		return
	}
	m.blockExec.Observe(took.Seconds())
}

// BlockCommitted records a block stored in the ledger: its transactions,
// gas and the time the ledger took.
func (m *Metrics) BlockCommitted(txs int, gasUsed uint64, took time.Duration) {
	if m == nil {
		return
	}
	m.blocksCommitted.Inc()
	m.txsCommitted.Add(float64(txs))
	m.gasUsed.Add(float64(gasUsed))
	m.blockCommit.Observe(took.Seconds())
}

// Phase records the time a block spent in a consensus phase.
func (m *Metrics) Phase(name string, took time.Duration) {
	if m == nil {
		return
	}
	m.phase.WithLabelValues(name).Observe(took.Seconds())
}

// TxAccepted counts a transaction admitted to the pool from source.
func (m *Metrics) TxAccepted(source string) { m.TxsAccepted(source, 1) }

// TxsAccepted counts n transactions from source admitted to the pool.
func (m *Metrics) TxsAccepted(source string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.txsAccepted.WithLabelValues(source).Add(float64(n))
}

// TxRejected counts a transaction from source that the pool refused for
// reason (a short fixed name, never client input).
func (m *Metrics) TxRejected(source, reason string) {
	if m == nil {
		return
	}
	m.txsRejected.WithLabelValues(source, reason).Inc()
}

// TxCommitLatency records the time from a tx's arrival to its commit.
func (m *Metrics) TxCommitLatency(took time.Duration) {
	if m == nil {
		return
	}
	m.txLatency.Observe(took.Seconds())
}

// P2PSent counts a message of module with a payload of n bytes sent to
// one peer.
func (m *Metrics) P2PSent(module string, n int) {
	if m == nil {
		return
	}
	m.p2pSentMsgs.WithLabelValues(module).Inc()
	m.p2pSentBytes.WithLabelValues(module).Add(float64(n))
}

// P2PReceived counts a message of module with a payload of n bytes
// received from a peer.
func (m *Metrics) P2PReceived(module string, n int) {
	if m == nil {
		return
	}
	m.p2pRecvMsgs.WithLabelValues(module).Inc()
	m.p2pRecvBytes.WithLabelValues(module).Add(float64(n))
}

// RPCCall records one JSON-RPC call of method (a registered method name,
// never arbitrary client input), its duration and whether it failed.
func (m *Metrics) RPCCall(method string, took time.Duration, failed bool) {
	if m == nil {
		return
	}
	se := m.rpcSeriesOf(method)
	se.calls.Inc()
	if failed {
		m.rpcErrors.WithLabelValues(method).Inc() // the series exists once a call failed
	}
	se.duration.Observe(took.Seconds())
}

// rpcSeriesOf returns method's series, made on its first call.
func (m *Metrics) rpcSeriesOf(method string) *rpcSeries {
	if se, ok := m.rpcMethods.Load(method); ok {
		return se.(*rpcSeries)
	}
	se, _ := m.rpcMethods.LoadOrStore(method, &rpcSeries{calls: m.rpcCalls.WithLabelValues(method), duration: m.rpcDuration.WithLabelValues(method)})
	return se.(*rpcSeries)
}
