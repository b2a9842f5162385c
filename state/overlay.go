package state

import (
	"bytes"
	"slices"
	"sort"

	"github.com/gobcos/gobcos/storage"
)

// Overlay is a storage.Reader over the state of blocks executed but not
// yet committed: the write sets of those blocks, oldest first, layered
// over the committed store below them. It reads exactly what the store
// will hold, for the state's keys, once the write sets are applied in
// order (ApplyTo), so a block can execute on a parent whose commit is
// still under way. Keys outside the state (the state history, blocks,
// receipts) read from the base alone.
//
// The base must not change in a way the layers do not cover while the
// overlay is read: pass a storage snapshot, or a store into which only
// these write sets are committed. An Overlay is safe for concurrent use
// when its base is.
type Overlay struct {
	base   storage.Reader
	layers []*WriteSet // oldest first
}

var _ storage.Reader = (*Overlay)(nil)

// NewOverlay returns the state of base after layers, oldest first. nil
// layers are skipped.
func NewOverlay(base storage.Reader, layers ...*WriteSet) *Overlay {
	ls := make([]*WriteSet, 0, len(layers))
	for _, l := range layers {
		if l != nil {
			ls = append(ls, l)
		}
	}
	return &Overlay{base: base, layers: ls}
}

// lookup finds key's newest write in the layers.
func (o *Overlay) lookup(key []byte) (*Write, bool) {
	for i := len(o.layers) - 1; i >= 0; i-- {
		ws := o.layers[i].writes
		j := sort.Search(len(ws), func(j int) bool { return bytes.Compare(ws[j].Key, key) >= 0 })
		if j < len(ws) && bytes.Equal(ws[j].Key, key) {
			return &ws[j], true
		}
	}
	return nil, false
}

// Get returns key's value or storage.ErrNotFound.
func (o *Overlay) Get(key []byte) ([]byte, error) {
	if w, ok := o.lookup(key); ok {
		if w.Delete {
			return nil, storage.ErrNotFound
		}
		return bytes.Clone(w.Value), nil
	}
	return o.base.Get(key)
}

// Has reports whether key exists.
func (o *Overlay) Has(key []byte) (bool, error) {
	if w, ok := o.lookup(key); ok {
		return !w.Delete, nil
	}
	return o.base.Has(key)
}

// NewIterator iterates in key order over the keys with prefix that are
// >= prefix+start, the layers' writes merged into the base's keys.
func (o *Overlay) NewIterator(prefix, start []byte) storage.Iterator {
	from := append(slices.Clip(prefix), start...)
	// The newest write of each key in range, in key order.
	var merged []Write
	for i := len(o.layers) - 1; i >= 0; i-- {
		ws := o.layers[i].writes
		j := sort.Search(len(ws), func(j int) bool { return bytes.Compare(ws[j].Key, from) >= 0 })
		for ; j < len(ws) && bytes.HasPrefix(ws[j].Key, prefix); j++ {
			merged = append(merged, ws[j])
		}
	}
	slices.SortStableFunc(merged, func(a, b Write) int { return bytes.Compare(a.Key, b.Key) })
	merged = slices.CompactFunc(merged, func(a, b Write) bool { return bytes.Equal(a.Key, b.Key) }) // keeps the first: the newest
	return &overlayIterator{base: o.base.NewIterator(prefix, start), writes: merged}
}

// overlayIterator merges a base iterator with sorted writes; a write
// replaces or hides (delete) the base's key.
type overlayIterator struct {
	base     storage.Iterator
	baseOK   bool // base is positioned on a key not yet consumed
	started  bool
	writes   []Write
	next     int // first write not yet consumed
	key, val []byte
}

func (it *overlayIterator) Next() bool {
	if !it.started {
		it.started = true
		it.baseOK = it.base.Next()
	}
	for {
		var w *Write
		if it.next < len(it.writes) {
			w = &it.writes[it.next]
		}
		switch {
		case w == nil && !it.baseOK:
			it.key, it.val = nil, nil
			return false
		case w == nil || (it.baseOK && bytes.Compare(it.base.Key(), w.Key) < 0):
			it.key, it.val = bytes.Clone(it.base.Key()), bytes.Clone(it.base.Value())
			it.baseOK = it.base.Next()
			return true
		default:
			if it.baseOK && bytes.Equal(it.base.Key(), w.Key) {
				it.baseOK = it.base.Next() // the write replaces the base's key
			}
			it.next++
			if w.Delete {
				continue
			}
			it.key, it.val = w.Key, w.Value
			return true
		}
	}
}

func (it *overlayIterator) Key() []byte   { return it.key }
func (it *overlayIterator) Value() []byte { return it.val }
func (it *overlayIterator) Error() error  { return it.base.Error() }
func (it *overlayIterator) Release()      { it.base.Release() }
