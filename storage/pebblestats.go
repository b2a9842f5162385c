package storage

import (
	"log/slog"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// PebbleStats are a Pebble store's background work and shape, for the
// node's metrics: how much its flushes and compactions wrote (their CPU
// grows with it), how often writes were held back because that work fell
// behind, and how far behind it is.
type PebbleStats struct {
	Flushes, Compactions         uint64
	FlushedBytes, CompactedBytes uint64 // table bytes written
	// WriteStalls counts the times Pebble held commits back (too many
	// memtables waiting to flush, or too many level-0 sublevels);
	// WriteStallTime is their total length, an ongoing one included.
	WriteStalls    uint64
	WriteStallTime time.Duration
	L0Sublevels    int
	L0Tables       int64
	// CompactionDebt estimates the bytes compactions must still rewrite
	// to bring the levels back into shape.
	CompactionDebt uint64
	DiskBytes      uint64
}

// Stats reports the store's background work; ErrClosed after Close.
func (p *Pebble) Stats() (PebbleStats, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return PebbleStats{}, ErrClosed
	}
	m := p.db.Metrics()
	s := PebbleStats{
		Flushes:        uint64(m.Flush.Count),
		Compactions:    uint64(m.Compact.Count),
		FlushedBytes:   flushedTableBytes(m),
		CompactedBytes: m.Total().TableBytesCompacted,
		L0Sublevels:    int(m.Levels[0].Sublevels),
		L0Tables:       m.Levels[0].TablesCount,
		CompactionDebt: m.Compact.EstimatedDebt,
		DiskBytes:      m.DiskSpaceUsage(),
	}
	s.WriteStalls, s.WriteStallTime = p.stalls.read(time.Now())
	return s, nil
}

// flushedTableBytes is the table bytes flushes wrote. Not
// Metrics.Total's TableBytesFlushed: that adds the bytes written to the
// write-ahead log, which flushes do not write.
func flushedTableBytes(m *pebble.Metrics) uint64 {
	var n uint64
	for _, l := range m.Levels {
		n += l.TableBytesFlushed
	}
	return n
}

// stallCounter follows Pebble's write stalls through its event listener.
type stallCounter struct {
	logger *slog.Logger

	mu    sync.Mutex
	count uint64
	total time.Duration
	since time.Time // start of the ongoing stall; zero if none
}

// listener follows the write stalls, and logs each flush and compaction
// with what it wrote and how long it took: on a machine that runs
// several nodes, the flushes are what pauses a chain for a second or two
// (BENCHMARKS.md, "Ledger keys grouped; memtable flushes and the chain's
// pauses").
func (s *stallCounter) listener() *pebble.EventListener {
	return &pebble.EventListener{
		WriteStallBegin: func(info pebble.WriteStallBeginInfo) { s.begin(time.Now(), info.Reason) },
		WriteStallEnd:   func() { s.end(time.Now()) },
		FlushEnd: func(info pebble.FlushInfo) {
			if info.Err == nil && !info.Ingest {
				s.logger.Info("flushed memtables", "memtables", info.Input, "memtable_bytes", info.InputBytes,
					"table_bytes", tableBytes(info.Output), "took", info.TotalDuration)
			}
		},
		CompactionEnd: func(info pebble.CompactionInfo) {
			if info.Err == nil {
				s.logger.Info("compacted tables", "reason", info.Reason, "to_level", info.Output.Level,
					"table_bytes", tableBytes(info.Output.Tables), "took", info.TotalDuration)
			}
		},
	}
}

// tableBytes is the size of the tables a flush or compaction wrote.
func tableBytes(ts []pebble.TableInfo) uint64 {
	var n uint64
	for _, t := range ts {
		n += t.Size
	}
	return n
}

func (s *stallCounter) begin(now time.Time, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.since.IsZero() {
		return
	}
	s.count++
	s.since = now
	s.logger.Warn("writes stalled: flushes or compactions fell behind", "reason", reason)
}

func (s *stallCounter) end(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.since.IsZero() {
		return
	}
	took := now.Sub(s.since)
	s.total += took
	s.since = time.Time{}
	s.logger.Info("writes resumed", "stalled", took)
}

func (s *stallCounter) read(now time.Time) (uint64, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.total
	if !s.since.IsZero() {
		t += now.Sub(s.since)
	}
	return s.count, t
}
