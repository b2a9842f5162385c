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

var (
	gossipQueuedDesc = prometheus.NewDesc(Namespace+"_txgossip_txs_queued_total",
		"Transactions queued for the next outbound gossip batch (from clients and re-gossip).", nil, nil)
	gossipDroppedDesc = prometheus.NewDesc(Namespace+"_txgossip_txs_dropped_total",
		"Transactions not gossiped: the outbound queue was full, or the tx fits no batch.", nil, nil)
	gossipBatchesDesc = prometheus.NewDesc(Namespace+"_txgossip_batches_total",
		"Gossip batches, by direction: sent (encoded once, however many peers take it) or received (from one peer, accepted).", []string{"direction"}, nil)
	gossipTxsDesc = prometheus.NewDesc(Namespace+"_txgossip_txs_total",
		"Transactions in the gossip batches, by direction (sent, received).", []string{"direction"}, nil)
	gossipBadDesc = prometheus.NewDesc(Namespace+"_txgossip_bad_messages_total",
		"Gossip messages from peers dropped whole: a malformed batch, or a tx in it that does not decode.", nil, nil)
)

// TxGossipStats are the counters of a node's batched tx gossip.
type TxGossipStats struct {
	// Queued and Dropped count outbound txs queued or refused.
	Queued, Dropped uint64
	// BatchesSent are the outbound batches and TxsSent the txs in them.
	BatchesSent, TxsSent uint64
	// BatchesReceived are the accepted inbound messages and TxsReceived
	// the txs in them; BadMessages the inbound messages dropped.
	BatchesReceived, TxsReceived, BadMessages uint64
}

// TxGossipSource is implemented by a Source of a node that gossips txs;
// read at scrape time, cheap and safe from any goroutine.
type TxGossipSource interface {
	TxGossip() TxGossipStats
}

// gossipCollector reports a TxGossipSource's counters.
type gossipCollector struct{ src TxGossipSource }

func (c *gossipCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- gossipQueuedDesc
	ch <- gossipDroppedDesc
	ch <- gossipBatchesDesc
	ch <- gossipTxsDesc
	ch <- gossipBadDesc
}

func (c *gossipCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.TxGossip()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(gossipQueuedDesc, s.Queued)
	counter(gossipDroppedDesc, s.Dropped)
	counter(gossipBatchesDesc, s.BatchesSent, "sent")
	counter(gossipBatchesDesc, s.BatchesReceived, "received")
	counter(gossipTxsDesc, s.TxsSent, "sent")
	counter(gossipTxsDesc, s.TxsReceived, "received")
	counter(gossipBadDesc, s.BadMessages)
}
