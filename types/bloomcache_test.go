package types

import (
	"encoding/binary"
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

// A receipt's bloom allocates nothing once its items are cached, and the
// cache keeps every item, the indexed arguments too, up to its bound.
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
	if len(c.bits) != 4 {
		t.Fatalf("%d items cached, want the address and 3 topics", len(c.bits))
	}
	for i := range maxBloomCache {
		var topic common.Hash
		binary.BigEndian.PutUint64(topic[:], uint64(i))
		c.ReceiptBloom(&Receipt{Logs: []*Log{{Topics: []common.Hash{topic}}}})
	}
	if c.Trim(); len(c.bits) != 0 {
		t.Fatalf("%d items kept past the bound", len(c.bits))
	}
}

// BenchmarkBloomCacheTransfers: the bloom of a block of 1,000 token
// transfers (one log each: the token, the event, sender and recipient),
// the parties drawn from 1,000 accounts (recurring) or never repeated.
func BenchmarkBloomCacheTransfers(b *testing.B) {
	token, event := common.Address{0x70}, common.Hash{0xdd, 0xf2}
	for _, c := range []struct {
		name     string
		accounts uint64 // 0: every party new
	}{{"recurring", 1000}, {"new", 0}} {
		b.Run(c.name, func(b *testing.B) {
			cache := NewBloomCache()
			next := uint64(0)
			party := func() (h common.Hash) {
				next++
				n := next
				if c.accounts > 0 {
					n %= c.accounts
				}
				binary.BigEndian.PutUint64(h[24:], n)
				return h
			}
			rs := make([]*Receipt, 1000)
			for b.Loop() {
				b.StopTimer()
				for i := range rs {
					rs[i] = &Receipt{Logs: []*Log{{Address: token, Topics: []common.Hash{event, party(), party()}}}}
				}
				cache.Trim()
				b.StartTimer()
				cache.ReceiptsBloom(rs)
			}
		})
	}
}
