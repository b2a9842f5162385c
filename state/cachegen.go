package state

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// generation is one generation of the Cache's entries, kept where the
// garbage collector has nothing to trace: the records, back to back in one
// byte slice, and an index from a hash of each key to the offset of its
// record. A full cache holds hundreds of thousands of entries; held as
// strings and byte slices in a map, each would be objects for every
// collection to mark, block after block.
//
// A record is the key's length and the value's (absentLen when the key is
// absent) as uint32, the version the value holds from as uint64, then the
// key and the value. Records are never changed: putting a key appends a
// new record, and the one it replaces stays in buf, counted in the
// generation's bytes, until the generation is dropped. So a value handed
// out (a sub-slice of buf) stays intact after the lock is released.
//
// Two keys with the same hash share an index slot: the later put wins and
// a lookup of the other finds a record of another key, which it treats as
// a miss.
type generation struct {
	index map[uint64]uint32 // hash of the key -> offset of its record in buf
	buf   []byte
}

const (
	recordHeader = 16         // key length, value length, version
	absentLen    = ^uint32(0) // the value length of a key recorded as absent
	// indexOverhead approximates the memory an index entry takes (the
	// map's slot and control byte, with its load factor).
	indexOverhead = 16
)

func newGeneration() *generation {
	return &generation{index: make(map[uint64]uint32)}
}

// newGenerationLike returns an empty generation with room for as many
// entries and record bytes as g holds.
func newGenerationLike(g *generation) *generation {
	return &generation{index: make(map[uint64]uint32, len(g.index)), buf: make([]byte, 0, len(g.buf))}
}

// bytes is the memory the generation takes, dead records included.
func (g *generation) bytes() int { return len(g.buf) + indexOverhead*len(g.index) }

func (g *generation) len() int { return len(g.index) }

// get returns the entry of key, whose hash is h. Its value shares buf's
// memory and must not be modified.
func (g *generation) get(key []byte, h uint64) (cacheEntry, bool) {
	off, ok := g.index[h]
	if !ok {
		return cacheEntry{}, false
	}
	k, e := g.record(off)
	if !bytes.Equal(k, key) {
		return cacheEntry{}, false // another key with the same hash
	}
	return e, true
}

// record decodes the record at off.
func (g *generation) record(off uint32) (key []byte, e cacheEntry) {
	h := g.buf[off : off+recordHeader]
	kl, vl := binary.LittleEndian.Uint32(h), binary.LittleEndian.Uint32(h[4:])
	e.since = binary.LittleEndian.Uint64(h[8:])
	start := off + recordHeader
	key = g.buf[start : start+kl : start+kl]
	if vl != absentLen {
		v := start + kl
		e.val = g.buf[v : v+vl : v+vl]
	}
	return key, e
}

// put records e under key, whose hash is h. The caller keeps the
// generation within maxGenerationBytes.
func (g *generation) put(key []byte, h uint64, e cacheEntry) {
	vl := absentLen
	if e.val != nil {
		vl = uint32(len(e.val))
	}
	off := len(g.buf)
	g.buf = slices.Grow(g.buf, recordSize(key, e.val))
	g.buf = binary.LittleEndian.AppendUint32(g.buf, uint32(len(key)))
	g.buf = binary.LittleEndian.AppendUint32(g.buf, vl)
	g.buf = binary.LittleEndian.AppendUint64(g.buf, e.since)
	g.buf = append(append(g.buf, key...), e.val...)
	g.index[h] = uint32(off)
}

// del forgets key, whose hash is h, if the generation holds it.
func (g *generation) del(key []byte, h uint64) {
	if off, ok := g.index[h]; ok {
		if k, _ := g.record(off); bytes.Equal(k, key) {
			delete(g.index, h)
		}
	}
}

// each calls f with every entry the generation holds.
func (g *generation) each(f func(key []byte, e cacheEntry) error) error {
	for _, off := range g.index {
		if err := f(g.record(off)); err != nil {
			return err
		}
	}
	return nil
}

func recordSize(key, val []byte) int { return recordHeader + len(key) + len(val) }
