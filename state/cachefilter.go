package state

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gobcos/gobcos/internal/keyfilter"
	"github.com/gobcos/gobcos/storage"
)

// existing is a Cache's filter of the state keys (accounts, code, slots)
// that exist or ever existed: a read of a key it rules out is answered
// "absent" without a storage read. Most reads the cache cannot serve are
// of such keys: the recipient of a transfer to a new account, read by
// the EVM for its code, its balance, its nonce; a token balance never set.
//
// Commit adds the keys a block puts before the block is written, and the
// load adds every key stored when it began, so every key a store holds,
// at any version a reader reads, is in the filter: a "no" is exact. Keys
// are never removed (a deleted account stays a "maybe", which only costs
// a read). The filter answers only once the load is done, and never again
// after a commit whose keys the cache could not list.
type existing struct {
	f     *keyfilter.Filter
	state atomic.Int32 // filterLoading, filterReady or filterOff

	stopOnce sync.Once
	stop     chan struct{} // closed by Close
	done     chan struct{} // closed when the load ends (nil: never started)
}

const (
	filterLoading int32 = iota
	filterReady
	filterOff
)

// stateKeyPrefixes are the prefixes of the keys the cache and its filter
// hold.
var stateKeyPrefixes = [][]byte{accountPrefix, storagePrefix, codePrefix}

// absent reports whether key certainly does not exist in the state.
func (e *existing) absent(key []byte) bool {
	return e.state.Load() == filterReady && !e.f.MayContain(key)
}

// added records the keys ws puts, before they are written; ws nil (writes
// not listed) turns the filter off for good.
func (e *existing) added(ws *WriteSet) {
	if ws == nil {
		e.state.Store(filterOff)
		return
	}
	var keys [][]byte
	for i := range ws.writes {
		if w := &ws.writes[i]; !w.Delete && cacheable(w.Key) {
			keys = append(keys, w.Key)
		}
	}
	e.f.Add(keys...)
}

// StartLoading adds the state keys r holds to the cache's filter of
// existing keys, on a goroutine, and lets the filter answer once all are
// in. Its iterators are made here: keys committed later come through
// Commit. Until the load is done, or if it fails, reads of absent keys go
// to storage as before. onDone, if not nil, is called with the number of
// keys loaded or the error. Close stops the load.
func (c *Cache) StartLoading(r storage.Reader, onDone func(keys int, err error)) {
	if c == nil || c.exist.done != nil {
		return
	}
	its := make([]storage.Iterator, len(stateKeyPrefixes))
	for i, p := range stateKeyPrefixes {
		its[i] = r.NewIterator(p, nil)
	}
	e := &c.exist
	e.done = make(chan struct{})
	go func() {
		defer close(e.done)
		n, err := e.load(its)
		if errors.Is(err, errLoadStopped) {
			return // closing: nothing to report
		}
		if err == nil && !e.state.CompareAndSwap(filterLoading, filterReady) {
			err = errors.New("state: the filter of existing keys was turned off while it loaded")
		}
		if onDone != nil {
			onDone(n, err)
		}
	}()
}

var errLoadStopped = errors.New("state: closed while loading the filter of existing keys")

// load adds the keys the iterators yield, in one generation of the
// filter, and releases the iterators.
func (e *existing) load(its []storage.Iterator) (int, error) {
	defer func() {
		for _, it := range its {
			it.Release()
		}
	}()
	var xs []uint64
	for _, it := range its {
		var err error
		xs, err = e.f.HashKeys(xs, it, 0, e.stop)
		if errors.Is(err, keyfilter.ErrStopped) {
			return 0, errLoadStopped
		}
		if err != nil {
			return 0, fmt.Errorf("state: loading the existing keys: %w", err)
		}
	}
	e.f.AddHashes(xs)
	return len(xs), nil
}

// Close stops a load under way and waits for it; call it before closing
// the store StartLoading read.
func (c *Cache) Close() {
	if c == nil {
		return
	}
	e := &c.exist
	e.stopOnce.Do(func() { close(e.stop) })
	if e.done != nil {
		<-e.done
	}
}

// FilterReady reports whether the filter of existing keys answers reads.
func (c *Cache) FilterReady() bool { return c != nil && c.exist.state.Load() == filterReady }
