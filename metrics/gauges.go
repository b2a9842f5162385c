package metrics

import "github.com/prometheus/client_golang/prometheus"

var (
	viewDesc = prometheus.NewDesc(Namespace+"_consensus_view",
		"Current PBFT view (Raft term) of this node's consensus engine.", nil, nil)
	viewChangesDesc = prometheus.NewDesc(Namespace+"_consensus_view_changes_total",
		"View changes this node started (timeouts, a misbehaving leader).", nil, nil)
)

// consensusCollector reads the view and the view changes in one call of
// Source.Consensus; it reports nothing on a node without views.
type consensusCollector struct{ src Source }

func (c *consensusCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- viewDesc
	ch <- viewChangesDesc
}

func (c *consensusCollector) Collect(ch chan<- prometheus.Metric) {
	view, changes, ok := c.src.Consensus()
	if !ok {
		return
	}
	ch <- prometheus.MustNewConstMetric(viewDesc, prometheus.GaugeValue, float64(view))
	ch <- prometheus.MustNewConstMetric(viewChangesDesc, prometheus.CounterValue, float64(changes))
}
