package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
)

// flatState copies the account, code and slot keys of r.
func flatState(t *testing.T, r storage.Reader) map[string]string {
	t.Helper()
	out := make(map[string]string)
	for _, p := range [][]byte{accountPrefix, codePrefix, storagePrefix} {
		it := r.NewIterator(p, nil)
		for it.Next() {
			out[string(it.Key())] = string(it.Value())
		}
		if err := it.Error(); err != nil {
			t.Fatal(err)
		}
		it.Release()
	}
	return out
}

// iterate collects what r's iterator gives for prefix and start, checking
// the keys ascend.
func iterate(t *testing.T, r storage.Reader, prefix, start []byte) map[string]string {
	t.Helper()
	out := make(map[string]string)
	it := r.NewIterator(prefix, start)
	defer it.Release()
	var last []byte
	for it.Next() {
		if last != nil && bytes.Compare(last, it.Key()) >= 0 {
			t.Fatalf("iterator keys not ascending: %x after %x", it.Key(), last)
		}
		last = bytes.Clone(it.Key())
		out[string(it.Key())] = string(it.Value())
	}
	if err := it.Error(); err != nil {
		t.Fatalf("iterating %q: %v", prefix, err)
	}
	return out
}

func subset(m map[string]string, prefix, start []byte) map[string]string {
	from := string(prefix) + string(start)
	out := make(map[string]string)
	for k, v := range m {
		if len(k) >= len(prefix) && k[:len(prefix)] == string(prefix) && k >= from {
			out[k] = v
		}
	}
	return out
}

func mustAt(t *testing.T, r storage.Reader, n uint64) *Reader {
	t.Helper()
	v, err := AtBlock(r, n)
	if err != nil {
		t.Fatalf("AtBlock(%d): %v", n, err)
	}
	return NewReader(v)
}

func TestHistoryOverwritesAndDeletions(t *testing.T) {
	kv := seeded(t) // block 0: A balance 100, nonce 1, code, slot1=val1; B balance 5

	s := New(kv) // block 1: overwrite slot1, add slot2, create C
	s.SetState(addrA, slot1, val2)
	s.SetState(addrA, slot2, val1)
	s.SetBalance(addrC, uint256.NewInt(7))
	commit(t, s, kv)

	s = New(kv) // block 2: clear slot1, lower A's balance, empty B (deleted, EIP-161)
	s.SetState(addrA, slot1, common.Hash{})
	s.SetBalance(addrA, uint256.NewInt(50))
	s.SubBalance(addrB, uint256.NewInt(5), 0)
	commit(t, s, kv)

	s = New(kv) // block 3: nothing about A or B
	s.AddBalance(addrC, uint256.NewInt(1), 0)
	commit(t, s, kv)

	s = New(kv) // block 4: slot1 set again, B back
	s.SetState(addrA, slot1, val1)
	s.SetBalance(addrB, uint256.NewInt(9))
	commit(t, s, kv)

	type want struct {
		balA, balB, balC uint64
		existsB          bool
		slot1, slot2     common.Hash
	}
	wants := []want{
		{100, 5, 0, true, val1, common.Hash{}},
		{100, 5, 7, true, val2, val1},
		{50, 0, 7, false, common.Hash{}, val1},
		{50, 0, 8, false, common.Hash{}, val1},
		{50, 9, 8, true, val1, val1},
	}
	for n, w := range wants {
		r := mustAt(t, kv, uint64(n))
		bal := func(a common.Address) uint64 {
			b, err := r.Balance(a)
			if err != nil {
				t.Fatal(err)
			}
			return b.Uint64()
		}
		if a, b, c := bal(addrA), bal(addrB), bal(addrC); a != w.balA || b != w.balB || c != w.balC {
			t.Errorf("block %d: balances %d %d %d, want %d %d %d", n, a, b, c, w.balA, w.balB, w.balC)
		}
		if acc, err := r.Account(addrB); err != nil || (acc != nil) != w.existsB {
			t.Errorf("block %d: B exists = %v (%v), want %v", n, acc != nil, err, w.existsB)
		}
		s1, _ := r.Storage(addrA, slot1)
		s2, _ := r.Storage(addrA, slot2)
		if s1 != w.slot1 || s2 != w.slot2 {
			t.Errorf("block %d: slots %v %v, want %v %v", n, s1, s2, w.slot1, w.slot2)
		}
		if nonce, _ := r.Nonce(addrA); nonce != 1 {
			t.Errorf("block %d: nonce of A %d", n, nonce)
		}
		if code, err := r.Code(addrA); err != nil || !bytes.Equal(code, []byte{0x60, 0x00}) {
			t.Errorf("block %d: code of A %x (%v)", n, code, err)
		}
	}
	// Block 3 did not write A: its state there is block 2's, and Has agrees.
	v3, _ := AtBlock(kv, 3)
	if ok, err := v3.Has(StorageKey(addrA, slot1)); ok || err != nil {
		t.Errorf("slot1 at block 3: Has = %v, %v", ok, err)
	}
	if ok, err := v3.Has(StorageKey(addrA, slot2)); !ok || err != nil {
		t.Errorf("slot2 at block 3: Has = %v, %v", ok, err)
	}
	// At the head the view is the flat state itself.
	if v, _ := AtBlock(kv, 4); v != storage.Reader(kv) {
		t.Errorf("AtBlock at the head should read the flat state directly")
	}
}

func TestHistoryCreatedThenSelfDestructed(t *testing.T) {
	kv := seeded(t) // block 0
	x := common.HexToAddress("0x5d")

	s := New(kv) // block 1: x created with code, balance and slots
	s.CreateContract(x)
	s.SetCode(x, []byte{0x60, 0x01}, 0)
	s.SetBalance(x, uint256.NewInt(3))
	s.SetState(x, slot1, val1)
	s.SetState(x, slot2, val2)
	commit(t, s, kv)

	s = New(kv) // block 2: x destroyed, with every slot
	s.SelfDestruct(x)
	destroyed := commit(t, s, kv)

	s = New(kv) // block 3: x back, with other storage
	s.SetBalance(x, uint256.NewInt(1))
	s.SetState(x, slot2, val1)
	commit(t, s, kv)

	for n, live := range []bool{false, true, false, true} {
		r := mustAt(t, kv, uint64(n))
		acc, err := r.Account(x)
		if err != nil || (acc != nil) != live {
			t.Fatalf("block %d: account exists = %v (%v), want %v", n, acc != nil, err, live)
		}
		v, _ := AtBlock(kv, uint64(n))
		slots := iterate(t, v, StoragePrefix(x), nil)
		want := map[int]map[string]string{
			1: {string(StorageKey(x, slot1)): string(encodeSlot(val1)), string(StorageKey(x, slot2)): string(encodeSlot(val2))},
			3: {string(StorageKey(x, slot2)): string(encodeSlot(val1))},
		}[n]
		if len(want) == 0 {
			want = map[string]string{}
		}
		if !maps.Equal(slots, want) {
			t.Errorf("block %d: slots of x %x, want %x", n, slots, want)
		}
	}
	if code, _ := mustAt(t, kv, 1).Code(x); !bytes.Equal(code, []byte{0x60, 0x01}) {
		t.Errorf("code of x at block 1: %x", code)
	}
	// Re-executing block 2 over block 1's past state gives the same write
	// set: the wipe finds x's slots through the history iterator.
	again := New(pastAt(t, kv, 1))
	again.SelfDestruct(x)
	ws, err := again.WriteSet()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ws.Encode(), destroyed.Encode()) {
		t.Fatalf("block 2 over the past state: %d writes, originally %d", ws.Len(), destroyed.Len())
	}
}

func pastAt(t *testing.T, r storage.Reader, n uint64) storage.Reader {
	t.Helper()
	v, err := AtBlock(r, n)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestHistoryMatchesSnapshots runs random blocks (balances, nonces, code,
// slots, self-destructs, accounts emptied) and checks every past view
// against a copy of the flat state taken after that block: point reads of
// every key ever written, and iteration over every prefix.
func TestHistoryMatchesSnapshots(t *testing.T) {
	for seed := int64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			addrs := []common.Address{addrA, addrB, addrC, common.HexToAddress("0xdd")}
			kv := storage.NewMemory()
			var snaps []map[string]string
			keys := make(map[string]bool)
			for block := 0; block < 12; block++ {
				s := New(kv)
				for i := rng.Intn(8); i > 0; i-- { // some blocks write nothing
					a := addrs[rng.Intn(len(addrs))]
					v := uint64(rng.Intn(3))
					slot := common.BigToHash(uint256.NewInt(uint64(rng.Intn(4))).ToBig())
					switch rng.Intn(6) {
					case 0:
						s.AddBalance(a, uint256.NewInt(v+1), 0)
					case 1:
						s.SubBalance(a, s.GetBalance(a), 0) // may empty the account
					case 2:
						s.SetNonce(a, s.GetNonce(a)+1, 0)
					case 3:
						s.SetCode(a, []byte{0x60, byte(v)}, 0)
						s.SetState(a, slot, common.BigToHash(uint256.NewInt(v).ToBig()))
					case 4:
						s.SetState(a, slot, common.BigToHash(uint256.NewInt(v).ToBig()))
					case 5:
						s.SelfDestruct(a)
					}
					if rng.Intn(2) == 0 {
						s.Finalise(rules)
					}
				}
				commit(t, s, kv)
				snap := flatState(t, kv)
				for k := range snap {
					keys[k] = true
				}
				snaps = append(snaps, snap)
			}
			for n, want := range snaps {
				v := pastAt(t, kv, uint64(n))
				for k := range keys {
					got, err := v.Get([]byte(k))
					wv, ok := want[k]
					isCode := bytes.HasPrefix([]byte(k), codePrefix)
					switch {
					case !ok && isCode:
						// Code stored after block n is visible (content
						// addressed); nothing at block n points to it.
					case !ok && !errors.Is(err, storage.ErrNotFound):
						t.Fatalf("block %d key %x: got %x, %v; want not found", n, k, got, err)
					case ok && (err != nil || string(got) != wv):
						t.Fatalf("block %d key %x: got %x, %v; want %x", n, k, got, err, wv)
					}
					if has, err := v.Has([]byte(k)); err != nil || (has != ok && !isCode) {
						t.Fatalf("block %d key %x: Has = %v, %v; want %v", n, k, has, err, ok)
					}
				}
				prefixes := [][]byte{accountPrefix, storagePrefix}
				for _, a := range addrs {
					prefixes = append(prefixes, StoragePrefix(a))
				}
				for _, p := range prefixes {
					got := iterate(t, v, p, nil)
					// Code added after block n is visible; compare account
					// and slot keys only, which is all p covers.
					if w := subset(want, p, nil); !maps.Equal(got, w) {
						t.Fatalf("block %d prefix %x: got %d keys, want %d", n, p, len(got), len(w))
					}
				}
				start := StorageKey(addrB, common.Hash{})[len(storagePrefix):]
				if got, w := iterate(t, v, storagePrefix, start), subset(want, storagePrefix, start); !maps.Equal(got, w) {
					t.Fatalf("block %d: iteration from a start key: got %d keys, want %d", n, len(got), len(w))
				}
			}
		})
	}
}

func TestAtBlockErrors(t *testing.T) {
	if _, err := AtBlock(storage.NewMemory(), 0); !errors.Is(err, ErrNoHistory) {
		t.Errorf("empty store: %v, want ErrNoHistory", err)
	}
	kv := seeded(t)
	if _, err := AtBlock(kv, 1); !errors.Is(err, ErrFutureBlock) {
		t.Errorf("block above the head: %v, want ErrFutureBlock", err)
	}

	s := New(kv)
	s.SetBalance(addrC, uint256.NewInt(1))
	ws, err := s.WriteSet()
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.ApplyTo(kv); !errors.Is(err, ErrUnnumbered) {
		t.Errorf("unnumbered write set applied: %v", err)
	}
	if err := ws.ForBlock(1).ApplyTo(kv); err != nil {
		t.Fatal(err)
	}
	v := pastAt(t, kv, 0)
	if _, err := v.Get([]byte("l/head")); !errors.Is(err, ErrNotStateKey) {
		t.Errorf("ledger key through a past view: %v", err)
	}
	if _, err := v.Get(appendHistoryKey(nil, AccountKey(addrA), 0)); !errors.Is(err, ErrNotStateKey) {
		t.Errorf("history key through a past view: %v", err)
	}
	it := v.NewIterator([]byte("s/"), nil)
	if it.Next() || !errors.Is(it.Error(), ErrNotStateKey) {
		t.Errorf("iterating the whole state space of a past view: %v", it.Error())
	}
	it.Release()

	// A store whose history does not reach back to genesis (written before
	// history was kept) answers only its head.
	late := storage.NewMemory()
	s = New(late)
	s.SetBalance(addrA, uint256.NewInt(1))
	ws, _ = s.WriteSet()
	if err := ws.ForBlock(5).ApplyTo(late); err != nil {
		t.Fatal(err)
	}
	if _, err := AtBlock(late, 5); err != nil {
		t.Errorf("head of a late store: %v", err)
	}
	if _, err := AtBlock(late, 4); !errors.Is(err, ErrNoHistory) {
		t.Errorf("before a late store's history: %v, want ErrNoHistory", err)
	}
	if from, head, ok, err := HistoryRange(late); from != 5 || head != 5 || !ok || err != nil {
		t.Errorf("HistoryRange = %d %d %v %v", from, head, ok, err)
	}
}

// TestHistoryIsNotConsensus checks the block number changes neither the
// encoding nor the root, and that two stores given the same blocks hold
// the same bytes, history included.
func TestHistoryIsNotConsensus(t *testing.T) {
	h := crypto.ECDSA()
	ws := run(t, storage.NewMemory(), randomOps(9, 30), 4)
	parent := common.HexToHash("0x77")
	for _, n := range []uint64{0, 1, 1 << 40} {
		l := ws.ForBlock(n)
		if l.Root(parent, h) != ws.Root(parent, h) || !bytes.Equal(l.Encode(), ws.Encode()) {
			t.Fatalf("block number %d changed the write set's root or encoding", n)
		}
		if got, ok := l.Block(); got != n || !ok {
			t.Fatalf("Block() = %d, %v", got, ok)
		}
	}
	if _, ok := ws.Block(); ok {
		t.Fatalf("ForBlock changed its receiver")
	}
	a, b := storage.NewMemory(), storage.NewMemory()
	for i := int64(0); i < 5; i++ {
		for _, kv := range []*storage.Memory{a, b} {
			s := New(kv)
			for _, o := range randomOps(20+i, 15) {
				o(s)
			}
			commit(t, s, kv)
		}
	}
	all := func(kv storage.Reader) map[string]string { return iterate(t, kv, nil, nil) }
	if !maps.Equal(all(a), all(b)) {
		t.Fatalf("same blocks gave different stored bytes")
	}
}

func TestDecodeWriteSetRejectsHistoryKeys(t *testing.T) {
	for _, k := range [][]byte{appendHistoryKey(nil, AccountKey(addrA), 1), metaHeadKey} {
		ws := newWriteSet([]Write{{Key: k, Value: []byte{1}}})
		if _, err := DecodeWriteSet(ws.Encode()); !errors.Is(err, ErrBadWriteSet) {
			t.Errorf("key %q decoded: %v", k, err)
		}
		if err := ws.ForBlock(1).ApplyTo(storage.NewMemory()); err == nil {
			t.Errorf("key %q applied", k)
		}
	}
}

// BenchmarkApplyTo measures applying a block of 1,000 slot writes and 100
// account writes into a batch, with the history entries, against the same
// puts without history.
func BenchmarkApplyTo(b *testing.B) {
	var writes []Write
	for i := range 100 {
		a := common.BigToAddress(uint256.NewInt(uint64(i + 1)).ToBig())
		writes = append(writes, Write{Key: AccountKey(a), Value: encodeAccount(&Account{Nonce: 1, Balance: *uint256.NewInt(5)})})
		for j := range 10 {
			writes = append(writes, Write{Key: StorageKey(a, common.BigToHash(uint256.NewInt(uint64(j)).ToBig())), Value: []byte{byte(j + 1)}})
		}
	}
	ws := newWriteSet(slices.Clone(writes)).ForBlock(12345)
	kv := storage.NewMemory()
	b.Run("with-history", func(b *testing.B) {
		batch := kv.NewBatch()
		for b.Loop() {
			batch.Reset()
			if err := ws.ApplyTo(batch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("flat-only", func(b *testing.B) {
		batch := kv.NewBatch()
		for b.Loop() {
			batch.Reset()
			for _, w := range ws.Writes() {
				if err := batch.Put(w.Key, w.Value); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// commitLatest is commit without history (WriteSet.ApplyLatest).
func commitLatest(t *testing.T, s *StateDB, kv storage.KV) {
	t.Helper()
	ws, err := s.WriteSet()
	if err != nil {
		t.Fatal(err)
	}
	_, head, _, err := HistoryRange(kv)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.ForBlock(head + 1).ApplyLatest(kv); err != nil {
		t.Fatalf("ApplyLatest: %v", err)
	}
}

// TestApplyLatestKeepsNoHistory: write sets applied without history give
// the same latest state and roots as with it, write no history entry, and
// past blocks are refused from then on, even those whose history was
// kept before (keys written since have no past entries).
func TestApplyLatestKeepsNoHistory(t *testing.T) {
	archive, latest := seeded(t), seeded(t) // block 0 with history in both
	if _, err := AtBlock(latest, 0); err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // blocks 1 to 3
		for _, kv := range []*storage.Memory{archive, latest} {
			s := New(kv)
			s.SetBalance(addrA, uint256.NewInt(uint64(200+i)))
			s.SetState(addrA, slot2, common.BigToHash(big.NewInt(int64(i+1))))
			if kv == archive {
				commit(t, s, kv)
			} else {
				commitLatest(t, s, kv)
			}
		}
	}
	if a, l := flatState(t, archive), flatState(t, latest); !maps.Equal(a, l) {
		t.Fatalf("latest states differ:\n%x\n%x", a, l)
	}
	// Only block 0's entries, written with history, may be in latest.
	hist := iterate(t, latest, historyPrefix, nil)
	for k := range hist {
		if !strings.HasSuffix(k, string(binary.BigEndian.AppendUint64(nil, ^uint64(0)))) {
			t.Errorf("history entry %x written without history", k)
		}
	}
	if all := iterate(t, archive, historyPrefix, nil); len(all) <= len(hist) {
		t.Errorf("the archive holds %d history entries, the other %d", len(all), len(hist))
	}
	mustAt(t, latest, 3) // the head answers
	for n := range uint64(3) {
		if _, err := AtBlock(latest, n); !errors.Is(err, ErrNoHistory) {
			t.Errorf("AtBlock(%d) without history = %v, want ErrNoHistory", n, err)
		}
		if _, err := AtBlock(archive, n); err != nil {
			t.Errorf("AtBlock(%d) with history: %v", n, err)
		}
	}
}
