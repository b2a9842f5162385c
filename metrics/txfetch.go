package metrics

import "github.com/prometheus/client_golang/prometheus"

var (
	fetchTxsDesc = prometheus.NewDesc(Namespace+"_txfetch_txs_total",
		"PBFT proposal tx bodies, by direction: fetched from peers (each checked against its hash) or served to peers that asked.", []string{"direction"}, nil)
	fetchFailuresDesc = prometheus.NewDesc(Namespace+"_txfetch_failures_total",
		"Fetches of a proposal's missing tx bodies that ended without all of them (every sealer asked, with bounded retries).", nil, nil)
	fetchBadBodiesDesc = prometheus.NewDesc(Namespace+"_txfetch_bad_bodies_total",
		"Tx bodies peers sent that were not asked for (wrong hash, or undecodable); ignored.", nil, nil)
	fetchDroppedDesc = prometheus.NewDesc(Namespace+"_txfetch_requests_dropped_total",
		"Peers' fetch requests dropped: over the peer's rate, or the serve queue full.", nil, nil)
	fetchBadMsgsDesc = prometheus.NewDesc(Namespace+"_txfetch_bad_messages_total",
		"Fetch messages from peers that did not decode.", nil, nil)
)

// TxFetchStats are the counters of a PBFT sealer fetching the tx bodies
// of proposals that carry tx hashes (compatibility version 0.3.0 on).
type TxFetchStats struct {
	Fetched, Served              uint64
	Failures, BadBodies          uint64
	DroppedRequests, BadMessages uint64
}

// TxFetchSource is implemented by a Source of a node running PBFT; ok is
// false on a node without it. Read at scrape time, cheap and safe from
// any goroutine.
type TxFetchSource interface {
	TxFetch() (s TxFetchStats, ok bool)
}

type fetchCollector struct{ src TxFetchSource }

func (c *fetchCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- fetchTxsDesc
	ch <- fetchFailuresDesc
	ch <- fetchBadBodiesDesc
	ch <- fetchDroppedDesc
	ch <- fetchBadMsgsDesc
}

func (c *fetchCollector) Collect(ch chan<- prometheus.Metric) {
	s, ok := c.src.TxFetch()
	if !ok {
		return
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(fetchTxsDesc, s.Fetched, "fetched")
	counter(fetchTxsDesc, s.Served, "served")
	counter(fetchFailuresDesc, s.Failures)
	counter(fetchBadBodiesDesc, s.BadBodies)
	counter(fetchDroppedDesc, s.DroppedRequests)
	counter(fetchBadMsgsDesc, s.BadMessages)
}
