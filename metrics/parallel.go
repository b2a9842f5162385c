package metrics

import "github.com/prometheus/client_golang/prometheus"

var parallelDesc = prometheus.NewDesc(Namespace+"_executor_parallel_total",
	"Parallel execution ([executor] workers), by kind: blocks (executed in parallel), serial_fallbacks (blocks handed back to serial execution), reexecuted_chunks (chunks executed again after a conflict), taken_chunks (chunks a worker took from another's).", []string{"kind"}, nil)

// ParallelSource is implemented by a Source whose executor reports its
// parallel execution. Read at scrape time, cheap and safe from any
// goroutine.
type ParallelSource interface {
	ParallelExecution() (blocks, fallbacks, reexecuted, taken uint64)
}

type parallelCollector struct{ src ParallelSource }

func (c *parallelCollector) Describe(ch chan<- *prometheus.Desc) { ch <- parallelDesc }

func (c *parallelCollector) Collect(ch chan<- prometheus.Metric) {
	blocks, fallbacks, reexecuted, taken := c.src.ParallelExecution()
	for _, x := range []struct {
		kind string
		n    uint64
	}{{"blocks", blocks}, {"serial_fallbacks", fallbacks}, {"reexecuted_chunks", reexecuted}, {"taken_chunks", taken}} {
		ch <- prometheus.MustNewConstMetric(parallelDesc, prometheus.CounterValue, float64(x.n), x.kind)
	}
}
