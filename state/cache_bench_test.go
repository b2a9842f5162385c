package state

import (
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/storage"
)

// fillCache fills c with n storage slots of one contract, read through it
// from a store of their own: entries as a node's blocks leave them.
func fillCache(tb testing.TB, c *Cache, n int) [][]byte {
	tb.Helper()
	kv, keys := storedSlots(tb, n)
	r := c.Reader(kv)
	for _, k := range keys {
		if _, err := r.Get(k); err != nil {
			tb.Fatal(err)
		}
	}
	return keys
}

// storedSlots returns a store holding n storage slots of one contract,
// and their keys.
func storedSlots(tb testing.TB, n int) (storage.KV, [][]byte) {
	tb.Helper()
	kv := storage.NewMemory()
	keys := make([][]byte, n)
	for i := range keys {
		var slot common.Hash
		binary.BigEndian.PutUint64(slot[24:], uint64(i))
		keys[i] = StorageKey(common.Address{0xfe}, slot)
		if err := kv.Put(keys[i], slot[:]); err != nil {
			tb.Fatal(err)
		}
	}
	return kv, keys
}

// BenchmarkCacheGC times a full garbage collection while a state cache of
// a node's bounds is held, full: what the cache adds to every collection.
func BenchmarkCacheGC(b *testing.B) {
	c := NewCache(DefaultCacheEntries, DefaultCacheBytes)
	fillCache(b, c, DefaultCacheEntries)
	runtime.GC()
	for b.Loop() {
		runtime.GC()
	}
	b.ReportMetric(float64(c.Stats().Entries), "entries")
}

// BenchmarkCacheGet reads the slots a full cache of a node's bounds holds,
// in turn.
func BenchmarkCacheGet(b *testing.B) {
	c := NewCache(DefaultCacheEntries, DefaultCacheBytes)
	keys := fillCache(b, c, DefaultCacheEntries)
	keys = keys[len(keys)-DefaultCacheEntries/4:] // held whichever generation they are in
	r := c.Reader(storage.NewMemory())
	i := 0
	for b.Loop() {
		if _, err := r.Get(keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
		i += 7919 // a prime: the keys in no order
	}
}

// BenchmarkCacheGetParallel is BenchmarkCacheGet on every core at once, as
// the workers of parallel execution and RPC handlers read.
func BenchmarkCacheGetParallel(b *testing.B) {
	c := NewCache(DefaultCacheEntries, DefaultCacheBytes)
	keys := fillCache(b, c, DefaultCacheEntries)
	keys = keys[len(keys)-DefaultCacheEntries/4:]
	r := c.Reader(storage.NewMemory())
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1)) * 104729
		for pb.Next() {
			if _, err := r.Get(keys[i%len(keys)]); err != nil {
				b.Error(err)
				return
			}
			i += 7919
		}
	})
}

// BenchmarkCacheTurnover reads slots the cache does not hold, through a
// cache of a node's bounds, so that its generations fill and retire in
// turn, as under a load of many accounts.
func BenchmarkCacheTurnover(b *testing.B) {
	const n = 4 * DefaultCacheEntries
	c := NewCache(DefaultCacheEntries, DefaultCacheBytes)
	kv, keys := storedSlots(b, n)
	r := c.Reader(kv)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Get(keys[i%n]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
