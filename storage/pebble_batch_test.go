package storage

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// A released batch leaves its buffer to the next one: a node writing a
// batch of some 100 KB per block does not allocate it anew each block.
func TestReleasedBatchBufferReused(t *testing.T) {
	if raceDetector {
		t.Skip("under the race detector sync.Pool keeps no promise of reuse (Pebble's pool of batches)")
	}
	p, err := OpenPebble(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	value := []byte(strings.Repeat("v", 1000))
	write := func(round int) {
		b := p.NewBatch()
		for i := range 100 {
			if err := b.Put(fmt.Appendf(nil, "k/%03d/%03d", round, i), value); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.CommitNoSync(); err != nil {
			t.Fatal(err)
		}
		b.Release()
	}
	write(0)
	const rounds = 50
	// No collection meanwhile: it would empty Pebble's pool of batches.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for r := 1; r <= rounds; r++ {
		write(r)
	}
	runtime.ReadMemStats(&after)
	// Each batch holds about 100 KB; grown from Pebble's initial 1 KB by
	// doubling, it allocates some 270 KB a round; reused, under 30 KB.
	perRound := (after.TotalAlloc - before.TotalAlloc) / rounds
	if perRound > 150<<10 {
		t.Fatalf("%d bytes allocated per batch of 100 KB: the buffer is not reused", perRound)
	}
}
