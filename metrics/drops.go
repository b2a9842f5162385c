package metrics

import "github.com/prometheus/client_golang/prometheus"

var consensusDropsDesc = prometheus.NewDesc(Namespace+"_consensus_dropped_total",
	"PBFT messages this sealer dropped, by reason: bad_signature, equivocation, invalid_proposal, bad_certificate... (byzantine or misconfigured peers), old_height, duplicate, surplus (a prepare no longer needed, its signature not checked)... (normal traffic).", []string{"reason"}, nil)

// ConsensusDropSource is implemented by a Source of a node running PBFT;
// ok is false on a node without it. Read at scrape time, cheap and safe
// from any goroutine.
type ConsensusDropSource interface {
	ConsensusDrops() (byReason map[string]uint64, ok bool)
}

type consensusDropCollector struct{ src ConsensusDropSource }

func (c *consensusDropCollector) Describe(ch chan<- *prometheus.Desc) { ch <- consensusDropsDesc }

func (c *consensusDropCollector) Collect(ch chan<- prometheus.Metric) {
	drops, ok := c.src.ConsensusDrops()
	if !ok {
		return
	}
	for reason, n := range drops {
		ch <- prometheus.MustNewConstMetric(consensusDropsDesc, prometheus.CounterValue, float64(n), reason)
	}
}
