package state

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
)

// randomWriteSet makes puts and deletes over a small key space under the
// state prefix, so that layers overwrite and delete each other's keys and
// the base's.
func randomWriteSet(rng *rand.Rand, n int) *WriteSet {
	seen := map[string]bool{}
	var writes []Write
	for range n {
		k := randomStateKey(rng)
		if seen[string(k)] {
			continue
		}
		seen[string(k)] = true
		if rng.Intn(3) == 0 {
			writes = append(writes, Write{Key: k, Delete: true})
		} else {
			writes = append(writes, Write{Key: k, Value: []byte(fmt.Sprintf("v%d", rng.Intn(1000)))})
		}
	}
	return newWriteSet(writes)
}

func randomStateKey(rng *rand.Rand) []byte {
	addr := common.BytesToAddress([]byte{byte(rng.Intn(4))})
	if rng.Intn(2) == 0 {
		return AccountKey(addr)
	}
	return StorageKey(addr, common.BytesToHash([]byte{byte(rng.Intn(12))}))
}

// collect reads a whole iteration.
func collect(t *testing.T, it storage.Iterator) []string {
	t.Helper()
	defer it.Release()
	var out []string
	for it.Next() {
		out = append(out, string(it.Key())+"="+string(it.Value()))
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOverlayMatchesCommitted layers random write sets over a store and
// compares every read with the store the write sets were committed to.
func TestOverlayMatchesCommitted(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewSource(seed))
		base := storage.NewMemory()
		for range 30 {
			if err := base.Put(randomStateKey(rng), []byte(fmt.Sprintf("b%d", rng.Intn(1000)))); err != nil {
				t.Fatal(err)
			}
		}
		committed := storage.NewMemory()
		for _, k := range collect(t, base.NewIterator(nil, nil)) {
			kv := bytes.SplitN([]byte(k), []byte("="), 2)
			if err := committed.Put(kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		layers := make([]*WriteSet, 1+rng.Intn(4))
		for i := range layers {
			layers[i] = randomWriteSet(rng, 5+rng.Intn(20)).ForBlock(uint64(i + 1))
			if err := layers[i].ApplyTo(committed); err != nil {
				t.Fatal(err)
			}
		}
		ov := NewOverlay(base, layers...)
		for range 200 {
			k := randomStateKey(rng)
			want, werr := committed.Get(k)
			got, gerr := ov.Get(k)
			if !bytes.Equal(want, got) || errors.Is(werr, storage.ErrNotFound) != errors.Is(gerr, storage.ErrNotFound) {
				t.Fatalf("seed %d: Get(%x) = %q, %v; committed %q, %v", seed, k, got, gerr, want, werr)
			}
			wh, _ := committed.Has(k)
			gh, err := ov.Has(k)
			if err != nil || wh != gh {
				t.Fatalf("seed %d: Has(%x) = %v, %v; committed %v", seed, k, gh, err, wh)
			}
		}
		// Iterations over the state, an account's storage, and from a start.
		addr := common.BytesToAddress([]byte{byte(rng.Intn(4))})
		for _, r := range []struct{ prefix, start []byte }{
			{storagePrefix, nil},
			{StoragePrefix(addr), nil},
			{StoragePrefix(addr), common.BytesToHash([]byte{5}).Bytes()},
			{accountPrefix, nil},
		} {
			want := collect(t, committed.NewIterator(r.prefix, r.start))
			got := collect(t, ov.NewIterator(r.prefix, r.start))
			if fmt.Sprint(want) != fmt.Sprint(got) {
				t.Fatalf("seed %d: iterating %q from %x:\n got %q\nwant %q", seed, r.prefix, r.start, got, want)
			}
		}
	}
}

// TestOverlayExecutionMatches builds blocks of random state changes (with
// self-destructs, whose storage wipe iterates the reader) on an overlay of
// the previous blocks' write sets and, alike, on the store they were
// committed to: the write sets and roots are the same.
func TestOverlayExecutionMatches(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		committed := storage.NewMemory()
		base := storage.NewMemory()
		ws0 := run(t, committed, randomOps(seed, 30), 5).ForBlock(0)
		for _, kv := range []storage.KV{committed, base} {
			if err := ws0.ApplyTo(kv); err != nil {
				t.Fatal(err)
			}
		}
		var layers []*WriteSet
		root, ovRoot := common.Hash{}, common.Hash{}
		for b := uint64(1); b <= 5; b++ {
			ops := randomOps(seed*100+int64(b), 20+rng.Intn(30))
			for range 3 {
				a := []common.Address{addrA, addrB, addrC}[rng.Intn(3)]
				at := rng.Intn(len(ops) + 1)
				ops = append(ops[:at], append([]op{func(s *StateDB) { s.SelfDestruct(a) }}, ops[at:]...)...)
			}
			want := run(t, committed, ops, 4).ForBlock(b)
			got := run(t, NewOverlay(base, layers...), ops, 4).ForBlock(b)
			root, ovRoot = want.Root(root, crypto.ECDSA()), got.Root(ovRoot, crypto.ECDSA())
			if !bytes.Equal(want.Encode(), got.Encode()) || root != ovRoot {
				t.Fatalf("seed %d block %d: write set on the overlay differs from the one on the committed store", seed, b)
			}
			if err := want.ApplyTo(committed); err != nil {
				t.Fatal(err)
			}
			layers = append(layers, got)
		}
	}
}
