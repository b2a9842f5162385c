package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gobcos/gobcos/storage"
)

// State history: besides the flat latest state, WriteSet.ApplyTo records,
// for every account and slot key written by block N, an entry
//
//	s/h/<flat key><be64(^N)> -> 0x00 (deleted) | 0x01 <stored value>
//
// Inverting N makes the newest write sort first, so an iterator over the
// key's entries started at be64(^M) meets the latest write at or before
// block M first. Code is content addressed and never deleted, so code keys
// get no history entries: past views read them from the flat state.
//
// Two meta keys record which blocks the history covers:
//
//	s/m/head -> be64(number of the last block whose writes were applied)
//	s/m/from -> be64(first block with history); written with block 0
//
// History is an index, not consensus data: it is not part of the write
// set's encoding, so state roots do not depend on it.
var (
	historyPrefix = []byte("s/h/")
	metaPrefix    = []byte("s/m/")
	metaHeadKey   = []byte("s/m/head")
	metaFromKey   = []byte("s/m/from")
)

const (
	histDeleted byte = 0
	histPut     byte = 1
	suffixLen        = 8 // be64(^N) after the flat key
)

// reservedKey reports whether k lies in the state's bookkeeping space
// (history entries and meta keys), which write sets must not touch.
func reservedKey(k []byte) bool {
	return bytes.HasPrefix(k, historyPrefix) || bytes.HasPrefix(k, metaPrefix)
}

// versioned reports whether k is a key whose past values the history keeps.
func versioned(k []byte) bool {
	return bytes.HasPrefix(k, []byte(Prefix)) && !reservedKey(k) && !bytes.HasPrefix(k, codePrefix)
}

// appendHistoryKey appends the key of flat's history entry for block number.
func appendHistoryKey(dst, flat []byte, number uint64) []byte {
	dst = append(append(dst, historyPrefix...), flat...)
	return binary.BigEndian.AppendUint64(dst, ^number)
}

// appendHistoryValue appends the history entry of w.
func appendHistoryValue(dst []byte, w *Write) []byte {
	if w.Delete {
		return append(dst, histDeleted)
	}
	return append(append(dst, histPut), w.Value...)
}

// decodeHistoryValue returns the stored value of a history entry, or nil
// for a deletion marker.
func decodeHistoryValue(v []byte) ([]byte, error) {
	switch {
	case len(v) == 1 && v[0] == histDeleted:
		return nil, nil
	case len(v) > 1 && v[0] == histPut:
		return bytes.Clone(v[1:]), nil
	}
	return nil, fmt.Errorf("%w: history entry of %d bytes", ErrCorrupt, len(v))
}

func readMeta(r storage.Reader, key []byte) (uint64, bool, error) {
	b, err := r.Get(key)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("%w: %s: %w", ErrRead, key, err)
	}
	if len(b) != 8 {
		return 0, false, fmt.Errorf("%w: %s holds %d bytes", ErrCorrupt, key, len(b))
	}
	return binary.BigEndian.Uint64(b), true, nil
}

// HistoryRange reports the blocks whose state r can answer: from the first
// block with recorded history to the last block applied. ok is false when
// r holds no state written with history (an empty store).
func HistoryRange(r storage.Reader) (from, head uint64, ok bool, err error) {
	head, ok, err = readMeta(r, metaHeadKey)
	if err != nil || !ok {
		return 0, 0, false, err
	}
	from, hasFrom, err := readMeta(r, metaFromKey)
	if err != nil {
		return 0, 0, false, err
	}
	if !hasFrom {
		from = head // only the flat latest state is known
	}
	return from, head, true, nil
}

// AtBlock returns a read-only view of the state in r as it was at the end
// of block number, for state.New (calls) and NewReader (queries). Give it
// a storage snapshot so the view stays consistent while blocks commit.
//
// When number is the last block applied to r the view is r itself (the
// flat state). For an earlier block, Get and Has of account and slot keys
// answer from the history; code keys are read from the flat state (code is
// content addressed and never deleted, so a code blob stored later is
// visible but nothing in the past state points to it). Keys outside the
// state's account, code and slot space are refused with ErrNotStateKey.
// NewIterator over an account or slot prefix merges the history into the
// keys and values as of that block, in key order (a self-destructed
// account's slots are found this way); it walks every recorded version
// under the prefix, so its cost grows with the prefix's history. Any other
// prefix gives an iterator whose Error is ErrNotStateKey.
//
// It fails with ErrFutureBlock when r holds the state only up to an earlier
// block, and with ErrNoHistory when r holds no history for number (an empty
// store, or one written before history was recorded).
func AtBlock(r storage.Reader, number uint64) (storage.Reader, error) {
	from, head, ok, err := HistoryRange(r)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("%w: the store holds no committed state with history", ErrNoHistory)
	case number > head:
		return nil, fmt.Errorf("%w: state of block %d requested, the store holds blocks up to %d", ErrFutureBlock, number, head)
	case number == head:
		return r, nil
	case number < from && from == head:
		return nil, fmt.Errorf("%w: state of block %d requested, the store keeps only the latest block's (%d): the node keeps no state history ([state] history = \"none\") or its data directory was written without it", ErrNoHistory, number, head)
	case number < from:
		return nil, fmt.Errorf("%w: state of block %d requested, history starts at block %d", ErrNoHistory, number, from)
	}
	return &pastView{r: r, number: number}, nil
}

// pastView answers state reads as of the end of block number.
type pastView struct {
	r      storage.Reader
	number uint64
}

var _ storage.Reader = (*pastView)(nil)

func notStateKey(k []byte) error {
	return fmt.Errorf("%w: key %q", ErrNotStateKey, k)
}

// Get returns the value key had at the end of the view's block.
func (v *pastView) Get(key []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(key, codePrefix):
		return v.r.Get(key)
	case !versioned(key):
		return nil, notStateKey(key)
	}
	prefix := append(append(make([]byte, 0, len(historyPrefix)+len(key)), historyPrefix...), key...)
	it := v.r.NewIterator(prefix, binary.BigEndian.AppendUint64(nil, ^v.number))
	defer it.Release()
	for it.Next() {
		// Entries of a longer key with key as its prefix may come first;
		// skip them (keys of one kind have one length, so this is rare).
		if len(it.Key()) != len(prefix)+suffixLen {
			continue
		}
		val, err := decodeHistoryValue(it.Value())
		if err != nil {
			return nil, fmt.Errorf("key %x at block %d: %w", key, v.number, err)
		}
		if val == nil {
			return nil, storage.ErrNotFound
		}
		return val, nil
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("%w: history of %x: %w", ErrRead, key, err)
	}
	return nil, storage.ErrNotFound
}

// Has reports whether key existed at the end of the view's block.
func (v *pastView) Has(key []byte) (bool, error) {
	_, err := v.Get(key)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// NewIterator iterates the keys under prefix as of the view's block.
func (v *pastView) NewIterator(prefix, start []byte) storage.Iterator {
	var keyLen int
	switch {
	case bytes.HasPrefix(prefix, codePrefix):
		return v.r.NewIterator(prefix, start)
	case bytes.HasPrefix(prefix, accountPrefix):
		keyLen = accountKeyLen
	case bytes.HasPrefix(prefix, storagePrefix):
		keyLen = storageKeyLen
	default:
		return &errIterator{err: fmt.Errorf("%w: cannot iterate prefix %q of a past state: give a prefix under %q, %q or %q", ErrNotStateKey, prefix, accountPrefix, storagePrefix, codePrefix)}
	}
	hp := append(bytes.Clone(historyPrefix), prefix...)
	return &historyIterator{
		it:     v.r.NewIterator(hp, start),
		lower:  append(bytes.Clone(prefix), start...),
		inv:    binary.BigEndian.AppendUint64(nil, ^v.number),
		keyLen: keyLen,
	}
}

// historyIterator turns the history entries under a prefix into the keys
// and values live at one block. Entries come grouped by flat key, newest
// first within a group; the first entry of a group not newer than the
// block decides the key's value then.
type historyIterator struct {
	it     storage.Iterator
	lower  []byte // smallest flat key to return (prefix + start)
	inv    []byte // be64(^number)
	keyLen int    // length of every flat key under the prefix
	done   []byte // flat key already decided; its older entries are skipped
	key    []byte
	val    []byte
	err    error
}

func (h *historyIterator) Next() bool {
	h.key, h.val = nil, nil
	if h.err != nil {
		return false
	}
	for h.it.Next() {
		k := h.it.Key()
		if len(k) != len(historyPrefix)+h.keyLen+suffixLen {
			h.err = fmt.Errorf("%w: history key %x has the wrong length", ErrCorrupt, k)
			return false
		}
		flat, suffix := k[len(historyPrefix):len(k)-suffixLen], k[len(k)-suffixLen:]
		if bytes.Compare(flat, h.lower) < 0 || bytes.Equal(flat, h.done) {
			continue
		}
		if bytes.Compare(suffix, h.inv) < 0 { // written after the block
			continue
		}
		h.done = bytes.Clone(flat)
		val, err := decodeHistoryValue(h.it.Value())
		if err != nil {
			h.err = fmt.Errorf("key %x: %w", flat, err)
			return false
		}
		if val == nil { // deleted at the block
			continue
		}
		h.key, h.val = h.done, val
		return true
	}
	if err := h.it.Error(); err != nil {
		h.err = fmt.Errorf("%w: history: %w", ErrRead, err)
	}
	return false
}

func (h *historyIterator) Key() []byte   { return h.key }
func (h *historyIterator) Value() []byte { return h.val }
func (h *historyIterator) Error() error  { return h.err }
func (h *historyIterator) Release()      { h.it.Release() }

// errIterator is an empty iterator that reports err.
type errIterator struct{ err error }

func (e *errIterator) Next() bool    { return false }
func (e *errIterator) Key() []byte   { return nil }
func (e *errIterator) Value() []byte { return nil }
func (e *errIterator) Error() error  { return e.err }
func (e *errIterator) Release()      {}
