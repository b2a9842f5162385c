package blockstm

import (
	"hash/maphash"
	"sort"
	"sync"
	"sync/atomic"
)

// Storage is the version of a read that no transaction of the block wrote:
// the caller read the block's starting state.
var Storage = Version{Tx: -1}

// Version names one incarnation of one transaction.
type Version struct {
	Tx          int
	Incarnation int
}

// Read is one key a transaction read and the version the read saw.
type Read struct {
	Key     string
	Version Version
}

// Write is one key a transaction wrote. A nil Value is a deletion.
type Write struct {
	Key   string
	Value []byte
}

type entry struct {
	tx, incarnation int
	value           []byte
	estimate        bool
}

// cell holds the versions of one key, ordered by transaction.
type cell struct {
	mu      sync.RWMutex
	entries []entry
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
}

// MVMemory is the multi-version memory of one block. It is safe for
// concurrent use.
type MVMemory struct {
	seed   maphash.Seed
	shards [shards]shard
	// Per transaction: the keys its last recorded incarnation wrote and
	// what it read. Validations read them while a new incarnation may
	// replace them, hence the atomic pointers.
	lastWrites []atomic.Pointer[[]string]
	lastReads  []atomic.Pointer[[]Read]
}

// NewMVMemory returns an empty memory for a block of n transactions.
func NewMVMemory(n int) *MVMemory {
	m := &MVMemory{
		seed:       maphash.MakeSeed(),
		lastWrites: make([]atomic.Pointer[[]string], n),
		lastReads:  make([]atomic.Pointer[[]Read], n),
	}
	for i := range m.shards {
		// A transaction typically writes a few keys.
		m.shards[i].cells = make(map[string]*cell, 3*n/shards)
	}
	return m
}

func (m *MVMemory) shard(key string) *shard {
	return &m.shards[maphash.String(m.seed, key)%shards]
}

func (m *MVMemory) cell(key string, create bool) *cell {
	sh := m.shard(key)
	sh.mu.RLock()
	c := sh.cells[key]
	sh.mu.RUnlock()
	if c != nil || !create {
		return c
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if c = sh.cells[key]; c == nil {
		c = &cell{}
		sh.cells[key] = c
	}
	return c
}

// ReadResult is what a transaction sees of a key.
type ReadResult struct {
	// Version is the writer's version, or Storage: then the caller reads
	// the key from the block's starting state.
	Version Version
	// Value is the written value; nil for a deletion.
	Value []byte
	// BlockedBy is the transaction whose estimate the read met, or -1. The
	// reading incarnation must stop and report it.
	BlockedBy int
}

// Read returns the value of key seen by transaction tx: the write of the
// highest transaction below tx.
func (m *MVMemory) Read(key string, tx int) ReadResult {
	c := m.cell(key, false)
	if c == nil {
		return ReadResult{Version: Storage, BlockedBy: -1}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	i, _ := c.find(tx)
	if i == 0 {
		return ReadResult{Version: Storage, BlockedBy: -1}
	}
	e := &c.entries[i-1]
	if e.estimate {
		return ReadResult{Version: Storage, BlockedBy: e.tx}
	}
	return ReadResult{Version: Version{e.tx, e.incarnation}, Value: e.value, BlockedBy: -1}
}

// Record stores the reads and writes of an incarnation, drops the writes
// of the transaction's previous incarnation that this one did not repeat,
// and reports whether it wrote a key the previous incarnation did not.
func (m *MVMemory) Record(v Version, reads []Read, writes []Write) bool {
	var prev []string
	if p := m.lastWrites[v.Tx].Load(); p != nil {
		prev = *p
	}
	prevSet := make(map[string]struct{}, len(prev))
	for _, k := range prev {
		prevSet[k] = struct{}{}
	}
	keys := make([]string, len(writes))
	wroteNew := false
	for i, w := range writes {
		keys[i] = w.Key
		if _, ok := prevSet[w.Key]; ok {
			delete(prevSet, w.Key)
		} else {
			wroteNew = true
		}
		c := m.cell(w.Key, true)
		c.mu.Lock()
		j, ok := c.find(v.Tx)
		e := entry{tx: v.Tx, incarnation: v.Incarnation, value: w.Value}
		if ok {
			c.entries[j] = e
		} else {
			c.entries = append(c.entries, entry{})
			copy(c.entries[j+1:], c.entries[j:])
			c.entries[j] = e
		}
		c.mu.Unlock()
	}
	for k := range prevSet { // written before, not any more
		c := m.cell(k, false)
		c.mu.Lock()
		if j, ok := c.find(v.Tx); ok {
			c.entries = append(c.entries[:j], c.entries[j+1:]...)
		}
		c.mu.Unlock()
	}
	m.lastWrites[v.Tx].Store(&keys)
	m.lastReads[v.Tx].Store(&reads)
	return wroteNew
}

// markEstimates turns the writes of tx's last incarnation into estimates.
func (m *MVMemory) markEstimates(tx int) {
	p := m.lastWrites[tx].Load()
	if p == nil {
		return
	}
	for _, k := range *p {
		c := m.cell(k, false)
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
	p := m.lastReads[tx].Load()
	if p == nil {
		return true
	}
	for _, r := range *p {
		cur := m.Read(r.Key, tx)
		if cur.BlockedBy >= 0 || cur.Version != r.Version {
			return false
		}
	}
	return true
}

// Final is the last write to a key in the block.
type Final struct {
	Key   string
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
	var out []Final
	for i := range m.shards {
		for k, c := range m.shards[i].cells {
			if n := len(c.entries); n > 0 {
				out = append(out, Final{Key: k, Value: c.entries[n-1].value, Writers: n})
			}
		}
	}
	return out
}
