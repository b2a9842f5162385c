package metrics

import "github.com/prometheus/client_golang/prometheus"

var (
	stateCacheReadsDesc = prometheus.NewDesc(Namespace+"_state_cache_reads_total",
		"Reads of committed accounts, code and storage slots by executions and the tx pool, by kind: hit (served from the node's state cache), absent (a key that does not exist, ruled out by the cache's filter of existing keys) or miss (read from storage).", []string{"kind"}, nil)
	stateCacheEntriesDesc = prometheus.NewDesc(Namespace+"_state_cache_entries",
		"Entries held by the node's state cache.", nil, nil)
)

// StateCacheSource is implemented by a Source whose node caches committed
// state. Read at scrape time, cheap and safe from any goroutine.
type StateCacheSource interface {
	StateCache() (hits, absent, misses uint64, entries int)
}

type stateCacheCollector struct{ src StateCacheSource }

func (c *stateCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- stateCacheReadsDesc
	ch <- stateCacheEntriesDesc
}

func (c *stateCacheCollector) Collect(ch chan<- prometheus.Metric) {
	hits, absent, misses, entries := c.src.StateCache()
	ch <- prometheus.MustNewConstMetric(stateCacheReadsDesc, prometheus.CounterValue, float64(hits), "hit")
	ch <- prometheus.MustNewConstMetric(stateCacheReadsDesc, prometheus.CounterValue, float64(absent), "absent")
	ch <- prometheus.MustNewConstMetric(stateCacheReadsDesc, prometheus.CounterValue, float64(misses), "miss")
	ch <- prometheus.MustNewConstMetric(stateCacheEntriesDesc, prometheus.GaugeValue, float64(entries))
}
