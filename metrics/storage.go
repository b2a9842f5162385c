package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	storageFlushesDesc = prometheus.NewDesc(Namespace+"_storage_flushes_total",
		"Memtable flushes of the node's database.", nil, nil)
	storageCompactionsDesc = prometheus.NewDesc(Namespace+"_storage_compactions_total",
		"Compactions of the node's database.", nil, nil)
	storageWrittenDesc = prometheus.NewDesc(Namespace+"_storage_table_bytes_written_total",
		"Table bytes the database's background work wrote, by kind (flush, compaction); compactions' share grows with the write amplification.", []string{"kind"}, nil)
	storageStallsDesc = prometheus.NewDesc(Namespace+"_storage_write_stalls_total",
		"Times the database held commits back because flushes or compactions fell behind.", nil, nil)
	storageStallSecondsDesc = prometheus.NewDesc(Namespace+"_storage_write_stall_seconds_total",
		"Time commits were held back by write stalls.", nil, nil)
	storageL0SublevelsDesc = prometheus.NewDesc(Namespace+"_storage_l0_sublevels",
		"Level-0 sublevels of the database: a point read may look into each.", nil, nil)
	storageDebtDesc = prometheus.NewDesc(Namespace+"_storage_compaction_debt_bytes",
		"Estimated bytes compactions must still rewrite.", nil, nil)
	storageDiskDesc = prometheus.NewDesc(Namespace+"_storage_disk_bytes",
		"Disk space the database uses.", nil, nil)
)

// StorageStats are the node database's background work and shape.
type StorageStats struct {
	Flushes, Compactions         uint64
	FlushedBytes, CompactedBytes uint64
	WriteStalls                  uint64
	WriteStallTime               time.Duration
	L0Sublevels                  int
	CompactionDebt, DiskBytes    uint64
}

// StorageSource is implemented by a Source whose node keeps its data in a
// database that reports its work; ok is false when it does not (or is
// closed). Read at scrape time.
type StorageSource interface {
	Storage() (s StorageStats, ok bool)
}

type storageCollector struct{ src StorageSource }

func (c *storageCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{storageFlushesDesc, storageCompactionsDesc, storageWrittenDesc,
		storageStallsDesc, storageStallSecondsDesc, storageL0SublevelsDesc, storageDebtDesc, storageDiskDesc} {
		ch <- d
	}
}

func (c *storageCollector) Collect(ch chan<- prometheus.Metric) {
	s, ok := c.src.Storage()
	if !ok {
		return
	}
	metric := func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, t, v, labels...)
	}
	metric(storageFlushesDesc, prometheus.CounterValue, float64(s.Flushes))
	metric(storageCompactionsDesc, prometheus.CounterValue, float64(s.Compactions))
	metric(storageWrittenDesc, prometheus.CounterValue, float64(s.FlushedBytes), "flush")
	metric(storageWrittenDesc, prometheus.CounterValue, float64(s.CompactedBytes), "compaction")
	metric(storageStallsDesc, prometheus.CounterValue, float64(s.WriteStalls))
	metric(storageStallSecondsDesc, prometheus.CounterValue, s.WriteStallTime.Seconds())
	metric(storageL0SublevelsDesc, prometheus.GaugeValue, float64(s.L0Sublevels))
	metric(storageDebtDesc, prometheus.GaugeValue, float64(s.CompactionDebt))
	metric(storageDiskDesc, prometheus.GaugeValue, float64(s.DiskBytes))
}
