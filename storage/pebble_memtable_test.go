package storage

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used, user and system, on
// every goroutine (Pebble's flushes and compactions run on their own).
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writeBlock commits one batch shaped like a committed block of n value
// transfers: per tx a body, a receipt and an index entry under random
// keys (tx hashes), a fresh recipient account, and the sender's account,
// one of 1,250 that are written again and again.
func writeBlock(tb testing.TB, p *Pebble, rng *rand.PCG, n, block int) {
	b := p.NewBatch()
	key := make([]byte, 33) // a prefix byte and 32 random ones
	body, receipt, index, acct := make([]byte, 110), make([]byte, 90), make([]byte, 12), make([]byte, 40)
	for i := range n {
		for j := 1; j < len(key); j += 8 {
			binary.LittleEndian.PutUint64(key[j:], rng.Uint64())
		}
		for prefix, v := range [][]byte{body, receipt, index, acct} {
			key[0] = byte(prefix)
			if err := b.Put(key, v); err != nil {
				tb.Fatal(err)
			}
		}
		key[0] = 4
		binary.BigEndian.PutUint64(key[1:], uint64((block*n+i)%1250))
		if err := b.Put(key[:9], acct); err != nil {
			tb.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkPebbleBlockWrites commits blocks of 1,000 transfers (writeBlock,
// about 0.4 MB each) into a store that already holds 250 of them, and
// reports the process's CPU time per block (the key generator's
// included): the batch commits and the flushes and compactions they cause,
// which run on Pebble's goroutines. The store is closed (its pending
// flushes finished) before the clock stops. It also reports the table
// bytes compactions wrote per block and the compaction debt left at the
// end (a tuning that only defers compactions leaves more). Pebble's
// default memtables and level-0 threshold against the node's.
//
//	go test ./storage -run '^$' -bench PebbleBlockWrites -benchtime 800x
func BenchmarkPebbleBlockWrites(b *testing.B) {
	for _, c := range []struct {
		name   string
		tuning pebbleTuning
	}{{"pebble-defaults", pebbleDefaults}, {"node", nodeTuning}} {
		b.Run(fmt.Sprintf("%s/memtable=%dMB/l0=%d", c.name, c.tuning.memTable>>20, c.tuning.l0Compaction), func(b *testing.B) {
			benchBlockWrites(b, c.tuning, writeBlock, false)
		})
	}
}

// benchBlockWrites commits blocks of 1,000 txs written by write into a
// store of the given tuning that already holds 250 of them, waits for
// the compactions they started if wait is set (settle), and reports the
// process's CPU time per block, the flushes and compactions, the table
// bytes compactions wrote and moved down a level without rewriting them
// per block, and the compaction debt left.
func benchBlockWrites(b *testing.B, tuning pebbleTuning, write func(testing.TB, *Pebble, *rand.PCG, int, int), wait bool) {
	const txs, prefill = 1000, 250
	p, err := openPebble(b.TempDir(), nil, true, tuning)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.NewPCG(1, 2)
	for i := range prefill {
		write(b, p, rng, txs, i)
	}
	if err := p.db.Flush(); err != nil {
		b.Fatal(err)
	}
	m0 := p.db.Metrics()
	b.ResetTimer()
	cpu := cpuTime(b)
	for i := range b.N {
		write(b, p, rng, txs, prefill+i)
	}
	if wait {
		settle(p)
	}
	m := p.db.Metrics()
	if err := p.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N)/1e3, "cpu-us/block")
	b.ReportMetric(float64(m.Flush.Count-m0.Flush.Count), "flushes")
	b.ReportMetric(float64(m.Compact.Count-m0.Compact.Count), "compactions")
	t, t0 := m.Total(), m0.Total()
	b.ReportMetric(float64(t.TableBytesCompacted-t0.TableBytesCompacted)/float64(b.N)/1e6, "compacted-MB/block")
	b.ReportMetric(float64(t.TableBytesMoved-t0.TableBytesMoved)/float64(b.N)/1e6, "moved-MB/block")
	b.ReportMetric(float64(m.Compact.EstimatedDebt)/1e6, "debt-MB")
}

func TestStaggeredMemTable(t *testing.T) {
	const size = 32 << 20
	seen := make(map[uint64]bool)
	for i := range 64 {
		dir := fmt.Sprintf("chain/node%d/data", i)
		got := staggeredMemTable(dir, size)
		if got < size || got > size*5/4 {
			t.Fatalf("%s: memtable of %d bytes, outside %d to %d", dir, got, size, size*5/4)
		}
		if again := staggeredMemTable(dir, size); again != got {
			t.Fatalf("%s: %d then %d: the size must not change between starts", dir, got, again)
		}
		seen[got] = true
	}
	// The nodes of a chain get different sizes (17 are possible).
	if len(seen) < 12 {
		t.Fatalf("64 directories got only %d sizes", len(seen))
	}
}
