package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Pebble is a KV stored in a Pebble database on local disk, the default
// backend of a node. Batch commits and single Put/Delete calls are synced
// to disk before they return. It is safe for concurrent use; after Close
// every operation, including those on iterators and snapshots opened
// before, returns ErrClosed instead of touching the closed database.
type Pebble struct {
	dir    string
	logger *slog.Logger

	// mu guards db against Close: every operation holds it for reading,
	// Close holds it for writing.
	mu     sync.RWMutex
	db     *pebble.DB
	closed bool

	// trackMu guards the sets of open iterators and snapshots, which Close
	// releases so the database closes cleanly even if a caller leaked one.
	trackMu sync.Mutex
	iters   map[*pebbleIterator]struct{}
	snaps   map[*pebbleSnapshot]struct{}

	stalls *stallCounter
}

// pebbleCacheSize is the block cache of one store.
const pebbleCacheSize = 64 << 20

// OpenPebble opens (creating if needed) the Pebble database in dir. Only one
// process may have a directory open at a time: a second one gets ErrLocked.
// A nil logger discards Pebble's messages.
func OpenPebble(dir string, logger *slog.Logger) (*Pebble, error) {
	t := nodeTuning
	t.memTable = staggeredMemTable(dir, t.memTable)
	return openPebble(dir, logger, true, t)
}

// staggeredMemTable is size plus up to a quarter, chosen by the store's
// directory. Nodes of one chain commit the same blocks, so with
// memtables of one size their stores flush, and then compact, at the same
// moment; on a machine that runs several of them (a local chain, a
// consortium member's nodes sharing a host) those bursts come together
// and stall every node's commits at once (BENCHMARKS.md, "Memtable
// flushes staggered"). A size per directory spreads them out; it is the
// same at every start of the store.
func staggeredMemTable(dir string, size uint64) uint64 {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	h := fnv.New32a()
	h.Write([]byte(dir))
	// 64..80 sixty-fourths: 1 to 1.25 times size. Not smaller: size is
	// what the benchmarks chose (above), and more flushes cost more.
	return size / 64 * uint64(64+h.Sum32()%17)
}

// nodeTuning gives a node's store memtables of up to 32 MB (Pebble starts
// with 256 KB and doubles each new one up to it; OpenPebble adds up to a
// quarter, by directory: staggeredMemTable) and compacts level 0
// into the level below when it reaches 8 sublevels of read amplification
// (Pebble's defaults: 4 MB and 4).
//
// A node's commits are write-heavy and spread over the key space (tx
// hashes, hashed state keys), so every level-0 table overlaps most of the
// level below, and each compaction of level 0 rewrites that level. With
// Pebble's defaults (4 MB, 4) the compactions wrote 3.6 bytes for each
// byte flushed over a single node's sequence of workloads, were a fifth
// of its CPU under a transfer load, and stalled writes 27 times (3.4 s).
// Larger memtables flush less often, and letting level 0 collect 8
// sublevels before compacting gives each compaction more new data per
// byte it rewrites (BENCHMARKS.md, "Compactions, roots once, batched
// admission, fast funding"; 16 MB measured again in "The ceiling measured
// with a spare P"). Point reads stay cheap: the tables' Bloom filters
// answer for keys that are absent, and the node's state cache serves most
// state reads before they reach the store.
//
// Its tables also end where a key family ends (keyFamilySpan), and its
// flushes and compactions yield the processor once per block they write
// (yieldingFS).
var nodeTuning = pebbleTuning{memTable: 32 << 20, l0Compaction: 8, l0StopWrites: 24, familyTables: true, writeYield: runtime.Gosched}

// pebbleTuning is the part of a store's Pebble options benchmarks compare.
type pebbleTuning struct {
	memTable                   uint64
	l0Compaction, l0StopWrites int
	// familyTables ends every table a flush or compaction writes at the
	// end of its first key's family (keyFamilySpan).
	familyTables bool
	// writeYield, if set, is called by flushes and compactions once per
	// block they write (yieldingFS): runtime.Gosched, or a counter in tests.
	writeYield func()
}

// pebbleDefaults is Pebble's own choice of those options.
var pebbleDefaults = pebbleTuning{memTable: 4 << 20, l0Compaction: 4, l0StopWrites: 12}

// keyFamilyLen is how many leading bytes name a key's family. A group's
// keys are laid out as "<space>/<family>/...": "l/t/" and "l/r/" then a
// block number (the ledger's tx and receipt records), "l/x/" then a tx
// hash, "s/h/" then a state key and an inverted block number, and so on.
const keyFamilyLen = 4

// keyFamilySpan is the stores' span policy: a table that a flush or a
// compaction writes ends where the family of its first key ends, so no
// table holds keys of two families.
//
// Some families only grow at their end: the ledger's records, keyed by
// block number, most of the bytes a block writes. Others take keys all
// over their range: tx hashes, state keys. A table holding the last
// records of an appended family and the first keys of the next family
// overlaps every later block's records, so each compaction of those
// records into its level rewrote the table, old records and all, and
// merged both families again. Ended at the family, the older tables of an
// appended family overlap nothing new: they move down the levels without
// being rewritten (BENCHMARKS.md, "Tables ended at key families").
func keyFamilySpan(start []byte) (pebble.SpanPolicy, []byte, error) {
	return pebble.SpanPolicy{}, familyEnd(start), nil
}

// familyEnd is the first key after every key of start's family, its first
// keyFamilyLen bytes (all of a shorter key), or nil if start has no family:
// a key not laid out as "<space>/..." (then the table ends only at its
// target size, as without the policy, and so does the rest of that flush
// or compaction; a table per key would be the price otherwise).
func familyEnd(start []byte) []byte {
	if len(start) < 2 || start[1] != '/' {
		return nil
	}
	end := append([]byte(nil), start[:min(keyFamilyLen, len(start))]...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// bloomBitsPerKey sizes the Bloom filter of each table: 10 bits a key give
// about 1% false positives.
const bloomBitsPerKey = 10

// openPebble is OpenPebble; filters false leaves out the tables' Bloom
// filters, and tuning sets the memtables and level-0 thresholds
// (benchmarks compare them).
//
// The filters matter for lookups of keys that are absent, which a node
// makes for most transactions it receives (is this tx hash already
// committed?) and at every commit: without them such a lookup searches
// the index of a table in each level; with them it reads a filter that
// stays in the block cache and almost always answers no.
func openPebble(dir string, logger *slog.Logger, filters bool, tuning pebbleTuning) (*Pebble, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "pebble", "dir", dir)
	cache := pebble.NewCache(pebbleCacheSize)
	defer cache.Unref() // the DB holds its own reference
	stalls := &stallCounter{logger: logger}
	opts := &pebble.Options{
		Cache:              cache,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{logger},
		EventListener:      stalls.listener(),
		MemTableSize:       tuning.memTable,
		// Writes stop at L0StopWritesThreshold sublevels: well above
		// the compaction threshold, so a compaction running late does
		// not hold commits back.
		L0CompactionThreshold: tuning.l0Compaction,
		L0StopWritesThreshold: tuning.l0StopWrites,
	}
	if tuning.familyTables {
		opts.Experimental.SpanPolicyFunc = keyFamilySpan
	}
	if tuning.writeYield != nil {
		opts.FS = yieldingFS{FS: vfs.Default, yield: tuning.writeYield}
	}
	if filters {
		// Later levels take the filter policy of the level above them.
		opts.Levels[0].FilterPolicy = bloom.FilterPolicy(bloomBitsPerKey)
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		if isLockError(err) {
			return nil, fmt.Errorf("%w (%s): %v", ErrLocked, dir, err)
		}
		return nil, fmt.Errorf("storage: open pebble database in %s: %w", dir, err)
	}
	logger.Debug("opened")
	return &Pebble{
		dir:    dir,
		logger: logger,
		db:     db,
		iters:  make(map[*pebbleIterator]struct{}),
		snaps:  make(map[*pebbleSnapshot]struct{}),
		stalls: stalls,
	}, nil
}

// isLockError recognises Pebble's failure to take the directory's LOCK file:
// fcntl reports EAGAIN or EACCES when another process holds it, and Pebble
// refuses a second lock within one process with a plain message.
func isLockError(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) ||
		errors.Is(err, syscall.EWOULDBLOCK) || strings.Contains(err.Error(), "lock held by current process")
}

// Dir is the directory the store lives in.
func (p *Pebble) Dir() string { return p.dir }

func (p *Pebble) Get(key []byte) ([]byte, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return nil, ErrClosed
	}
	return pebbleGet(p.db, key)
}

func (p *Pebble) Has(key []byte) (bool, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false, ErrClosed
	}
	return pebbleHas(p.db, key)
}

// Put writes one key durably. Prefer a Batch for several writes.
func (p *Pebble) Put(key, value []byte) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	if err := p.db.Set(key, value, pebble.Sync); err != nil {
		return fmt.Errorf("storage: pebble put: %w", err)
	}
	return nil
}

// Delete removes one key durably. Deleting a missing key is not an error.
func (p *Pebble) Delete(key []byte) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	if err := p.db.Delete(key, pebble.Sync); err != nil {
		return fmt.Errorf("storage: pebble delete: %w", err)
	}
	return nil
}

func (p *Pebble) NewIterator(prefix, start []byte) Iterator {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return &errIterator{err: ErrClosed}
	}
	return p.newIterator(p.db, prefix, start)
}

// pebbleReader is what Get, Has and iterators need of a DB or a snapshot.
type pebbleReader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

func pebbleGet(r pebbleReader, key []byte) ([]byte, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("storage: pebble get: %w", err)
	}
	out := bytes.Clone(v)
	if out == nil {
		out = []byte{}
	}
	if err := closer.Close(); err != nil {
		return nil, fmt.Errorf("storage: pebble get: %w", err)
	}
	return out, nil
}

func pebbleHas(r pebbleReader, key []byte) (bool, error) {
	_, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("storage: pebble get: %w", err)
	}
	if err := closer.Close(); err != nil {
		return false, fmt.Errorf("storage: pebble get: %w", err)
	}
	return true, nil
}

// newIterator must be called with p.mu held for reading and p open.
func (p *Pebble) newIterator(r pebbleReader, prefix, start []byte) Iterator {
	lower := append(bytes.Clone(prefix), start...)
	if len(lower) == 0 {
		// No bound, as an empty one means; Pebble's invariant checks (on
		// in race builds) seek with the bound's first byte.
		lower = nil
	}
	opts := &pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(prefix)}
	pi, err := r.NewIter(opts)
	if err != nil {
		return &errIterator{err: fmt.Errorf("storage: pebble iterator: %w", err)}
	}
	it := &pebbleIterator{db: p, it: pi}
	p.trackMu.Lock()
	p.iters[it] = struct{}{}
	p.trackMu.Unlock()
	return it
}

// prefixEnd is the smallest key greater than every key with the prefix, or
// nil when there is none (an empty prefix, or one of only 0xff bytes).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

func (p *Pebble) NewSnapshot() (Snapshot, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return nil, ErrClosed
	}
	s := &pebbleSnapshot{db: p, snap: p.db.NewSnapshot()}
	p.trackMu.Lock()
	p.snaps[s] = struct{}{}
	p.trackMu.Unlock()
	return s, nil
}

func (p *Pebble) NewBatch() Batch {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		// Writes still collect; Commit reports ErrClosed.
		return &pebbleBatch{db: p, b: new(pebble.Batch)}
	}
	return &pebbleBatch{db: p, b: p.db.NewBatch(pebble.WithMaxRetainedSizeBytes(batchRetained))}
}

// batchRetained is the largest batch buffer a released batch leaves for
// the next one (Pebble's default is 1 MB). A node writes a batch per block
// (and per consensus step): a block of 1000 transfers takes about 1.3 MB,
// and each new batch otherwise grows its buffer from 1 KB by doubling,
// some 90 MB of allocations in 20 s on a node at 1400 tx/s (BENCHMARKS.md,
// "Sharper key filters, the frozen-sender check through the state cache,
// batches reused, receipts built when asked").
const batchRetained = 4 << 20

// Close releases any iterators and snapshots still open, flushes the
// memtable to disk and closes the database. Closing twice returns ErrClosed.
func (p *Pebble) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.closed = true
	p.trackMu.Lock()
	leaked := len(p.iters) + len(p.snaps)
	for it := range p.iters {
		_ = it.it.Close()
		it.it = nil
	}
	// Holding mu for writing excludes every snapshot and iterator call.
	for s := range p.snaps {
		_ = s.snap.Close()
		s.snap = nil
	}
	p.iters, p.snaps = nil, nil
	p.trackMu.Unlock()
	if leaked > 0 {
		p.logger.Warn("closing with iterators or snapshots still open; released them", "count", leaked)
	}
	flushErr := p.db.Flush()
	closeErr := p.db.Close()
	if err := errors.Join(flushErr, closeErr); err != nil {
		return fmt.Errorf("storage: close pebble database in %s: %w", p.dir, err)
	}
	p.logger.Debug("closed")
	return nil
}

type pebbleBatch struct {
	db        *Pebble
	b         *pebble.Batch
	size      int
	committed bool
}

func (b *pebbleBatch) Put(key, value []byte) error {
	if err := b.b.Set(key, value, nil); err != nil {
		return fmt.Errorf("storage: pebble batch put: %w", err)
	}
	b.size += len(key) + len(value)
	return nil
}

func (b *pebbleBatch) Delete(key []byte) error {
	if err := b.b.Delete(key, nil); err != nil {
		return fmt.Errorf("storage: pebble batch delete: %w", err)
	}
	b.size += len(key)
	return nil
}

func (b *pebbleBatch) Len() int  { return int(b.b.Count()) }
func (b *pebbleBatch) Size() int { return b.size }

func (b *pebbleBatch) Reset() {
	b.b.Reset()
	b.size = 0
	b.committed = false
}

// Release returns the Pebble batch to Pebble's pool, with its buffer
// unless that grew past batchRetained.
func (b *pebbleBatch) Release() {
	if b.b == nil {
		return
	}
	_ = b.b.Close() // a batch that failed is left to the GC by Pebble itself
	b.b = nil
}

// Commit applies the batch atomically and waits for the WAL fsync.
func (b *pebbleBatch) Commit() error { return b.apply(pebble.Sync) }

// CommitNoSync applies the batch without waiting for the WAL fsync.
func (b *pebbleBatch) CommitNoSync() error { return b.apply(pebble.NoSync) }

func (b *pebbleBatch) apply(opts *pebble.WriteOptions) error {
	b.db.mu.RLock()
	defer b.db.mu.RUnlock()
	if b.db.closed {
		return ErrClosed
	}
	if b.committed {
		return ErrBatchCommitted
	}
	if b.b.Count() == 0 {
		return nil
	}
	if err := b.db.db.Apply(b.b, opts); err != nil {
		return fmt.Errorf("storage: pebble batch commit: %w", err)
	}
	b.committed = true
	return nil
}

type pebbleSnapshot struct {
	db   *Pebble
	mu   sync.RWMutex // guards snap against Release
	snap *pebble.Snapshot
}

// read runs f on the snapshot unless it or its store is closed.
func (s *pebbleSnapshot) read(f func(*pebble.Snapshot) error) error {
	s.db.mu.RLock()
	defer s.db.mu.RUnlock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db.closed || s.snap == nil {
		return ErrClosed
	}
	return f(s.snap)
}

func (s *pebbleSnapshot) Get(key []byte) ([]byte, error) {
	var v []byte
	err := s.read(func(snap *pebble.Snapshot) error {
		var err error
		v, err = pebbleGet(snap, key)
		return err
	})
	return v, err
}

func (s *pebbleSnapshot) Has(key []byte) (bool, error) {
	var ok bool
	err := s.read(func(snap *pebble.Snapshot) error {
		var err error
		ok, err = pebbleHas(snap, key)
		return err
	})
	return ok, err
}

func (s *pebbleSnapshot) NewIterator(prefix, start []byte) Iterator {
	var it Iterator
	err := s.read(func(snap *pebble.Snapshot) error {
		it = s.db.newIterator(snap, prefix, start)
		return nil
	})
	if err != nil {
		return &errIterator{err: err}
	}
	return it
}

// Release frees the snapshot. Iterators opened from it stay usable until
// they are released. Releasing twice is harmless.
func (s *pebbleSnapshot) Release() {
	s.db.mu.RLock()
	defer s.db.mu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db.closed || s.snap == nil {
		return
	}
	if err := s.snap.Close(); err != nil {
		s.db.logger.Warn("releasing snapshot", "err", err)
	}
	s.snap = nil
	s.db.trackMu.Lock()
	delete(s.db.snaps, s)
	s.db.trackMu.Unlock()
}

// pebbleIterator copies each key and value out of Pebble's buffers, so what
// Key and Value return stays intact even if the store is closed meanwhile.
type pebbleIterator struct {
	db         *Pebble
	it         *pebble.Iterator // nil once released or closed with the store
	started    bool
	key, value []byte
	err        error
}

func (it *pebbleIterator) Next() bool {
	it.key, it.value = nil, nil
	if it.err != nil {
		return false
	}
	it.db.mu.RLock()
	defer it.db.mu.RUnlock()
	if it.it == nil {
		if it.db.closed {
			it.err = ErrClosed
		}
		return false
	}
	var ok bool
	if !it.started {
		it.started = true
		ok = it.it.First()
	} else {
		ok = it.it.Next()
	}
	if !ok {
		if err := it.it.Error(); err != nil {
			it.err = fmt.Errorf("storage: pebble iterator: %w", err)
		}
		return false
	}
	k := it.it.Key()
	v, err := it.it.ValueAndErr()
	if err != nil {
		it.err = fmt.Errorf("storage: pebble iterator value: %w", err)
		return false
	}
	buf := make([]byte, len(k)+len(v))
	copy(buf, k)
	copy(buf[len(k):], v)
	it.key, it.value = buf[:len(k):len(k)], buf[len(k):]
	return true
}

func (it *pebbleIterator) Key() []byte   { return it.key }
func (it *pebbleIterator) Value() []byte { return it.value }
func (it *pebbleIterator) Error() error  { return it.err }

func (it *pebbleIterator) Release() {
	it.key, it.value = nil, nil
	it.db.mu.RLock()
	defer it.db.mu.RUnlock()
	if it.it == nil {
		return
	}
	if err := it.it.Close(); err != nil && it.err == nil {
		it.err = fmt.Errorf("storage: pebble iterator: %w", err)
	}
	it.it = nil
	it.db.trackMu.Lock()
	delete(it.db.iters, it)
	it.db.trackMu.Unlock()
}

// errIterator is an exhausted iterator reporting err.
type errIterator struct{ err error }

func (it *errIterator) Next() bool    { return false }
func (it *errIterator) Key() []byte   { return nil }
func (it *errIterator) Value() []byte { return nil }
func (it *errIterator) Error() error  { return it.err }
func (it *errIterator) Release()      {}

// pebbleLogger routes Pebble's messages to slog.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Log(context.Background(), slog.LevelInfo, fmt.Sprintf(format, args...))
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Log(context.Background(), slog.LevelError, fmt.Sprintf(format, args...))
}

// Fatalf is called by Pebble on failures it cannot continue from (a failed
// fsync, a corrupt manifest); Pebble expects it not to return.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Log(context.Background(), slog.LevelError, "fatal storage failure", "msg", msg)
	panic("storage: pebble: " + msg)
}
