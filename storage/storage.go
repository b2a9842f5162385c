package storage

import "errors"

// ErrNotFound is returned by Get for a missing key.
var ErrNotFound = errors.New("storage: key not found")

// ErrClosed is returned by operations on a closed store.
var ErrClosed = errors.New("storage: store is closed")

// Reader reads keys. Returned slices belong to the caller.
type Reader interface {
	// Get returns the value of key or ErrNotFound.
	Get(key []byte) ([]byte, error)
	// Has reports whether key exists.
	Has(key []byte) (bool, error)
	// NewIterator iterates in ascending key order over the keys with the
	// given prefix that are >= prefix+start.
	NewIterator(prefix, start []byte) Iterator
}

// Writer changes keys. Put and Delete keep neither key nor value: the
// caller may change them once the call returns (the conformance suite,
// storagetest, checks it), and a block's commit builds its keys and
// values in buffers it uses again.
type Writer interface {
	Put(key, value []byte) error
	Delete(key []byte) error
}

// Batch collects writes and applies them atomically.
type Batch interface {
	Writer
	// Len is the number of operations in the batch.
	Len() int
	// Size is the number of key and value bytes in the batch.
	Size() int
	// Commit applies the batch atomically and durably (synced to disk before
	// it returns). The batch may be reused after Reset.
	Commit() error
	// CommitNoSync applies the batch atomically without waiting for the
	// disk: a crash may lose it, together with every write after it and
	// nothing before it (one write-ahead log), until a later synced commit
	// or write of the same store makes it durable.
	CommitNoSync() error
	// Reset empties the batch.
	Reset()
	// Release hands the batch's memory back for later batches; the batch
	// must not be used after it. A batch never released is left to the
	// garbage collector.
	Release()
}

// Iterator walks keys in ascending order. Key and Value are valid until
// the next call to Next; callers copy what they keep.
type Iterator interface {
	Next() bool
	Key() []byte
	Value() []byte
	Error() error
	Release()
}

// Snapshot is a consistent read-only view of the store at one moment.
type Snapshot interface {
	Reader
	Release()
}

// KV is a key-value store.
type KV interface {
	Reader
	Writer
	NewBatch() Batch
	NewSnapshot() (Snapshot, error)
	Close() error
}
