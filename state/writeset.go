package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// Write is one change of a write set: a put, or a delete of Key.
type Write struct {
	Key    []byte
	Value  []byte // nil for a delete
	Delete bool
}

// WriteSet is the net change a block makes to the state: at most one write
// per key, sorted by key, each changing the stored value. It is immutable.
// Before it is applied it must be labelled with its block's number
// (ForBlock), under which ApplyTo records the state history; the number is
// not part of the encoding or the root.
type WriteSet struct {
	writes   []Write
	number   uint64 // block number, valid when numbered
	numbered bool
}

func newWriteSet(writes []Write) *WriteSet {
	slices.SortFunc(writes, func(a, b Write) int { return bytes.Compare(a.Key, b.Key) })
	return &WriteSet{writes: writes}
}

// Len is the number of writes.
func (ws *WriteSet) Len() int { return len(ws.writes) }

// Writes returns the writes in key order. Callers must not modify them.
func (ws *WriteSet) Writes() []Write { return ws.writes }

// ForBlock returns the write set labelled as the changes of block number.
// The receiver is unchanged; both share their writes.
func (ws *WriteSet) ForBlock(number uint64) *WriteSet {
	c := *ws
	c.number, c.numbered = number, true
	return &c
}

// Block returns the number ForBlock gave; ok is false when there is none.
func (ws *WriteSet) Block() (number uint64, ok bool) { return ws.number, ws.numbered }

// ApplyTo performs the writes on w, typically the ledger's commit batch,
// and records them in the state history under the write set's block
// number (see AtBlock): one history entry per account and slot write, and
// the meta key naming the last block applied. Write sets must be applied
// in block order, each exactly once. It fails with ErrUnnumbered when the
// write set has no block number.
func (ws *WriteSet) ApplyTo(w storage.Writer) error { return ws.apply(w, true) }

// ApplyLatest applies the write set as ApplyTo does but records no history:
// the store keeps only the latest state. It also removes the record of
// where the history starts, so that AtBlock refuses every block but the
// last applied (keys written from now on have no past entries, so the
// history kept so far no longer answers for any later block).
func (ws *WriteSet) ApplyLatest(w storage.Writer) error { return ws.apply(w, false) }

func (ws *WriteSet) apply(w storage.Writer, history bool) error {
	if !ws.numbered {
		return fmt.Errorf("%w: label it with ForBlock before applying it", ErrUnnumbered)
	}
	var hk, hv []byte // a history entry's key and value, the buffers used again (w copies them)
	for i := range ws.writes {
		x := &ws.writes[i]
		if reservedKey(x.Key) {
			return fmt.Errorf("state: applying write set of block %d: key %q is in the state's history space", ws.number, x.Key)
		}
		var err error
		if x.Delete {
			err = w.Delete(x.Key)
		} else {
			err = w.Put(x.Key, x.Value)
		}
		if err == nil && history && versioned(x.Key) {
			hk, hv = appendHistoryKey(hk[:0], x.Key, ws.number), appendHistoryValue(hv[:0], x)
			err = w.Put(hk, hv)
		}
		if err != nil {
			return fmt.Errorf("state: applying write set of block %d: %w", ws.number, err)
		}
	}
	n := binary.BigEndian.AppendUint64(nil, ws.number)
	err := w.Put(metaHeadKey, n)
	switch {
	case err != nil:
	case !history:
		err = w.Delete(metaFromKey)
	case ws.number == 0:
		err = w.Put(metaFromKey, n)
	}
	if err != nil {
		return fmt.Errorf("state: applying write set of block %d: %w", ws.number, err)
	}
	return nil
}

// rootSegment is how many writes each part of the state root's digest
// covers (see Root). The parts are hashed independently of one another,
// so a parallel executor hashes them on several cores.
const rootSegment = 256

// Root is the state root of a block with this write set whose parent block
// has root parent:
//
//	H(parent || H(uvarint(n) || H(s_0) || H(s_1) || ... || H(s_k-1)))
//
// where n is the number of writes, k is n/256 rounded up, and s_i is the
// encoding (as in Encode, without the count) of writes 256i to 256i+255 in
// key order, the last part holding the rest. It costs O(changes) and
// commits to the whole history of writes through the chain of parents.
func (ws *WriteSet) Root(parent common.Hash, h types.Hasher) common.Hash {
	return ws.ParallelRoot(parent, h, 1)
}

// FlatRoot is the state root of chains before compatibility version 0.5.0:
// H(parent || H(Encode())), one pass over the whole encoding.
func (ws *WriteSet) FlatRoot(parent common.Hash, h types.Hasher) common.Hash {
	inner := h.Hash(ws.encode())
	return h.Hash(parent[:], inner[:])
}

// ParallelRoot is Root computed on up to the given number of goroutines
// (the caller's and others), each hashing its share of the parts; h must
// be safe for concurrent use, as the crypto suites are.
func (ws *WriteSet) ParallelRoot(parent common.Hash, h types.Hasher, goroutines int) common.Hash {
	n := len(ws.writes)
	parts := (n + rootSegment - 1) / rootSegment
	head := uvarintLen(n)
	digest := make([]byte, head+32*parts)
	binary.PutUvarint(digest, uint64(n))
	var next atomic.Int64 // the next part to hash
	hashParts := func() {
		var buf []byte
		for {
			i := int(next.Add(1) - 1)
			if i >= parts {
				return
			}
			buf = buf[:0]
			for _, w := range ws.writes[i*rootSegment : min(n, (i+1)*rootSegment)] {
				buf = appendWrite(buf, w)
			}
			d := h.Hash(buf)
			copy(digest[head+32*i:], d[:])
		}
	}
	var wg sync.WaitGroup
	for range min(goroutines, parts) - 1 {
		wg.Go(hashParts)
	}
	hashParts()
	wg.Wait()
	inner := h.Hash(digest)
	return h.Hash(parent[:], inner[:])
}

// Encode is the canonical encoding: uvarint(count), then for each write in
// key order a byte 0 (put) or 1 (delete), uvarint(len(key)), key, and for
// puts uvarint(len(value)), value.
func (ws *WriteSet) Encode() []byte { return ws.encode() }

func (ws *WriteSet) encode() []byte {
	n := uvarintLen(len(ws.writes))
	for _, w := range ws.writes {
		n += 1 + uvarintLen(len(w.Key)) + len(w.Key)
		if !w.Delete {
			n += uvarintLen(len(w.Value)) + len(w.Value)
		}
	}
	buf := make([]byte, 0, n)
	buf = binary.AppendUvarint(buf, uint64(len(ws.writes)))
	for _, w := range ws.writes {
		buf = appendWrite(buf, w)
	}
	return buf
}

// appendWrite appends w's encoding (see Encode) to buf.
func appendWrite(buf []byte, w Write) []byte {
	if w.Delete {
		buf = append(buf, 1)
	} else {
		buf = append(buf, 0)
	}
	buf = binary.AppendUvarint(buf, uint64(len(w.Key)))
	buf = append(buf, w.Key...)
	if !w.Delete {
		buf = binary.AppendUvarint(buf, uint64(len(w.Value)))
		buf = append(buf, w.Value...)
	}
	return buf
}

// uvarintLen is the length of n's uvarint encoding.
func uvarintLen(n int) int { return (bits.Len64(uint64(n)|1) + 6) / 7 }

// DecodeWriteSet decodes Encode's output. It accepts only canonical input:
// keys under the state Prefix (outside its history space), strictly
// ascending, non-empty put values. The result has no block number.
func DecodeWriteSet(b []byte) (*WriteSet, error) {
	count, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, fmt.Errorf("%w: bad count", ErrBadWriteSet)
	}
	rest := b[n:]
	if count > uint64(len(rest)) { // every write takes at least one byte
		return nil, fmt.Errorf("%w: count %d exceeds the input", ErrBadWriteSet, count)
	}
	field := func(what string, i uint64) ([]byte, error) {
		l, n := binary.Uvarint(rest)
		if n <= 0 || l > uint64(len(rest)-n) {
			return nil, fmt.Errorf("%w: write %d: bad %s length", ErrBadWriteSet, i, what)
		}
		v := bytes.Clone(rest[n : n+int(l)])
		rest = rest[n+int(l):]
		return v, nil
	}
	writes := make([]Write, 0, count)
	for i := uint64(0); i < count; i++ {
		if len(rest) == 0 {
			return nil, fmt.Errorf("%w: truncated at write %d", ErrBadWriteSet, i)
		}
		op := rest[0]
		rest = rest[1:]
		if op > 1 {
			return nil, fmt.Errorf("%w: write %d: unknown operation %d", ErrBadWriteSet, i, op)
		}
		key, err := field("key", i)
		if err != nil {
			return nil, err
		}
		if !bytes.HasPrefix(key, []byte(Prefix)) || reservedKey(key) {
			return nil, fmt.Errorf("%w: write %d: key %x is not a state key", ErrBadWriteSet, i, key)
		}
		if len(writes) > 0 && bytes.Compare(writes[len(writes)-1].Key, key) >= 0 {
			return nil, fmt.Errorf("%w: write %d: keys not strictly ascending", ErrBadWriteSet, i)
		}
		w := Write{Key: key, Delete: op == 1}
		if !w.Delete {
			if w.Value, err = field("value", i); err != nil {
				return nil, err
			}
			if len(w.Value) == 0 {
				return nil, fmt.Errorf("%w: write %d: empty value", ErrBadWriteSet, i)
			}
		}
		writes = append(writes, w)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBadWriteSet, len(rest))
	}
	ws := &WriteSet{writes: writes}
	if !bytes.Equal(ws.encode(), b) {
		return nil, fmt.Errorf("%w: lengths are not minimally encoded", ErrBadWriteSet)
	}
	return ws, nil
}

// WriteSet ends the current transaction (as Finalise does) and returns the
// net changes of everything executed so far against the committed state:
// changed and deleted accounts, new code, changed and cleared slots. It
// fails if a storage read failed during execution or while building it.
// The StateDB stays usable; a later call returns the changes up to then.
func (s *StateDB) WriteSet() (*WriteSet, error) {
	writes, err := s.Changes()
	if err != nil {
		return nil, err
	}
	return newWriteSet(writes), nil
}

// Changes is WriteSet's list of writes, in no particular order and
// without the encoding: what a parallel executor needs of each
// transaction run on its own StateDB.
func (s *StateDB) Changes() ([]Write, error) {
	s.finalise()
	n := 2 * len(s.objects) // an account and a code write each, at most
	for _, obj := range s.objects {
		n += len(obj.pendingStorage) // a write each, but for a wiped account
	}
	return s.appendChanges(make([]Write, 0, n))
}

// AppendChanges is Changes appending to dst, for a caller that reuses one
// list from transaction to transaction.
func (s *StateDB) AppendChanges(dst []Write) ([]Write, error) {
	s.finalise()
	return s.appendChanges(dst)
}

// appendChanges is AppendChanges on a finalised StateDB.
func (s *StateDB) appendChanges(dst []Write) ([]Write, error) {
	if s.err != nil {
		return nil, s.err
	}
	writes := dst
	put := func(k, v []byte) { writes = append(writes, Write{Key: k, Value: v}) }
	del := func(k []byte) { writes = append(writes, Write{Key: k, Delete: true}) }
	codeDone := make(map[common.Hash]bool)

	for addr, obj := range s.objects {
		switch {
		case obj.live && (obj.origin == nil || *obj.origin != obj.data):
			put(s.keys.accountKey(addr), encodeAccount(&obj.data))
		case !obj.live && obj.origin != nil:
			del(s.keys.accountKey(addr))
		}
		if h := obj.data.CodeHash; obj.live && h != ethtypes.EmptyCodeHash && !codeDone[h] &&
			(obj.origin == nil || obj.origin.CodeHash != h) {
			codeDone[h] = true
			has, err := s.r.Has(CodeKey(h))
			if err != nil {
				return nil, fmt.Errorf("%w: code %v: %w", ErrRead, h, err)
			}
			if !has {
				put(CodeKey(h), common.CopyBytes(s.loadCode(obj)))
			}
		}
		if err := s.storageWrites(obj, put, del); err != nil {
			return nil, err
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	return writes, nil
}

// storageWrites emits the net storage changes of one account.
func (s *StateDB) storageWrites(obj *object, put func(k, v []byte), del func(k []byte)) error {
	emit := func(slot, stored, final common.Hash) {
		switch {
		case final == stored:
		case final == (common.Hash{}):
			del(s.keys.storageKey(obj.addr, slot))
		default:
			put(s.keys.storageKey(obj.addr, slot), encodeSlot(final))
		}
	}
	if !obj.wiped || obj.origin == nil {
		// Without a wipe every changed slot is in pendingStorage. An account
		// absent at the block's start has nothing stored.
		for slot, v := range obj.pendingStorage {
			var stored common.Hash
			if !obj.wiped {
				stored = s.originState(obj, slot)
			}
			emit(slot, stored, v)
		}
		return nil
	}
	// The account was destroyed: every stored slot not written again since
	// is cleared.
	prefix := StoragePrefix(obj.addr)
	seen := make(map[common.Hash]bool, len(obj.pendingStorage))
	it := s.r.NewIterator(prefix, nil)
	defer it.Release()
	for it.Next() {
		k := it.Key()
		if len(k) != len(prefix)+common.HashLength {
			return fmt.Errorf("%w: storage key %x", ErrCorrupt, k)
		}
		slot := common.BytesToHash(k[len(prefix):])
		stored, err := decodeSlot(it.Value())
		if err != nil {
			return fmt.Errorf("slot %v of %v: %w", slot, obj.addr, err)
		}
		seen[slot] = true
		emit(slot, stored, obj.pendingStorage[slot])
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("%w: storage of %v: %w", ErrRead, obj.addr, err)
	}
	for slot, v := range obj.pendingStorage {
		if !seen[slot] {
			emit(slot, common.Hash{}, v)
		}
	}
	return nil
}
