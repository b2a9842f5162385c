package metrics

import "github.com/prometheus/client_golang/prometheus"

var pipelinedDesc = prometheus.NewDesc(Namespace+"_consensus_pipelined_total",
	"PBFT work on a height whose parent was not committed yet (pipelining, compatibility version 0.4.0 on), by kind: orders (proposals made and verdicts given) or executions (blocks run on the uncommitted parent).", []string{"kind"}, nil)

// PipelineSource is implemented by a Source of a node running PBFT; ok is
// false on a node without it. Read at scrape time, cheap and safe from
// any goroutine.
type PipelineSource interface {
	Pipelined() (orders, executions uint64, ok bool)
}

type pipelineCollector struct{ src PipelineSource }

func (c *pipelineCollector) Describe(ch chan<- *prometheus.Desc) { ch <- pipelinedDesc }

func (c *pipelineCollector) Collect(ch chan<- prometheus.Metric) {
	orders, execs, ok := c.src.Pipelined()
	if !ok {
		return
	}
	ch <- prometheus.MustNewConstMetric(pipelinedDesc, prometheus.CounterValue, float64(orders), "orders")
	ch <- prometheus.MustNewConstMetric(pipelinedDesc, prometheus.CounterValue, float64(execs), "executions")
}
