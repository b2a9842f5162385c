package metrics

import "github.com/prometheus/client_golang/prometheus"

var (
	viewDesc = prometheus.NewDesc(Namespace+"_consensus_view",
		"Current PBFT view (Raft term) of this node's consensus engine.", nil, nil)
	viewChangesDesc = prometheus.NewDesc(Namespace+"_consensus_view_changes_total",
		"View changes this node started (timeouts, a misbehaving leader).", nil, nil)
)

var (
	p2pRefusalsDesc = prometheus.NewDesc(Namespace+"_p2p_refusals_total",
		"Peers refused at the secure handshake, by reason (untrusted_ca, expired, revoked, not_in_node_list, denied...).", []string{"reason"}, nil)
	p2pDisconnectsDesc = prometheus.NewDesc(Namespace+"_p2p_disconnects_total",
		"Open connections this node closed: peers no longer admitted (expired, revoked, not_in_node_list, denied...) or silent (keepalive_timeout), by reason.", []string{"reason"}, nil)
	p2pGroupDropsDesc = prometheus.NewDesc(Namespace+"_p2p_group_drops_total",
		"Inbound messages of a group dropped because their sender is not a member of it (not_in_node_list, denied, unknown_group), by reason.", []string{"reason"}, nil)
)

// P2PSource is implemented by a Source of a node with a P2P network; its
// counters are read at scrape time. Every call must be cheap and safe from
// any goroutine.
type P2PSource interface {
	// P2PRefusals counts peers refused at the handshake, by reason.
	P2PRefusals() map[string]uint64
	// P2PDisconnects counts open connections closed by this node, by
	// reason.
	P2PDisconnects() map[string]uint64
	// P2PGroupDrops counts inbound messages of a group dropped because
	// their sender is not a member of it, by reason.
	P2PGroupDrops() map[string]uint64
}

// p2pCollector reports a P2PSource's counters.
type p2pCollector struct{ src P2PSource }

func (c *p2pCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- p2pRefusalsDesc
	ch <- p2pDisconnectsDesc
	ch <- p2pGroupDropsDesc
}

func (c *p2pCollector) Collect(ch chan<- prometheus.Metric) {
	for reason, n := range c.src.P2PRefusals() {
		ch <- prometheus.MustNewConstMetric(p2pRefusalsDesc, prometheus.CounterValue, float64(n), reason)
	}
	for reason, n := range c.src.P2PDisconnects() {
		ch <- prometheus.MustNewConstMetric(p2pDisconnectsDesc, prometheus.CounterValue, float64(n), reason)
	}
	for reason, n := range c.src.P2PGroupDrops() {
		ch <- prometheus.MustNewConstMetric(p2pGroupDropsDesc, prometheus.CounterValue, float64(n), reason)
	}
}

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
