package state

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/gobcos/gobcos/storage"
)

// NetWriteSet builds a block's write set from the final value of every
// key it wrote (a nil Value with Delete set for a key it deleted), as a
// parallel executor merges the writes of separately executed transactions.
// changed holds writes known to differ from the state before the block, r;
// of those in maybe, the ones that leave a key as it is stored in r are
// dropped, exactly as WriteSet drops them, so the result is the write set
// serial execution gives. Keys must be distinct state keys.
func NetWriteSet(r storage.Reader, changed, maybe []Write) (*WriteSet, error) {
	out := append(make([]Write, 0, len(changed)+len(maybe)), changed...)
	for _, w := range maybe {
		same, err := Unchanged(r, w)
		if err != nil {
			return nil, err
		}
		if !same {
			out = append(out, w)
		}
	}
	return newWriteSet(out), nil
}

// SortedWriteSet is NetWriteSet(r, changed, nil) for changed sorted by key,
// which it keeps (it neither copies nor sorts them): a parallel executor
// that merged sorted lists of writes. It fails when they are not sorted or
// not distinct.
func SortedWriteSet(changed []Write) (*WriteSet, error) {
	for i := 1; i < len(changed); i++ {
		if bytes.Compare(changed[i-1].Key, changed[i].Key) >= 0 {
			return nil, fmt.Errorf("state: writes not sorted by distinct keys at %d (%x after %x)", i, changed[i].Key, changed[i-1].Key)
		}
	}
	return &WriteSet{writes: changed}, nil
}

// Unchanged reports whether w leaves its key as r stores it, comparing
// decoded records as WriteSet does: the check NetWriteSet makes of each
// of its maybe writes.
func Unchanged(r storage.Reader, w Write) (bool, error) {
	stored, err := r.Get(w.Key)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		stored = nil
	case err != nil:
		return false, fmt.Errorf("%w: key %x: %w", ErrRead, w.Key, err)
	}
	return sameValue(w, stored)
}

// sameValue reports whether w leaves the stored value (nil when absent)
// unchanged, comparing decoded records as WriteSet does.
func sameValue(w Write, stored []byte) (bool, error) {
	if stored == nil || w.Delete {
		return stored == nil && w.Delete, nil
	}
	if bytes.Equal(stored, w.Value) {
		return true, nil
	}
	switch {
	case bytes.HasPrefix(w.Key, accountPrefix):
		a, err := decodeAccount(stored)
		if err != nil {
			return false, fmt.Errorf("stored %x: %w", w.Key, err)
		}
		b, err := decodeAccount(w.Value)
		if err != nil {
			return false, fmt.Errorf("written %x: %w", w.Key, err)
		}
		return *a == *b, nil
	case bytes.HasPrefix(w.Key, storagePrefix):
		a, err := decodeSlot(stored)
		if err != nil {
			return false, fmt.Errorf("stored %x: %w", w.Key, err)
		}
		b, err := decodeSlot(w.Value)
		if err != nil {
			return false, fmt.Errorf("written %x: %w", w.Key, err)
		}
		return a == b, nil
	default: // code, content addressed: stored means present
		return true, nil
	}
}
