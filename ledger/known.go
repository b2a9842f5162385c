package ledger

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobcos/gobcos/storage"
)

// keyFilter is an in-memory Bloom filter over the keys of one of the
// ledger's indexes (committed tx hashes, native nonces). It answers "maybe"
// for every key ever added and "no" for almost every other key, so that a
// lookup of an absent key (the common case: is this new tx already
// committed?) needs no storage read. Only a "maybe" is checked in storage.
//
// The ledger adds a block's keys before the block's batch is committed, and
// Open adds every key already stored, so a key in storage is always in the
// filter: a "no" is exact. A key added for a batch that then fails stays in
// the filter; it only costs a storage read later.
//
// The filter is a list of generations. A generation is sized for a number
// of keys; when it holds that many, a new one twice its size is started.
// Each generation is a blocked Bloom filter: a key sets k bits within one
// 512-bit block (one cache line), so a lookup touches one line per
// generation. Lookups may run concurrently with an add: bits are set and
// read atomically, and the generation list is replaced, never modified.
type keyFilter struct {
	seed maphash.Seed
	gens atomic.Pointer[[]*filterGen]
	mu   sync.Mutex // serialises adds
}

// filterBitsPerKey sizes a generation: 10 bits a key, with k = 7 bits set
// per key within a block, give about 1% false positives in a full
// generation (the generations' rates add up).
const (
	filterBitsPerKey = 10
	filterProbes     = 7
	filterBlockBits  = 512
	filterBlockWords = filterBlockBits / 64
	// filterMinKeys is the size of the first generation of a new ledger.
	filterMinKeys = 1 << 16
)

type filterGen struct {
	words    []atomic.Uint64
	blocks   uint64
	capacity int64
	n        atomic.Int64
}

func newKeyFilter() *keyFilter {
	f := &keyFilter{seed: maphash.MakeSeed()}
	f.gens.Store(&[]*filterGen{})
	return f
}

func newFilterGen(keys int64) *filterGen {
	keys = max(keys, filterMinKeys)
	blocks := (keys*filterBitsPerKey + filterBlockBits - 1) / filterBlockBits
	return &filterGen{
		words:    make([]atomic.Uint64, blocks*filterBlockWords),
		blocks:   uint64(blocks),
		capacity: keys,
	}
}

// hash is the 64-bit hash of key; the filter's bits come from it. Keys
// such as native nonces are chosen by clients, so the hash is seeded per
// process: crafted keys cannot make lookups fall through to storage more
// often than chance.
func (f *keyFilter) hash(key []byte) uint64 { return maphash.Bytes(f.seed, key) }

// block and positions of hash x in g: the block from the top 32 bits of
// x (scaled to the number of blocks), the k bit positions within it from a
// remix of x (9 bits each).
func (g *filterGen) locate(x uint64) (base int, pos uint64) {
	base = int(((x>>32)*g.blocks)>>32) * filterBlockWords
	return base, bits.RotateLeft64(x*0x9e3779b97f4a7c15, 29)
}

func (g *filterGen) add(x uint64) {
	base, pos := g.locate(x)
	for range filterProbes {
		b := pos & (filterBlockBits - 1)
		g.words[base+int(b>>6)].Or(1 << (b & 63))
		pos >>= 9
	}
	g.n.Add(1)
}

func (g *filterGen) mayContain(x uint64) bool {
	base, pos := g.locate(x)
	for range filterProbes {
		b := pos & (filterBlockBits - 1)
		if g.words[base+int(b>>6)].Load()&(1<<(b&63)) == 0 {
			return false
		}
		pos >>= 9
	}
	return true
}

// addHashes adds keys by their hashes, starting a generation sized for all
// of them (with room to grow) if the current one cannot take them.
func (f *keyFilter) addHashes(xs []uint64) {
	if len(xs) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	gens := *f.gens.Load()
	var cur *filterGen
	if len(gens) > 0 {
		cur = gens[len(gens)-1]
	}
	if cur == nil || cur.n.Load()+int64(len(xs)) > cur.capacity {
		size := int64(2 * len(xs))
		if cur != nil {
			size = max(size, 2*cur.capacity)
		}
		cur = newFilterGen(size)
		next := append(gens[:len(gens):len(gens)], cur)
		f.gens.Store(&next)
	}
	for _, x := range xs {
		cur.add(x)
	}
}

// add adds keys.
func (f *keyFilter) add(keys ...[]byte) {
	xs := make([]uint64, len(keys))
	for i, k := range keys {
		xs[i] = f.hash(k)
	}
	f.addHashes(xs)
}

// mayContain is false only if key was never added.
func (f *keyFilter) mayContain(key []byte) bool {
	x := f.hash(key)
	for _, g := range *f.gens.Load() {
		if g.mayContain(x) {
			return true
		}
	}
	return false
}

// bytes is the memory the filter's bits take.
func (f *keyFilter) bytes() int {
	n := 0
	for _, g := range *f.gens.Load() {
		n += len(g.words) * 8
	}
	return n
}

// startLoadingFilters adds the committed tx hashes and native nonces
// stored now to the filters, on a goroutine, and marks the filters ready
// when all are in. Its iterators are made here, before any Commit of
// this ledger: keys committed later are added by Commit. If loading fails
// or Close stops it, the filters never become ready and lookups keep
// reading storage.
func (l *Ledger) startLoadingFilters() {
	txIt := l.kv.NewIterator(prefixTxIndex, nil)
	nonceIt := l.kv.NewIterator(prefixNonceIdx, nil)
	go func() {
		defer close(l.loadDone)
		defer txIt.Release()
		defer nonceIt.Release()
		start := time.Now()
		txs, err := l.loadFilter(l.committedTxs, txIt, prefixTxIndex)
		if err != nil {
			l.logger.Warn("not using the committed-tx filter; tx lookups read storage", "err", err)
			return
		}
		nonces, err := l.loadFilter(l.usedNonces, nonceIt, prefixNonceIdx)
		if err != nil {
			l.logger.Warn("not using the native-nonce filter; nonce lookups read storage", "err", err)
			return
		}
		l.filtersReady.Store(true)
		l.logger.Info("loaded the committed-tx filters", "txs", txs, "native_nonces", nonces,
			"bytes", l.committedTxs.bytes()+l.usedNonces.bytes(), "took", time.Since(start))
	}()
}

// errLoadStopped ends a filter load that Close interrupted.
var errLoadStopped = errors.New("ledger: closed while loading the filters")

// loadFilter adds to f the keys it yields (the part after prefix), at
// once, so that they share one generation, and returns how many there were.
func (l *Ledger) loadFilter(f *keyFilter, it storage.Iterator, prefix []byte) (int, error) {
	var xs []uint64
	for it.Next() {
		xs = append(xs, f.hash(it.Key()[len(prefix):]))
		if len(xs)%4096 == 0 {
			select {
			case <-l.loadStop:
				return 0, errLoadStopped
			default:
			}
		}
	}
	if err := it.Error(); err != nil {
		return 0, fmt.Errorf("ledger: loading the index %q: %w", prefix, err)
	}
	f.addHashes(xs)
	return len(xs), nil
}
