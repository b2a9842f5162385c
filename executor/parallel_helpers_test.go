package executor

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gobcos/gobcos/state"
)

// sortWrites sorts like the write set does, on either side of its
// threshold for sorting on two goroutines.
func TestSortWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 511, 512, 513, 3000} {
		ws := make([]state.Write, n)
		for i := range ws {
			k := make([]byte, 1+rng.IntN(8))
			for j := range k {
				k[j] = byte(rng.IntN(256))
			}
			ws[i] = state.Write{Key: append(k, byte(i), byte(i>>8))} // distinct
		}
		got := sortWrites(slices.Clone(ws))
		if len(got) != n {
			t.Fatalf("n=%d: %d writes after sorting", n, len(got))
		}
		want := slices.Clone(ws)
		slices.SortFunc(want, func(a, b state.Write) int { return bytes.Compare(a.Key, b.Key) })
		for i := range want {
			if !bytes.Equal(got[i].Key, want[i].Key) {
				t.Fatalf("n=%d: write %d has key %x, want %x", n, i, got[i].Key, want[i].Key)
			}
		}
	}
}
