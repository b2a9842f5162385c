package keyfilter

import (
	"errors"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
)

// Filter is an in-memory Bloom filter over a set of keys that only grows.
// It answers "maybe" for every key ever added and "no" for almost every
// other key.
//
// The filter is a list of generations. A generation is sized for a number
// of keys; when it holds that many, a new one twice its size is started.
// Each generation is a blocked Bloom filter: a key sets k bits within one
// 512-bit block (one cache line), so a lookup touches one line per
// generation. Lookups may run concurrently with an add: bits are set and
// read atomically, and the generation list is replaced, never modified.
type Filter struct {
	seed maphash.Seed
	gens atomic.Pointer[[]*gen]
	mu   sync.Mutex // serialises adds
}

// bitsPerKey sizes a generation: 16 bits a key, with k = 7 bits set
// per key within a block, give about 0.1% false positives in a full
// generation. The generations' rates add up: 5 million keys added a
// thousand at a time (a ledger's tx hashes, block by block) fill 7
// generations, which let 0.6% of lookups of absent keys through to
// storage, in 16.7 MB; at 10 bits a key (1% a generation) it was 5.6%,
// in 10.4 MB, each of them a search through the memtables and level 0
// (BENCHMARKS.md, "Sharper key filters, the frozen-sender check through
// the state cache, batches reused, receipts built when asked").
const (
	bitsPerKey = 16
	probes     = 7
	blockBits  = 512
	blockWords = blockBits / 64
	// MinKeys is the size of the first generation.
	MinKeys = 1 << 16
)

type gen struct {
	words    []atomic.Uint64
	blocks   uint64
	capacity int64
	n        atomic.Int64
}

func New() *Filter {
	f := &Filter{seed: maphash.MakeSeed()}
	f.gens.Store(&[]*gen{})
	return f
}

func newGen(keys int64) *gen {
	keys = max(keys, MinKeys)
	blocks := (keys*bitsPerKey + blockBits - 1) / blockBits
	return &gen{
		words:    make([]atomic.Uint64, blocks*blockWords),
		blocks:   uint64(blocks),
		capacity: keys,
	}
}

// Hash is the 64-bit hash of key; the filter's bits come from it. Keys
// such as native nonces are chosen by clients, so the hash is seeded per
// process: crafted keys cannot make lookups fall through to storage more
// often than chance.
func (f *Filter) Hash(key []byte) uint64 { return maphash.Bytes(f.seed, key) }

// block and positions of hash x in g: the block from the top 32 bits of
// x (scaled to the number of blocks), the k bit positions within it from a
// remix of x (9 bits each).
func (g *gen) locate(x uint64) (base int, pos uint64) {
	base = int(((x>>32)*g.blocks)>>32) * blockWords
	return base, bits.RotateLeft64(x*0x9e3779b97f4a7c15, 29)
}

func (g *gen) add(x uint64) {
	base, pos := g.locate(x)
	for range probes {
		b := pos & (blockBits - 1)
		g.words[base+int(b>>6)].Or(1 << (b & 63))
		pos >>= 9
	}
	g.n.Add(1)
}

func (g *gen) mayContain(x uint64) bool {
	base, pos := g.locate(x)
	for range probes {
		b := pos & (blockBits - 1)
		if g.words[base+int(b>>6)].Load()&(1<<(b&63)) == 0 {
			return false
		}
		pos >>= 9
	}
	return true
}

// AddHashes adds keys by their hashes (from Hash), starting a generation sized for all
// of them (with room to grow) if the current one cannot take them.
func (f *Filter) AddHashes(xs []uint64) {
	if len(xs) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	gens := *f.gens.Load()
	var cur *gen
	if len(gens) > 0 {
		cur = gens[len(gens)-1]
	}
	if cur == nil || cur.n.Load()+int64(len(xs)) > cur.capacity {
		size := int64(2 * len(xs))
		if cur != nil {
			size = max(size, 2*cur.capacity)
		}
		cur = newGen(size)
		next := append(gens[:len(gens):len(gens)], cur)
		f.gens.Store(&next)
	}
	for _, x := range xs {
		cur.add(x)
	}
}

// Add adds keys.
func (f *Filter) Add(keys ...[]byte) {
	xs := make([]uint64, len(keys))
	for i, k := range keys {
		xs[i] = f.Hash(k)
	}
	f.AddHashes(xs)
}

// MayContain is false only if key was never added.
func (f *Filter) MayContain(key []byte) bool {
	x := f.Hash(key)
	for _, g := range *f.gens.Load() {
		if g.mayContain(x) {
			return true
		}
	}
	return false
}

// Bytes is the memory the filter's bits take.
func (f *Filter) Bytes() int {
	n := 0
	for _, g := range *f.gens.Load() {
		n += len(g.words) * 8
	}
	return n
}

// Iterator is what HashKeys reads keys from (a storage.Iterator).
type Iterator interface {
	Next() bool
	Key() []byte
	Error() error
}

// ErrStopped ends a HashKeys that its stop channel interrupted.
var ErrStopped = errors.New("keyfilter: loading stopped")

// HashKeys appends to xs the hashes of the keys it yields, less their
// first trim bytes, for one AddHashes of all of them (so that they share
// a generation). It checks stop every few thousand keys and then returns
// ErrStopped.
func (f *Filter) HashKeys(xs []uint64, it Iterator, trim int, stop <-chan struct{}) ([]uint64, error) {
	for n := 1; it.Next(); n++ {
		xs = append(xs, f.Hash(it.Key()[trim:]))
		if n%4096 == 0 {
			select {
			case <-stop:
				return xs, ErrStopped
			default:
			}
		}
	}
	return xs, it.Error()
}
