package precompiled

import (
	"encoding/binary"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// The governance contracts keep their data in "system tables": keyed
// records stored in the contract account's own storage, so they are part
// of the state root and the state history like any contract's storage.
//
// Layout: the record (table, key) lives at base = keccak256(table || 0x00
// || key). The base slot holds the record's length plus one (zero: no
// record); the bytes follow in slots keccak256(base)+0, +1, ... A list
// (an ordered set of keys) keeps its length in record (list, "#"), its
// i-th key in record (list, "#" || i) and each key's position plus one in
// record (list, "@" || key). Records are RLP-encoded structs.

// slotIO reads and writes the storage of one system contract.
type slotIO interface {
	get(slot common.Hash) common.Hash
	set(slot, value common.Hash)
}

// envIO is slotIO over the EVM's StateDB; callers check ReadOnly first.
type envIO struct {
	env  *Env
	addr common.Address
}

func (s envIO) get(slot common.Hash) common.Hash { return s.env.db.GetState(s.addr, slot) }
func (s envIO) set(slot, value common.Hash) {
	if s.env.db.Empty(s.addr) {
		s.env.db.SetNonce(s.addr, 1, 0)
	}
	s.env.db.SetState(s.addr, slot, value)
}

// tables gives another system contract's tables to env: the committee
// writes the tables of the contracts its proposals change.
func (e *Env) tables(addr common.Address) *tables {
	return &tables{io: envIO{env: e, addr: addr}}
}

// mapIO is slotIO over a map: the genesis builds its storage with it.
type mapIO map[common.Hash]common.Hash

func (m mapIO) get(slot common.Hash) common.Hash { return m[slot] }
func (m mapIO) set(slot, value common.Hash) {
	if value == (common.Hash{}) {
		delete(m, slot)
		return
	}
	m[slot] = value
}

// readerIO is slotIO over committed state; it remembers the first error
// and cannot write.
type readerIO struct {
	r    SlotReader
	addr common.Address
	err  *error
}

func (s readerIO) get(slot common.Hash) common.Hash {
	if *s.err != nil {
		return common.Hash{}
	}
	v, err := s.r.Storage(s.addr, slot)
	if err != nil {
		*s.err = err
	}
	return v
}
func (s readerIO) set(common.Hash, common.Hash) { panic("precompiled: write through a state reader") }

// tables is the table layer over one contract's storage. It is not safe
// for concurrent use.
type tables struct {
	io slotIO
	// slots, when set, remembers the record slots of the tables every
	// transaction's checks read (a session's Permission tables: see
	// recordSlots).
	slots *recordSlots

	hasher crypto.KeccakState // keccak's, made on first use
	buf    []byte
	out    common.Hash
}

// recordSlot is the base slot of record (table, key): keccak256(table ||
// 0x00 || key). It hashes with t's own Keccak state and buffer, made on
// first use: a session's tables are asked for the sender's record on
// every transaction.
func (t *tables) recordSlot(table string, key []byte) common.Hash {
	if t.slots != nil && len(key) <= slotMemoKeyLen && (table == tblAccount || table == tblMethodMode) {
		k := slotMemoKey{table: table, n: uint8(len(key))}
		copy(k.key[:], key)
		if h, ok := t.slots.get(k); ok {
			return h
		}
		h := t.hashRecordSlot(table, key)
		t.slots.put(k, h)
		return h
	}
	return t.hashRecordSlot(table, key)
}

func (t *tables) hashRecordSlot(table string, key []byte) common.Hash {
	t.buf = append(append(append(t.buf[:0], table...), 0), key...)
	return t.keccak()
}

// recordSlots remembers the base slots of the records every transaction's
// checks read, block after block: the sender's in the account table (the
// frozen-sender check) and the called method's in the method-mode table
// (with the permission check on). Each is a Keccak-256 hash; remembering
// saves only the hashing (the slot is read each time). A registry keeps
// one for its sessions; it is safe for concurrent use (the parallel
// executor's workers share the registry) and forgets everything past
// maxRecordSlots records.
type recordSlots struct {
	mu sync.Mutex
	m  map[slotMemoKey]common.Hash
}

// slotMemoKey names a record: its table and key (an address, or an
// address and a selector).
type slotMemoKey struct {
	table string
	n     uint8
	key   [slotMemoKeyLen]byte
}

const (
	slotMemoKeyLen = common.AddressLength + 4
	maxRecordSlots = 1 << 16
)

func newRecordSlots() *recordSlots {
	return &recordSlots{m: make(map[slotMemoKey]common.Hash)}
}

func (r *recordSlots) get(k slotMemoKey) (common.Hash, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, ok := r.m[k]
	return h, ok
}

func (r *recordSlots) put(k slotMemoKey, h common.Hash) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.m) >= maxRecordSlots {
		clear(r.m)
	}
	r.m[k] = h
}

// keccak hashes t.buf with t's Keccak state (made on first use). The
// parts are copied into the buffer, and the hash read into t's own
// array, because what passes through the state's interface escapes.
func (t *tables) keccak() common.Hash {
	if t.hasher == nil {
		t.hasher = crypto.NewKeccakState()
	}
	t.hasher.Reset()
	t.hasher.Write(t.buf)
	t.hasher.Read(t.out[:])
	return t.out
}

// dataSlot is the first of the slots holding the bytes of the record
// whose base slot is base: keccak256(base).
func (t *tables) dataSlot(base common.Hash) *big.Int {
	t.buf = append(t.buf[:0], base[:]...)
	h := t.keccak()
	return new(big.Int).SetBytes(h[:])
}

// wordUint64 is the number in a slot's low 64 bits (the slots read with
// it hold lengths and counters this package wrote, below 2^64), read
// without going through a big.Int.
func wordUint64(w common.Hash) uint64 { return binary.BigEndian.Uint64(w[24:]) }

// getBytes returns a record, nil when absent.
func (t *tables) getBytes(table string, key []byte) []byte {
	base := t.recordSlot(table, key)
	n := wordUint64(t.io.get(base))
	if n == 0 {
		return nil
	}
	n--
	out := make([]byte, 0, n)
	data := t.dataSlot(base)
	for i := uint64(0); uint64(len(out)) < n; i++ {
		w := t.io.get(common.BigToHash(new(big.Int).Add(data, new(big.Int).SetUint64(i))))
		out = append(out, w[:min(32, int(n)-len(out))]...)
	}
	return out
}

// putBytes writes a record (clearing the slots the old one used beyond
// the new one's length).
func (t *tables) putBytes(table string, key, value []byte) {
	base := t.recordSlot(table, key)
	old := wordUint64(t.io.get(base))
	t.io.set(base, common.BigToHash(new(big.Int).SetUint64(uint64(len(value))+1)))
	data := t.dataSlot(base)
	words := (len(value) + 31) / 32
	for i := 0; i < words; i++ {
		var w common.Hash
		copy(w[:], value[i*32:])
		t.io.set(common.BigToHash(new(big.Int).Add(data, big.NewInt(int64(i)))), w)
	}
	if old > 0 {
		for i := uint64(words); i < (old-1+31)/32; i++ {
			t.io.set(common.BigToHash(new(big.Int).Add(data, new(big.Int).SetUint64(i))), common.Hash{})
		}
	}
}

// del removes a record.
func (t *tables) del(table string, key []byte) {
	base := t.recordSlot(table, key)
	old := wordUint64(t.io.get(base))
	if old == 0 {
		return
	}
	data := t.dataSlot(base)
	for i := uint64(0); i < (old-1+31)/32; i++ {
		t.io.set(common.BigToHash(new(big.Int).Add(data, new(big.Int).SetUint64(i))), common.Hash{})
	}
	t.io.set(base, common.Hash{})
}

// get decodes an RLP record into v; false when absent.
func (t *tables) get(table string, key []byte, v any) bool {
	b := t.getBytes(table, key)
	if b == nil {
		return false
	}
	decodeRecord(table, b, v)
	return true
}

// decodeRecord decodes a record of table read with getBytes into v.
func decodeRecord(table string, b []byte, v any) {
	if err := rlp.DecodeBytes(b, v); err != nil {
		// Only this package writes these records: damage is a broken invariant.
		panic("precompiled: corrupt record in " + table + ": " + err.Error())
	}
}

// put RLP-encodes v into a record.
func (t *tables) put(table string, key []byte, v any) {
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		panic("precompiled: encode record: " + err.Error())
	}
	t.putBytes(table, key, b)
}

// getUint / putUint store a number in a record's base slot directly.
func (t *tables) getUint(table string, key []byte) uint64 {
	return wordUint64(t.io.get(t.recordSlot(table, key)))
}

func (t *tables) putUint(table string, key []byte, v uint64) {
	t.io.set(t.recordSlot(table, key), common.BigToHash(new(big.Int).SetUint64(v)))
}

func indexKey(i uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{'#'}, i)
}

// listLen is the number of keys in a list.
func (t *tables) listLen(list string) uint64 { return t.getUint(list, []byte{'#'}) }

// listKeys returns a list's keys in order.
func (t *tables) listKeys(list string) [][]byte {
	n := t.listLen(list)
	out := make([][]byte, 0, n)
	for i := uint64(0); i < n; i++ {
		out = append(out, t.getBytes(list, indexKey(i)))
	}
	return out
}

// listHas reports whether key is in a list.
func (t *tables) listHas(list string, key []byte) bool {
	return t.getUint(list, append([]byte{'@'}, key...)) != 0
}

// listAdd appends key to a list unless it is there.
func (t *tables) listAdd(list string, key []byte) {
	if t.listHas(list, key) {
		return
	}
	n := t.listLen(list)
	t.putBytes(list, indexKey(n), key)
	t.putUint(list, append([]byte{'@'}, key...), n+1)
	t.putUint(list, []byte{'#'}, n+1)
}

// listRemove removes key from a list, moving the last key into its place.
func (t *tables) listRemove(list string, key []byte) {
	pos := t.getUint(list, append([]byte{'@'}, key...))
	if pos == 0 {
		return
	}
	n := t.listLen(list)
	if pos != n {
		last := t.getBytes(list, indexKey(n-1))
		t.putBytes(list, indexKey(pos-1), last)
		t.putUint(list, append([]byte{'@'}, last...), pos)
	}
	t.del(list, indexKey(n-1))
	t.putUint(list, append([]byte{'@'}, key...), 0)
	t.putUint(list, []byte{'#'}, n-1)
}
