package keyfilter

import (
	"encoding/binary"
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
