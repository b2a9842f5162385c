package storage

import (
	"bytes"
	"sort"
	"strings"
	"sync"
)

// Memory is an in-memory KV for tests. Writes through Put and Delete are
// immediately visible; batches apply atomically under one lock.
type Memory struct {
	mu     sync.RWMutex
	m      map[string][]byte
	closed bool
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{m: make(map[string][]byte)} }

func (s *Memory) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	v, ok := s.m[string(key)]
	if !ok {
		return nil, ErrNotFound
	}
	return bytes.Clone(v), nil
}

func (s *Memory) Has(key []byte) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false, ErrClosed
	}
	_, ok := s.m[string(key)]
	return ok, nil
}

func (s *Memory) Put(key, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.m[string(key)] = bytes.Clone(value)
	return nil
}

func (s *Memory) Delete(key []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	delete(s.m, string(key))
	return nil
}

func (s *Memory) NewIterator(prefix, start []byte) Iterator {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return newMemIterator(s.m, prefix, start, s.closed)
}

func (s *Memory) NewSnapshot() (Snapshot, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	cp := make(map[string][]byte, len(s.m))
	for k, v := range s.m {
		cp[k] = v
	}
	return &memSnapshot{m: cp}, nil
}

func (s *Memory) NewBatch() Batch { return &memBatch{db: s} }

func (s *Memory) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

type memSnapshot struct{ m map[string][]byte }

func (s *memSnapshot) Get(key []byte) ([]byte, error) {
	v, ok := s.m[string(key)]
	if !ok {
		return nil, ErrNotFound
	}
	return bytes.Clone(v), nil
}

func (s *memSnapshot) Has(key []byte) (bool, error) {
	_, ok := s.m[string(key)]
	return ok, nil
}

func (s *memSnapshot) NewIterator(prefix, start []byte) Iterator {
	return newMemIterator(s.m, prefix, start, false)
}

func (s *memSnapshot) Release() {}

type memOp struct {
	key, value []byte
	del        bool
}

type memBatch struct {
	db        *Memory
	ops       []memOp
	size      int
	committed bool
}

func (b *memBatch) Put(key, value []byte) error {
	b.ops = append(b.ops, memOp{key: bytes.Clone(key), value: bytes.Clone(value)})
	b.size += len(key) + len(value)
	return nil
}

func (b *memBatch) Delete(key []byte) error {
	b.ops = append(b.ops, memOp{key: bytes.Clone(key), del: true})
	b.size += len(key)
	return nil
}

func (b *memBatch) Len() int  { return len(b.ops) }
func (b *memBatch) Size() int { return b.size }
func (b *memBatch) Reset()    { b.ops, b.size, b.committed = b.ops[:0], 0, false }
func (b *memBatch) Release()  { b.ops, b.size = nil, 0 }

// CommitNoSync is Commit: the memory store has no disk to wait for.
func (b *memBatch) CommitNoSync() error { return b.Commit() }

func (b *memBatch) Commit() error {
	b.db.mu.Lock()
	defer b.db.mu.Unlock()
	if b.db.closed {
		return ErrClosed
	}
	if b.committed {
		return ErrBatchCommitted
	}
	if len(b.ops) == 0 {
		return nil
	}
	b.committed = true
	for _, op := range b.ops {
		if op.del {
			delete(b.db.m, string(op.key))
		} else {
			b.db.m[string(op.key)] = op.value
		}
	}
	return nil
}

type memIterator struct {
	keys []string
	vals [][]byte
	pos  int
	err  error
}

func newMemIterator(m map[string][]byte, prefix, start []byte, closed bool) *memIterator {
	it := &memIterator{pos: -1}
	if closed {
		it.err = ErrClosed
		return it
	}
	p, from := string(prefix), string(prefix)+string(start)
	for k := range m {
		if strings.HasPrefix(k, p) && k >= from {
			it.keys = append(it.keys, k)
		}
	}
	sort.Strings(it.keys)
	it.vals = make([][]byte, len(it.keys))
	for i, k := range it.keys {
		it.vals[i] = m[k]
	}
	return it
}

func (it *memIterator) Next() bool {
	if it.err != nil || it.pos+1 >= len(it.keys) {
		it.pos = len(it.keys)
		return false
	}
	it.pos++
	return true
}

func (it *memIterator) Key() []byte {
	if it.pos < 0 || it.pos >= len(it.keys) {
		return nil
	}
	return []byte(it.keys[it.pos])
}

// Value returns a copy: the stored slice is shared with the store and its
// snapshots, which a caller writing into it would otherwise corrupt.
func (it *memIterator) Value() []byte {
	if it.pos < 0 || it.pos >= len(it.keys) {
		return nil
	}
	return bytes.Clone(it.vals[it.pos])
}

func (it *memIterator) Error() error { return it.err }
func (it *memIterator) Release()     { it.keys, it.vals = nil, nil }
