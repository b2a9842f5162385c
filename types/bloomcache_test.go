package types

import (
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
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
	c := NewBloomCache()
	for range 500 {
		r := &Receipt{}
		for range rng.IntN(4) {
			a := item()
			l := &Log{Address: common.BytesToAddress(a[:20])}
			for range rng.IntN(5) {
				l.Topics = append(l.Topics, common.Hash(item()))
			}
			r.Logs = append(r.Logs, l)
		}
		if got, want := c.ReceiptBloom(r), LogsBloom([]*Receipt{r}); got != want {
			t.Fatalf("bloom %x, want %x", got, want)
		}
	}
}

// A receipt's bloom allocates nothing once its address and event are
// cached: the other topics are hashed into the cache's own buffer.
func TestBloomCacheAllocatesNothing(t *testing.T) {
	c := NewBloomCache()
	r := &Receipt{Logs: []*Log{{Address: common.Address{1}, Topics: []common.Hash{{2}, {3}, {4}}}}}
	want := LogsBloom([]*Receipt{r})
	if got := c.ReceiptBloom(r); got != want {
		t.Fatalf("bloom %x, want %x", got, want)
	}
	if n := testing.AllocsPerRun(100, func() { c.ReceiptBloom(r) }); n != 0 {
		t.Fatalf("ReceiptBloom allocated %v times a receipt", n)
	}
}
