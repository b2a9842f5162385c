package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

type op func(s *StateDB)

// randomOps builds a deterministic list of state changes over a few accounts.
func randomOps(seed int64, n int) []op {
	rng := rand.New(rand.NewSource(seed))
	addrs := []common.Address{addrA, addrB, addrC, common.HexToAddress("0xdd"), common.HexToAddress("0xee")}
	var ops []op
	for i := 0; i < n; i++ {
		a := addrs[rng.Intn(len(addrs))]
		v := rng.Uint64() % 4
		sl := common.BigToHash(uint256.NewInt(uint64(rng.Intn(6))).ToBig())
		switch rng.Intn(4) {
		case 0:
			ops = append(ops, func(s *StateDB) { s.AddBalance(a, uint256.NewInt(v), 0) })
		case 1:
			ops = append(ops, func(s *StateDB) { s.SetNonce(a, s.GetNonce(a)+1, 0) })
		case 2:
			ops = append(ops, func(s *StateDB) { s.SetState(a, sl, common.BigToHash(uint256.NewInt(v).ToBig())) })
		case 3:
			code := []byte{0x60, byte(v)}
			ops = append(ops, func(s *StateDB) { s.SetCode(a, code, 0) })
		}
	}
	return ops
}

func build(kv storage.Reader, ops []op, txSize int) (*WriteSet, error) {
	s := New(kv)
	for i, o := range ops {
		o(s)
		if (i+1)%txSize == 0 {
			s.Finalise(rules)
		}
	}
	return s.WriteSet()
}

func run(t *testing.T, kv storage.Reader, ops []op, txSize int) *WriteSet {
	t.Helper()
	ws, err := build(kv, ops, txSize)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func TestWriteSetDeterministic(t *testing.T) {
	h := crypto.ECDSA()
	kv := seeded(t)
	parent := common.HexToHash("0xabcdef")
	for seed := int64(1); seed <= 20; seed++ {
		ops := randomOps(seed, 60)
		a := run(t, kv, ops, 7)
		b := run(t, kv, ops, 7)
		if !bytes.Equal(a.Encode(), b.Encode()) || a.Root(parent, h) != b.Root(parent, h) {
			t.Fatalf("seed %d: same ops gave different write sets", seed)
		}
		for i := 1; i < a.Len(); i++ {
			if bytes.Compare(a.Writes()[i-1].Key, a.Writes()[i].Key) >= 0 {
				t.Fatalf("seed %d: writes not strictly sorted", seed)
			}
		}
		dec, err := DecodeWriteSet(a.Encode())
		if err != nil {
			t.Fatalf("seed %d: decode: %v", seed, err)
		}
		if dec.Root(parent, h) != a.Root(parent, h) || dec.Len() != a.Len() {
			t.Fatalf("seed %d: decoded write set differs", seed)
		}
	}
}

func TestWriteSetNetChangesOnly(t *testing.T) {
	kv := seeded(t)
	s := New(kv)
	s.AddBalance(addrA, uint256.NewInt(1), 0)
	s.SetState(addrA, slot1, val2)
	s.Finalise(rules)
	s.SubBalance(addrA, uint256.NewInt(1), 0)
	s.SetState(addrA, slot1, val1)
	ws, err := s.WriteSet()
	if err != nil {
		t.Fatal(err)
	}
	if ws.Len() != 0 {
		t.Fatalf("changes undone by a later tx must not be written, got %+v", ws.Writes())
	}
}

func TestRootChaining(t *testing.T) {
	h := crypto.ECDSA()
	ws := run(t, storage.NewMemory(), randomOps(3, 10), 3)
	p1, p2 := common.HexToHash("0x01"), common.HexToHash("0x02")
	if ws.Root(p1, h) == ws.Root(p2, h) {
		t.Fatalf("root must depend on the parent root")
	}
	other := run(t, storage.NewMemory(), randomOps(4, 10), 3)
	if ws.Root(p1, h) == other.Root(p1, h) {
		t.Fatalf("different write sets gave the same root")
	}
	if ws.Root(p1, h) == ws.Root(p1, crypto.SM()) {
		t.Fatalf("root must use the chain's hasher")
	}
}

// specRoot is Root as its documentation defines it, computed from the
// canonical encoding: the count, then the hash of each run of 256 writes'
// encodings.
func specRoot(t *testing.T, ws *WriteSet, parent common.Hash, h types.Hasher) common.Hash {
	t.Helper()
	enc := ws.Encode()
	count, n := binary.Uvarint(enc)
	if int(count) != ws.Len() {
		t.Fatalf("encoding's count %d, %d writes", count, ws.Len())
	}
	digest := enc[:n:n]
	rest := enc[n:]
	for i := 0; i < ws.Len(); i += 256 {
		size := 0
		for _, w := range ws.Writes()[i:min(i+256, ws.Len())] {
			size += len(appendWrite(nil, w))
		}
		part := h.Hash(rest[:size])
		digest, rest = append(digest, part[:]...), rest[size:]
	}
	if len(rest) != 0 {
		t.Fatalf("%d bytes of the encoding left", len(rest))
	}
	inner := h.Hash(digest)
	return h.Hash(parent[:], inner[:])
}

// rootTestWrites are n storage writes of addrA, every seventh a delete,
// sorted.
func rootTestWrites(t *testing.T, n int) *WriteSet {
	t.Helper()
	writes := make([]Write, n)
	for i := range writes {
		var slot common.Hash
		binary.BigEndian.PutUint64(slot[24:], uint64(i))
		writes[i] = Write{Key: StorageKey(addrA, slot), Value: []byte{byte(i), 1}}
		if i%7 == 3 {
			writes[i] = Write{Key: writes[i].Key, Delete: true}
		}
	}
	ws, err := SortedWriteSet(writes)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// FlatRoot is the root chains below compatibility version 0.5.0 commit
// to: the roots here are what the code of before 0.5.0 (bac9d42's
// WriteSet.Root) computed for these writes, so that a node of this code
// agrees with older ones on such chains.
func TestFlatRootUnchanged(t *testing.T) {
	ws := rootTestWrites(t, 300)
	parent := common.HexToHash("0xfeed")
	for _, c := range []struct {
		h    types.Hasher
		want string
	}{
		{crypto.ECDSA(), "0xa255a8a80bfba218b7486e53be55d9352e55bdb67fbaf8c8ef6beeffa354fee3"},
		{crypto.SM(), "0x2a318bd8220f0babd6de0788c001853f24c0e0d162b1f7ef956d761fc512958f"},
	} {
		if got := ws.FlatRoot(parent, c.h); got != common.HexToHash(c.want) {
			t.Errorf("FlatRoot %v, before 0.5.0 %s", got, c.want)
		}
		if ws.Root(parent, c.h) == ws.FlatRoot(parent, c.h) {
			t.Error("the root in parts equals the flat one")
		}
	}
}

// TestRootParts checks Root against its definition around the parts'
// size, and that ParallelRoot gives the same root on any number of
// goroutines.
func TestRootParts(t *testing.T) {
	parent := common.HexToHash("0xfeed")
	for _, n := range []int{0, 1, 255, 256, 257, 512, 1000} {
		ws := rootTestWrites(t, n)
		for _, h := range []types.Hasher{crypto.ECDSA(), crypto.SM()} {
			want := specRoot(t, ws, parent, h)
			if got := ws.Root(parent, h); got != want {
				t.Fatalf("%d writes: Root %v, by definition %v", n, got, want)
			}
			for g := 0; g <= 5; g++ {
				if got := ws.ParallelRoot(parent, h, g); got != want {
					t.Fatalf("%d writes, %d goroutines: ParallelRoot %v, Root %v", n, g, got, want)
				}
			}
		}
	}
}

func TestDecodeWriteSetRejects(t *testing.T) {
	good := run(t, storage.NewMemory(), randomOps(5, 10), 2).Encode()
	var cases = map[string][]byte{
		"empty":     {},
		"trailing":  append(bytes.Clone(good), 0),
		"truncated": good[:len(good)-1],
		"bad op":    {1, 2, 4, 's', '/', 'a', '/'},
		"foreign key": func() []byte {
			b := binary.AppendUvarint(nil, 1)
			b = append(b, 1)
			b = binary.AppendUvarint(b, 3)
			return append(b, "l/x"...)
		}(),
		"unsorted": func() []byte {
			b := binary.AppendUvarint(nil, 2)
			for _, k := range []string{"s/b", "s/a"} {
				b = append(b, 1)
				b = binary.AppendUvarint(b, uint64(len(k)))
				b = append(b, k...)
			}
			return b
		}(),
		"empty value": func() []byte {
			b := binary.AppendUvarint(nil, 1)
			b = append(b, 0)
			b = binary.AppendUvarint(b, 3)
			b = append(b, "s/a"...)
			return binary.AppendUvarint(b, 0)
		}(),
		"huge count": binary.AppendUvarint(nil, 1<<40),
	}
	for name, b := range cases {
		if _, err := DecodeWriteSet(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzDecodeWriteSet(f *testing.F) {
	seed, err := build(storage.NewMemory(), randomOps(6, 8), 2)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed.Encode())
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ws, err := DecodeWriteSet(b)
		if err != nil {
			return
		}
		if !bytes.Equal(ws.encode(), b) {
			t.Fatalf("accepted a non-canonical encoding")
		}
		parent := common.Hash{1}
		if ws.Root(parent, crypto.ECDSA()) != ws.ParallelRoot(parent, crypto.ECDSA(), 3) {
			t.Fatalf("ParallelRoot differs from Root for %d writes", ws.Len())
		}
	})
}

// SortedWriteSet gives what NetWriteSet gives for sorted distinct writes
// that all change the state, and refuses writes out of order.
func TestSortedWriteSet(t *testing.T) {
	ws := []Write{
		{Key: AccountKey(common.HexToAddress("0x01")), Value: []byte{1}},
		{Key: AccountKey(common.HexToAddress("0x02")), Delete: true},
		{Key: StorageKey(common.HexToAddress("0x01"), common.Hash{1}), Value: []byte{7}},
	}
	want, err := NetWriteSet(storage.NewMemory(), ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := SortedWriteSet(ws)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Encode(), want.Encode()) {
		t.Fatal("SortedWriteSet encodes differently from NetWriteSet")
	}
	if _, err := SortedWriteSet([]Write{ws[1], ws[0]}); err == nil {
		t.Fatal("writes out of order accepted")
	}
	if _, err := SortedWriteSet([]Write{ws[0], ws[0]}); err == nil {
		t.Fatal("a repeated key accepted")
	}
}

func TestUvarintLen(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, 1<<21 - 1, 1 << 21, 1<<63 - 1} {
		if got, want := uvarintLen(n), len(binary.AppendUvarint(nil, uint64(n))); got != want {
			t.Errorf("uvarintLen(%d) = %d, want %d", n, got, want)
		}
	}
	// The encoding is sized exactly.
	ws := newWriteSet([]Write{
		{Key: AccountKey(common.Address{1}), Value: bytes.Repeat([]byte{7}, 200)},
		{Key: StorageKey(common.Address{1}, common.Hash{2}), Delete: true},
		{Key: CodeKey(common.Hash{3}), Value: bytes.Repeat([]byte{8}, 20000)},
	})
	if enc := ws.Encode(); cap(enc) != len(enc) {
		t.Errorf("encoding of %d bytes in a buffer of %d", len(enc), cap(enc))
	}
}

// BenchmarkWriteSetRoot hashes the root of a write set of 3000 storage
// writes (about an ERC20 block's of 1000 transfers) with each suite's
// hash, on 1 and 2 goroutines.
func BenchmarkWriteSetRoot(b *testing.B) {
	writes := make([]Write, 3000)
	for i := range writes {
		slot := crypto.ECDSA().Hash(binary.BigEndian.AppendUint64(nil, uint64(i)))
		writes[i] = Write{Key: StorageKey(addrA, slot), Value: slot[:8]}
	}
	ws := newWriteSet(writes)
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		for _, g := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/goroutines-%d", suite.Name(), g), func(b *testing.B) {
				for b.Loop() {
					ws.ParallelRoot(common.Hash{}, suite, g)
				}
			})
		}
	}
}
