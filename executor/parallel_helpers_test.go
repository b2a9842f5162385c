package executor

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/types"
)

// The cached bloom is types.LogsBloom, for new and repeated items alike.
func TestBloomCacheMatchesLogsBloom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	item := func() (b [32]byte) {
		for i := range b {
			b[i] = byte(rng.IntN(4)) // few distinct values: repeats
		}
		return b
	}
	c := newBloomCache()
	for range 500 {
		r := &types.Receipt{}
		for range rng.IntN(4) {
			a := item()
			l := &types.Log{Address: common.BytesToAddress(a[:20])}
			for range rng.IntN(5) {
				l.Topics = append(l.Topics, common.Hash(item()))
			}
			r.Logs = append(r.Logs, l)
		}
		if got, want := c.logsBloom(r), types.LogsBloom([]*types.Receipt{r}); got != want {
			t.Fatalf("bloom %x, want %x", got, want)
		}
	}
}

// A receipt's bloom allocates nothing once its address and event are
// cached: the other topics are hashed into the cache's own buffer.
func TestBloomCacheAllocatesNothing(t *testing.T) {
	c := newBloomCache()
	r := &types.Receipt{Logs: []*types.Log{{Address: common.Address{1}, Topics: []common.Hash{{2}, {3}, {4}}}}}
	want := types.LogsBloom([]*types.Receipt{r})
	if got := c.logsBloom(r); got != want {
		t.Fatalf("bloom %x, want %x", got, want)
	}
	if n := testing.AllocsPerRun(100, func() { c.logsBloom(r) }); n != 0 {
		t.Fatalf("logsBloom allocated %v times a receipt", n)
	}
}

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
