package blockstm

import (
	"hash/maphash"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Storage is the version of a read that no transaction of the block wrote:
// it saw the block's starting state.
var Storage = Version{Tx: -1}

// Version names one incarnation of one transaction.
type Version struct {
	Tx          int
	Incarnation int
}

// Read is one key a transaction read and the version the read saw, as
// returned by MVMemory.Read.
type Read struct {
	c       *cell
	version Version
}

// Write is one key a transaction wrote. A nil Value is a deletion.
type Write struct {
	Key   []byte
	Value []byte
	c     *cell // the key's cell when known (Cache.Write)
}

// BaseFunc reads a key of the block's starting state: nil when it is
// absent. It must be safe for concurrent use.
type BaseFunc func(key []byte) ([]byte, error)

type entry struct {
	tx, incarnation int
	key, value      []byte
	estimate        bool
}

// cell holds the versions of one key, ordered by transaction, and its
// starting value once read.
//
// A key that no transaction wrote is read without taking the lock: the
// starting value is set once, before loaded, and entries counts the
// entries (set under mu). Most keys of a block are only read, many of
// them by every transaction (the called contract's account and code), and
// a read lock shared by the workers costs each read a cache line moving
// between the cores.
type cell struct {
	mu         sync.RWMutex
	entries    []entry
	base       []byte
	baseLoaded bool
	loaded     atomic.Bool  // baseLoaded, for the lock-free read
	n          atomic.Int32 // len(entries), for the lock-free read
	first      [1]entry     // entries' first storage: most keys have one writer at most
}

// find returns the position of tx's entry, or where it goes.
func (c *cell) find(tx int) (int, bool) {
	i := sort.Search(len(c.entries), func(i int) bool { return c.entries[i].tx >= tx })
	return i, i < len(c.entries) && c.entries[i].tx == tx
}

const shards = 64

type shard struct {
	mu    sync.RWMutex
	cells map[string]*cell
	free  []cell // allocated in chunks, taken from the front
}

// MVMemory is the multi-version memory of one block: for every key read
// or written, the starting value and the value each transaction's latest
// incarnation wrote. It is safe for concurrent use.
type MVMemory struct {
	base   BaseFunc
	chunk  int // cells allocated at once per shard
	seed   maphash.Seed
	shards [shards]shard
	last   []txRecord // by transaction
}

// txRecord is what one transaction's last recorded incarnation wrote and
// read. Validations read it while a new incarnation may replace it, hence
// the atomic pointers; the padding keeps the records of transactions that
// run on different workers off each other's cache lines.
type txRecord struct {
	writes atomic.Pointer[[]*cell]
	reads  atomic.Pointer[[]Read]
	_      [48]byte
}

// NewMVMemory returns an empty memory for a block of n transactions over
// the starting state read by base.
func NewMVMemory(n int, base BaseFunc) *MVMemory {
	m := &MVMemory{
		base:  base,
		seed:  maphash.MakeSeed(),
		last:  make([]txRecord, n),
		chunk: min(max(4*n/shards, 4), 64),
	}
	for i := range m.shards {
		// A transaction typically reads a few keys and writes fewer.
		m.shards[i].cells = make(map[string]*cell, 4*n/shards)
	}
	return m
}

func (m *MVMemory) cell(key []byte) *cell {
	sh := &m.shards[maphash.Bytes(m.seed, key)%shards]
	sh.mu.RLock()
	c := sh.cells[string(key)]
	sh.mu.RUnlock()
	if c != nil {
		return c
	}
	c, _ = m.findCell(key, false, nil)
	return c
}

// findCell returns the cell of key, creating it when it is new. It takes
// the shard's write lock at once: the keys a worker's Cache misses are
// mostly new to the block, read by one transaction. With load, which the
// caller passes when about to read the key, the starting value is read
// first (outside the locks) and a new cell comes with it: the read then
// takes no lock.
//
// A new cell comes from free, the caller's chunk of cells (the shard's when
// nil): a worker's cells then share cache lines with its own rather than
// with the other workers'.
func (m *MVMemory) findCell(key []byte, load bool, free *[]cell) (c *cell, created bool) {
	var base []byte
	loaded := false
	if load && m.base != nil {
		v, err := m.base(key)
		base, loaded = v, err == nil // readCell meets a failure again
	}
	sh := &m.shards[maphash.Bytes(m.seed, key)%shards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if c = sh.cells[string(key)]; c == nil {
		if free == nil {
			free = &sh.free
		}
		if len(*free) == 0 {
			*free = make([]cell, m.chunk)
		}
		c = &(*free)[0]
		*free = (*free)[1:]
		if loaded {
			c.base, c.baseLoaded = base, true
			c.loaded.Store(true)
		}
		// The key is kept as it is (Read's contract), not copied.
		sh.cells[unsafe.String(unsafe.SliceData(key), len(key))] = c
		created = true
	}
	return c, created
}

// Cache is one worker's index of the keys that several transactions of
// the block read (those of the called contract, for one): they are found
// again without hashing into the shared, locked index, whose locks would
// move between the cores on every read. A key is kept once the worker
// finds it already in the memory; a key read by one transaction only (its
// sender's account) is not, which would cost more than it saves. It is
// not safe for concurrent use: each worker has its own.
type Cache struct {
	m     *MVMemory
	cells map[string]*cell
	free  []cell // the worker's chunk of new cells
}

// NewCache returns an empty cache of m's keys.
func (m *MVMemory) NewCache() *Cache {
	return &Cache{m: m, cells: make(map[string]*cell)}
}

// Reset empties c and makes it a cache of m's keys, keeping the memory it
// grew to: a worker reuses one from block to block.
func (c *Cache) Reset(m *MVMemory) {
	clear(c.cells)
	c.m, c.free = m, nil
}

func (c *Cache) cell(key []byte) *cell {
	if x := c.cells[string(key)]; x != nil {
		return x
	}
	x, created := c.m.findCell(key, true, &c.free)
	if !created {
		c.cells[string(key)] = x
	}
	return x
}

// Read is MVMemory.Read (which may keep key).
func (c *Cache) Read(key []byte, tx int) (ReadResult, Read) {
	x := c.cell(key)
	r := c.m.readCell(x, tx, key)
	return r, Read{c: x, version: r.Version}
}

// Write returns the Write of value to key, which MVMemory.Record stores
// without looking the key up again when the cache has it.
func (c *Cache) Write(key, value []byte) Write {
	return Write{Key: key, Value: value, c: c.cells[string(key)]}
}

// ReadResult is what a transaction sees of a key.
type ReadResult struct {
	// Version is the writer's version, or Storage for the starting value.
	Version Version
	// Value is the value; nil for a deletion or an absent key.
	Value []byte
	// BlockedBy is the transaction whose estimate the read met, or -1. The
	// reading incarnation must stop and report it.
	BlockedBy int
	// Err is the failure to read the starting value.
	Err error
}

// Read returns the value of key seen by transaction tx (the write of the
// highest transaction below tx, or the starting value) and the read to
// report in the incarnation's Result when it is not blocked and did not
// fail. The memory may keep key: it must not be modified after.
func (m *MVMemory) Read(key []byte, tx int) (ReadResult, Read) {
	c := m.cell(key)
	r := m.readCell(c, tx, key)
	return r, Read{c: c, version: r.Version}
}

func (m *MVMemory) readCell(c *cell, tx int, key []byte) ReadResult {
	if c.n.Load() == 0 && c.loaded.Load() {
		// Written by no transaction: the starting value, set before loaded.
		return ReadResult{Version: Storage, Value: c.base, BlockedBy: -1}
	}
	c.mu.RLock()
	i, _ := c.find(tx)
	if i > 0 {
		e := c.entries[i-1]
		c.mu.RUnlock()
		if e.estimate {
			return ReadResult{Version: Storage, BlockedBy: e.tx}
		}
		return ReadResult{Version: Version{e.tx, e.incarnation}, Value: e.value, BlockedBy: -1}
	}
	if c.baseLoaded || key == nil {
		v := c.base
		c.mu.RUnlock()
		return ReadResult{Version: Storage, Value: v, BlockedBy: -1}
	}
	c.mu.RUnlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.baseLoaded {
		v, err := m.base(key)
		if err != nil {
			return ReadResult{Version: Storage, BlockedBy: -1, Err: err} // not kept: the block fails
		}
		c.base, c.baseLoaded = v, true
		c.loaded.Store(true)
	}
	return ReadResult{Version: Storage, Value: c.base, BlockedBy: -1}
}

// Record stores the reads and writes of an incarnation, drops the writes
// of the transaction's previous incarnation that this one did not repeat,
// and reports whether it wrote a key the previous incarnation did not. It
// keeps the writes' keys and values, which must not be modified after.
func (m *MVMemory) Record(v Version, reads []Read, writes []Write) bool {
	var prev []*cell
	if p := m.last[v.Tx].writes.Load(); p != nil {
		prev = *p
	}
	var prevSet map[*cell]struct{}
	if len(prev) > 0 {
		prevSet = make(map[*cell]struct{}, len(prev))
		for _, c := range prev {
			prevSet[c] = struct{}{}
		}
	}
	cells := make([]*cell, len(writes))
	wroteNew := false
	for i, w := range writes {
		c := w.c
		if c == nil {
			c = m.cell(w.Key)
		}
		cells[i] = c
		if _, ok := prevSet[c]; ok {
			delete(prevSet, c)
		} else {
			wroteNew = true
		}
		c.mu.Lock()
		j, ok := c.find(v.Tx)
		e := entry{tx: v.Tx, incarnation: v.Incarnation, key: w.Key, value: w.Value}
		if ok {
			c.entries[j] = e
		} else {
			if c.entries == nil {
				c.entries = c.first[:0]
			}
			c.entries = append(c.entries, entry{})
			copy(c.entries[j+1:], c.entries[j:])
			c.entries[j] = e
			c.n.Store(int32(len(c.entries)))
		}
		c.mu.Unlock()
	}
	for c := range prevSet { // written before, not any more
		c.mu.Lock()
		if j, ok := c.find(v.Tx); ok {
			c.entries = append(c.entries[:j], c.entries[j+1:]...)
			c.n.Store(int32(len(c.entries)))
		}
		c.mu.Unlock()
	}
	m.last[v.Tx].writes.Store(&cells)
	m.last[v.Tx].reads.Store(&reads)
	return wroteNew
}

// markEstimates turns the writes of tx's last incarnation into estimates.
func (m *MVMemory) markEstimates(tx int) {
	p := m.last[tx].writes.Load()
	if p == nil {
		return
	}
	for _, c := range *p {
		c.mu.Lock()
		if j, ok := c.find(tx); ok {
			c.entries[j].estimate = true
		}
		c.mu.Unlock()
	}
}

// validate reports whether every read of tx's last incarnation would
// still see the same version.
func (m *MVMemory) validate(tx int) bool {
	p := m.last[tx].reads.Load()
	if p == nil {
		return true
	}
	for _, r := range *p {
		cur := m.readCell(r.c, tx, nil) // a recorded read loaded the starting value
		if cur.BlockedBy >= 0 || cur.Version != r.version {
			return false
		}
	}
	return true
}

// Final is the last write to a key in the block.
type Final struct {
	Key   []byte // the last writer's Write.Key
	Value []byte // nil for a deletion
	// Writers is how many transactions wrote the key. With one, the
	// writer saw the starting value; a caller whose transactions write
	// only what they change knows the final value differs from it.
	Writers int
}

// Snapshot returns the last write to every key the block wrote, in no
// particular order: the block's changes over its starting state, before
// dropping the writes that restore a starting value. Call it only after
// Run has succeeded.
func (m *MVMemory) Snapshot() []Final {
	n := 0
	for tx := range m.last {
		if p := m.last[tx].writes.Load(); p != nil {
			n += len(*p)
		}
	}
	out := make([]Final, 0, n)
	// A key's last entry is that of a transaction whose last incarnation
	// wrote it: taking each key from that transaction's writes lists it
	// once, without visiting the keys that were only read.
	for tx := range m.last {
		p := m.last[tx].writes.Load()
		if p == nil {
			continue
		}
		for _, c := range *p {
			if n := len(c.entries); n > 0 && c.entries[n-1].tx == tx {
				e := c.entries[n-1]
				out = append(out, Final{Key: e.key, Value: e.value, Writers: n})
			}
		}
	}
	return out
}
