package keyfilter

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// The filter never forgets a key, across generations, while lookups run
// concurrently with adds; its false-positive rate stays near the design's.
func TestGrowsWithoutFalseNegatives(t *testing.T) {
	f := New()
	key := func(i int) []byte { return binary.BigEndian.AppendUint64([]byte("k"), uint64(i)) }
	const total = 5 * MinKeys
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var added atomic.Int64 // keys [0, added) are in the filter
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			n := int(added.Load())
			for i := max(0, n-100); i < n; i++ {
				if !f.MayContain(key(i)) {
					t.Errorf("key %d added, then not found while adds go on", i)
					return
				}
			}
		}
	})
	for i := 0; i < total; i += 100 {
		keys := make([][]byte, 0, 100)
		for j := i; j < i+100; j++ {
			keys = append(keys, key(j))
		}
		f.Add(keys...)
		added.Store(int64(i + 100))
	}
	close(stop)
	wg.Wait()
	if gens := len(*f.gens.Load()); gens < 2 {
		t.Fatalf("%d keys fit in %d generation(s); the test does not exercise growth", total, gens)
	}
	for i := range total {
		if !f.MayContain(key(i)) {
			t.Fatalf("key %d added, then not found", i)
		}
	}
	fp := 0
	const probes = 100_000
	for i := range probes {
		if f.MayContain(key(total + i)) {
			fp++
		}
	}
	// About 0.1% a generation, and the test's keys fill 3 of them.
	if rate := float64(fp) / probes; rate > 0.01 {
		t.Fatalf("false-positive rate %.4f, want about 0.002 to 0.003", rate)
	}
	t.Logf("%d generations, %d bytes, false positives %.4f", len(*f.gens.Load()), f.Bytes(), float64(fp)/probes)
}

// BenchmarkGrownFilter adds keys a thousand at a time (a ledger's tx
// hashes, block by block) up to each size, then reports the filter's
// generations, its false-positive rate over 400,000 absent keys and its
// memory; ns/op is one lookup of an absent key.
//
//	go test ./internal/keyfilter -run '^$' -bench GrownFilter -benchtime 1000000x
func BenchmarkGrownFilter(b *testing.B) {
	key := func(i int) []byte { return binary.BigEndian.AppendUint64([]byte("k"), uint64(i)) }
	for _, size := range []int{100_000, 1_000_000, 5_000_000} {
		b.Run(fmt.Sprintf("keys=%d", size), func(b *testing.B) {
			f := New()
			for n := 0; n < size; n += 1000 {
				keys := make([][]byte, 1000)
				for j := range keys {
					keys[j] = key(n + j)
				}
				f.Add(keys...)
			}
			const probes = 400_000
			fp := 0
			for i := range probes {
				if f.MayContain(key(size + i)) {
					fp++
				}
			}
			absent := key(size + probes)
			for b.Loop() {
				f.MayContain(absent)
			}
			b.ReportMetric(float64(len(*f.gens.Load())), "generations")
			b.ReportMetric(100*float64(fp)/probes, "fp%")
			b.ReportMetric(float64(f.Bytes())/1e6, "MB")
		})
	}
}
