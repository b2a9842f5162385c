package state

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/gobcos/gobcos/internal/keyfilter"
	"github.com/gobcos/gobcos/storage"
)

// Cache keeps values of the committed state (account records, code and
// storage slots) in memory, so that executions and the tx pool, which read
// the same accounts and slots block after block, do not read them from
// storage each time. Every value it serves is exactly what the store
// would give the reader at the committed state the reader reads.
//
// Each commit of a block's write set to the store goes through Commit,
// one at a time, which numbers the committed states: the cache's version
// is even between commits and odd while one is applied. An entry holds a
// key's value (or its absence) and the version from which it is known to
// hold, up to the current one. A reader (Reader) is made on a store
// holding the latest committed state when it is made, and takes that
// version: it serves an entry only if it holds from a version at or before
// its own, and keeps a value it read from the store on a miss only if no
// commit began since it was made (the version is still its own, and
// even). So a read racing a commit never keeps a value older than the
// store's, and a reader of an older state (a storage snapshot taken while
// commits go on) never gets a newer value.
//
// A miss keeps the value read, or the key's absence (slots read over and
// over though never set, such as the governance status of accounts never
// frozen, which every block checks for its senders). A
// commit updates the entries of the keys its write set changes that the
// cache holds, to the written value (or absence) from the version after
// the commit, except that it drops the entry of a key it creates (mostly
// a new account or slot, read only by the block creating it); it adds no
// others. The cache is bounded: two generations of entries, the
// current one filled by misses and commits and the previous one consulted
// when the current misses (a hit moves the entry back to the current
// generation); when the current one is full it becomes the previous one
// and the previous one is dropped. A generation keeps its entries where
// the garbage collector has nothing to trace (cachegen.go).
//
// Reads of keys that never existed (a transfer's new recipient, a token
// balance never set) are answered by a filter of the keys that exist
// (cachefilter.go), once StartLoading has loaded it, without a store read.
//
// A nil *Cache caches nothing: Reader returns the store itself and Commit
// only applies.
type Cache struct {
	maxEntries, maxBytes int // of each generation

	mu      sync.Mutex
	version uint64                  // committed states so far, times 2; odd while a commit is applied
	hash    func(key []byte) uint64 // indexes the generations
	cur     *generation
	old     *generation // nil when there is none

	hits, misses atomic.Uint64
	filtered     atomic.Uint64 // reads the filter of existing keys answered

	exist existing // the keys that exist (cachefilter.go)
}

// cacheEntry is one key's value, nil when the key is absent, current from
// version since to the cache's version.
type cacheEntry struct {
	val   []byte
	since uint64
}

// The bounds of a node's state cache: the accounts and slots a workload
// reads block after block (senders, their token balances, contracts' code
// and hot slots).
const (
	DefaultCacheEntries = 1 << 18
	DefaultCacheBytes   = 64 << 20
)

// maxGenerationBytes bounds a generation's bytes: its records' offsets
// and lengths are uint32.
const maxGenerationBytes = 1 << 30

// NewCache returns a cache holding at most about maxEntries entries and
// maxBytes bytes (both at least 2): keys, values and their bookkeeping,
// including the records of values replaced since their generation began.
func NewCache(maxEntries, maxBytes int) *Cache {
	seed := maphash.MakeSeed()
	c := &Cache{maxEntries: max(maxEntries/2, 1), maxBytes: min(max(maxBytes/2, 1), maxGenerationBytes),
		hash: func(key []byte) uint64 { return maphash.Bytes(seed, key) }}
	c.cur = newGeneration()
	c.exist.f, c.exist.stop = keyfilter.New(), make(chan struct{})
	return c
}

// CacheStats are a cache's counters.
type CacheStats struct {
	// Hits and Misses count the reads of cached keys (accounts, code,
	// slots) served from memory and from the store.
	Hits, Misses uint64
	// Filtered counts the reads of keys that do not exist, answered by
	// the filter of existing keys without a store read.
	Filtered uint64
	// Entries is the number of entries held.
	Entries int
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	c.mu.Lock()
	n := c.cur.len()
	if c.old != nil {
		n += c.old.len()
	}
	c.mu.Unlock()
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Filtered: c.filtered.Load(), Entries: n}
}

// cacheable reports whether k is a key the cache keeps: an account, code
// or a storage slot (not the history, not the ledger's keys).
func cacheable(k []byte) bool {
	return bytes.HasPrefix(k, accountPrefix) || bytes.HasPrefix(k, storagePrefix) || bytes.HasPrefix(k, codePrefix)
}

// Commit applies a block's state writes to the store by calling apply,
// which must write exactly ws to the store (the ledger's commit of the
// block), and keeps the cache right across it. ws nil stands for writes
// the cache cannot list: it then forgets everything. Commits must not
// overlap (the caller serialises them); readers may run meanwhile. When
// apply fails the cache forgets everything, as it cannot know what the
// store holds.
func (c *Cache) Commit(ws *WriteSet, apply func() error) error {
	if c == nil {
		return apply()
	}
	c.exist.added(ws) // before the store holds them
	c.mu.Lock()
	c.version++ // odd: readers made from now on keep nothing they read
	after := c.version + 1
	if ws == nil {
		c.resetLocked()
	} else {
		// Entries of the written keys take the new value from the version
		// after the commit: readers of earlier versions, those of the
		// store before or during the write, do not serve them.
		for i := range ws.writes {
			w := &ws.writes[i]
			if !cacheable(w.Key) {
				continue
			}
			h := c.hash(w.Key)
			e, inCur := c.cur.get(w.Key, h)
			if !inCur {
				var inOld bool
				if c.old != nil {
					e, inOld = c.old.get(w.Key, h)
				}
				if !inOld {
					continue
				}
				c.old.del(w.Key, h)
			}
			if e.val == nil && !w.Delete {
				// A key created: mostly a new account or slot read
				// (absent) by its creating block alone. Dropped.
				c.cur.del(w.Key, h)
				continue
			}
			var val []byte
			if !w.Delete {
				val = w.Value
			}
			c.putLocked(w.Key, h, cacheEntry{val: val, since: after})
		}
	}
	c.mu.Unlock()

	err := apply()

	c.mu.Lock()
	c.version = after
	if err != nil || ws == nil {
		c.resetLocked()
	}
	c.mu.Unlock()
	return err
}

// resetLocked forgets every entry.
func (c *Cache) resetLocked() {
	c.cur, c.old = newGeneration(), nil
}

// putLocked stores e under key, whose hash is h, in the current
// generation, the only one that holds key afterwards; a full generation is
// retired first. An entry larger than a generation is not kept.
func (c *Cache) putLocked(key []byte, h uint64, e cacheEntry) {
	if c.old != nil {
		c.old.del(key, h)
	}
	size := recordSize(key, e.val) + indexOverhead
	if size > c.maxBytes {
		c.cur.del(key, h)
		return
	}
	if c.cur.len() >= c.maxEntries || c.cur.bytes()+size > c.maxBytes {
		// The new generation starts at the size of the one it follows,
		// which filled up: grown from empty, its buffer would be copied
		// at every doubling and its index rehashed (a node's cache turns
		// over every few seconds under load).
		c.old, c.cur = c.cur, newGenerationLike(c.cur)
		c.old.del(key, h)
	}
	c.cur.put(key, h, e)
}

// lookup returns key's entry if one serves a reader of version v. The
// entry's value is the cache's memory: the caller copies it.
func (c *Cache) lookup(key []byte, v uint64) (cacheEntry, bool) {
	h := c.hash(key)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cur.get(key, h)
	if !ok && c.old != nil {
		if e, ok = c.old.get(key, h); ok {
			c.putLocked(key, h, e)
		}
	}
	return e, ok && e.since <= v
}

// keep stores a copy of val (nil: absent), read from the store by a
// reader of version v, unless a commit began since v. The value holds from
// v on (it may hold from earlier, which the cache does not know).
func (c *Cache) keep(key, val []byte, v uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != v || v%2 != 0 {
		return
	}
	c.putLocked(key, c.hash(key), cacheEntry{val: val, since: v})
}

// Reader returns a storage.Reader of r, which must hold the latest
// committed state when Reader is called and go on holding it while the
// reader is used (the store itself while no commit can run, or a storage
// snapshot taken with no commit between it and this call), or hold the
// latest committed state at each read (the store read without a lock, by
// a reader that may see any state from the one at the call on). It serves
// accounts, code and slots from the cache where it can; other keys, and
// iterations, go to r.
func (c *Cache) Reader(r storage.Reader) storage.Reader {
	if c == nil {
		return r
	}
	c.mu.Lock()
	v := c.version
	c.mu.Unlock()
	return &cachedReader{c: c, r: r, v: v}
}

type cachedReader struct {
	c *Cache
	r storage.Reader
	v uint64 // the cache's version when the reader was made
}

func (cr *cachedReader) Get(key []byte) ([]byte, error) {
	if !cacheable(key) {
		return cr.r.Get(key)
	}
	if e, ok := cr.c.lookup(key, cr.v); ok {
		cr.c.hits.Add(1)
		if e.val == nil {
			return nil, storage.ErrNotFound
		}
		return bytes.Clone(e.val), nil
	}
	if cr.c.exist.absent(key) {
		cr.c.filtered.Add(1)
		return nil, storage.ErrNotFound
	}
	cr.c.misses.Add(1)
	val, err := cr.r.Get(key)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		cr.c.keep(key, nil, cr.v)
	case err == nil:
		cr.c.keep(key, val, cr.v)
	}
	return val, err
}

func (cr *cachedReader) Has(key []byte) (bool, error) {
	if !cacheable(key) {
		return cr.r.Has(key)
	}
	if e, ok := cr.c.lookup(key, cr.v); ok {
		cr.c.hits.Add(1)
		return e.val != nil, nil
	}
	if cr.c.exist.absent(key) {
		cr.c.filtered.Add(1)
		return false, nil
	}
	// A miss does not fill the cache: Has reads no value to keep.
	cr.c.misses.Add(1)
	return cr.r.Has(key)
}

func (cr *cachedReader) NewIterator(prefix, start []byte) storage.Iterator {
	return cr.r.NewIterator(prefix, start)
}

// Check compares every entry serving the latest state with r, the store
// holding it (no commit may run meanwhile), and returns the first
// difference: a check for tests.
func (c *Cache) Check(r storage.Reader) error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	check := func(k []byte, e cacheEntry) error {
		val, err := r.Get(k)
		if errors.Is(err, storage.ErrNotFound) {
			val, err = nil, nil
		}
		if err != nil {
			return err
		}
		if !bytes.Equal(val, e.val) || (val == nil) != (e.val == nil) {
			return &CacheMismatchError{Key: bytes.Clone(k), Cached: bytes.Clone(e.val), Stored: val}
		}
		return nil
	}
	if err := c.cur.each(check); err != nil || c.old == nil {
		return err
	}
	return c.old.each(check)
}

// CacheMismatchError is a cached value that differs from the store's.
type CacheMismatchError struct {
	Key, Cached, Stored []byte
}

func (e *CacheMismatchError) Error() string {
	return fmt.Sprintf("state: cached value of %x is %x, the store holds %x", e.Key, e.Cached, e.Stored)
}
