package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gobcos/gobcos/storage"
)

// TestKV runs the conformance suite. open must return a new, empty store
// each time it is called; the suite closes every store it opens.
func TestKV(t *testing.T, open func(t *testing.T) storage.KV) {
	run := func(name string, f func(t *testing.T, kv storage.KV)) {
		t.Run(name, func(t *testing.T) {
			kv := open(t)
			defer func() {
				if err := kv.Close(); err != nil && !errors.Is(err, storage.ErrClosed) {
					t.Errorf("Close: %v", err)
				}
			}()
			f(t, kv)
		})
	}
	run("GetPutDeleteHas", testGetPutDeleteHas)
	run("EmptyValue", testEmptyValue)
	run("LargeValue", testLargeValue)
	run("ReturnedValuesAreCopies", testCopies)
	run("IterationOrder", testIterationOrder)
	run("IteratorBounds", testIteratorBounds)
	run("IteratorKeepsOldEntries", testIteratorKeepsOldEntries)
	run("Batch", testBatch)
	run("BatchReset", testBatchReset)
	run("BatchRelease", testBatchRelease)
	run("BatchAtomicUnderConcurrentReads", testBatchAtomic)
	run("Snapshot", testSnapshot)
	run("ConcurrentAccess", testConcurrent)
	run("Close", testClose)
}

func mustGet(t *testing.T, r storage.Reader, key string, want string) {
	t.Helper()
	got, err := r.Get([]byte(key))
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if string(got) != want {
		t.Fatalf("Get(%q) = %q, want %q", key, got, want)
	}
	ok, err := r.Has([]byte(key))
	if err != nil || !ok {
		t.Fatalf("Has(%q) = %v, %v; want true", key, ok, err)
	}
}

func mustMiss(t *testing.T, r storage.Reader, key string) {
	t.Helper()
	v, err := r.Get([]byte(key))
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want ErrNotFound", key, v, err)
	}
	ok, err := r.Has([]byte(key))
	if err != nil || ok {
		t.Fatalf("Has(%q) = %v, %v; want false", key, ok, err)
	}
}

func mustPut(t *testing.T, w storage.Writer, key, value string) {
	t.Helper()
	if err := w.Put([]byte(key), []byte(value)); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

// collect iterates and returns "key=value" strings in iteration order.
func collect(t *testing.T, r storage.Reader, prefix, start string) []string {
	t.Helper()
	it := r.NewIterator([]byte(prefix), []byte(start))
	defer it.Release()
	var out []string
	for it.Next() {
		out = append(out, string(it.Key())+"="+string(it.Value()))
	}
	if err := it.Error(); err != nil {
		t.Fatalf("iterator(%q, %q): %v", prefix, start, err)
	}
	return out
}

func testGetPutDeleteHas(t *testing.T, kv storage.KV) {
	mustMiss(t, kv, "a")
	mustPut(t, kv, "a", "1")
	mustGet(t, kv, "a", "1")
	mustPut(t, kv, "a", "2")
	mustGet(t, kv, "a", "2")
	mustMiss(t, kv, "ab")
	mustMiss(t, kv, "")
	if err := kv.Delete([]byte("a")); err != nil {
		t.Fatal(err)
	}
	mustMiss(t, kv, "a")
	if err := kv.Delete([]byte("never-written")); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	// Binary keys with zero and 0xff bytes.
	k := []byte{0, 0xff, 0, 1}
	if err := kv.Put(k, []byte{0xff}); err != nil {
		t.Fatal(err)
	}
	if v, err := kv.Get(k); err != nil || !bytes.Equal(v, []byte{0xff}) {
		t.Fatalf("binary key: %x, %v", v, err)
	}
	mustMiss(t, kv, string(k[:3]))
}

func testEmptyValue(t *testing.T, kv storage.KV) {
	if err := kv.Put([]byte("empty"), []byte{}); err != nil {
		t.Fatal(err)
	}
	if err := kv.Put([]byte("nil"), nil); err != nil {
		t.Fatal(err)
	}
	b := kv.NewBatch()
	if err := b.Put([]byte("batch-empty"), nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"empty", "nil", "batch-empty"} {
		v, err := kv.Get([]byte(k))
		if err != nil || len(v) != 0 {
			t.Fatalf("Get(%q) = %q, %v; want an empty value", k, v, err)
		}
		if ok, err := kv.Has([]byte(k)); err != nil || !ok {
			t.Fatalf("Has(%q) = %v, %v; an empty value is still a key", k, ok, err)
		}
	}
	if got := collect(t, kv, "", ""); !slices.Equal(got, []string{"batch-empty=", "empty=", "nil="}) {
		t.Fatalf("iteration over empty values: %q", got)
	}
}

func testLargeValue(t *testing.T, kv storage.KV) {
	rng := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 8<<20)
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	if err := kv.Put([]byte("big"), big); err != nil {
		t.Fatal(err)
	}
	b := kv.NewBatch()
	if err := b.Put([]byte("big2"), big[:3<<20]); err != nil {
		t.Fatal(err)
	}
	if b.Size() != len("big2")+3<<20 {
		t.Fatalf("batch Size = %d, want %d", b.Size(), len("big2")+3<<20)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if v, err := kv.Get([]byte("big")); err != nil || !bytes.Equal(v, big) {
		t.Fatalf("large value differs (len %d, err %v)", len(v), err)
	}
	if v, err := kv.Get([]byte("big2")); err != nil || !bytes.Equal(v, big[:3<<20]) {
		t.Fatalf("large batch value differs (len %d, err %v)", len(v), err)
	}
	it := kv.NewIterator([]byte("big2"), nil)
	defer it.Release()
	if !it.Next() || !bytes.Equal(it.Value(), big[:3<<20]) {
		t.Fatalf("iterating a large value: %v", it.Error())
	}
}

func testCopies(t *testing.T, kv storage.KV) {
	key, val := []byte("k"), []byte("value")
	if err := kv.Put(key, val); err != nil {
		t.Fatal(err)
	}
	key[0], val[0] = 'x', 'X' // the store must have copied its arguments
	mustGet(t, kv, "k", "value")
	mustMiss(t, kv, "x")

	got, _ := kv.Get([]byte("k"))
	got[0] = 'Z'
	mustGet(t, kv, "k", "value")

	b := kv.NewBatch()
	bk, bv := []byte("b"), []byte("batched")
	if err := b.Put(bk, bv); err != nil {
		t.Fatal(err)
	}
	bk[0], bv[0] = 'y', 'Y'
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	mustGet(t, kv, "b", "batched")
	mustMiss(t, kv, "y")

	it := kv.NewIterator(nil, nil)
	for it.Next() {
		if v := it.Value(); len(v) > 0 {
			v[0] = 'Q'
		}
	}
	it.Release()
	mustGet(t, kv, "k", "value")
	mustGet(t, kv, "b", "batched")

	snap, err := kv.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	sv, _ := snap.Get([]byte("k"))
	sv[0] = 'S'
	mustGet(t, snap, "k", "value")
	mustGet(t, kv, "k", "value")
}

func testIterationOrder(t *testing.T, kv storage.KV) {
	rng := rand.New(rand.NewPCG(3, 4))
	var keys []string
	for i := range 300 {
		k := fmt.Sprintf("%x", rng.Uint64())
		if i%7 == 0 {
			k = string([]byte{byte(i), 0xff, byte(rng.Uint32())})
		}
		keys = append(keys, k)
	}
	b := kv.NewBatch()
	for _, k := range keys {
		mustPut(t, b, k, "v"+k)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var want []string
	for _, k := range keys {
		want = append(want, k+"=v"+k)
	}
	if got := collect(t, kv, "", ""); !slices.Equal(got, want) {
		t.Fatalf("iteration is not in ascending byte order:\n got %q\nwant %q", got, want)
	}
	if got := collect(t, kv, "no such prefix", ""); len(got) != 0 {
		t.Fatalf("iteration of an absent prefix: %q", got)
	}
}

func testIteratorBounds(t *testing.T, kv storage.KV) {
	raw := [][]byte{
		[]byte("a"), []byte("a/"), []byte("a/1"), []byte("a/2"), []byte("a/3"), []byte("a0"), []byte("b/1"),
		{'p', 0xff}, {'p', 0xff, 0}, {'p', 0xff, 0xff}, {'q'},
		{0xff, 0xff}, {0xff, 0xff, 1},
	}
	for _, k := range raw {
		if err := kv.Put(k, []byte{'v'}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		prefix, start string
		want          []string
	}{
		{"a/", "", []string{"a/", "a/1", "a/2", "a/3"}},
		{"a/", "2", []string{"a/2", "a/3"}},
		{"a/", "25", []string{"a/3"}},
		{"a/", "4", nil},
		{"a", "", []string{"a", "a/", "a/1", "a/2", "a/3", "a0"}},
		{"", "a0", []string{"a0", "b/1", "p\xff", "p\xff\x00", "p\xff\xff", "q", "\xff\xff", "\xff\xff\x01"}},
		{"p\xff", "", []string{"p\xff", "p\xff\x00", "p\xff\xff"}},
		{"p\xff", "\x01", []string{"p\xff\xff"}},
		{"\xff\xff", "", []string{"\xff\xff", "\xff\xff\x01"}},
		{"b/", "", []string{"b/1"}},
		{"c", "", nil},
	}
	for _, c := range cases {
		it := kv.NewIterator([]byte(c.prefix), []byte(c.start))
		var got []string
		for it.Next() {
			got = append(got, string(it.Key()))
		}
		if err := it.Error(); err != nil {
			t.Fatal(err)
		}
		it.Release()
		if !slices.Equal(got, c.want) {
			t.Errorf("NewIterator(%q, %q) = %q, want %q", c.prefix, c.start, got, c.want)
		}
	}
	// Next after exhaustion stays false; Release twice is harmless.
	it := kv.NewIterator([]byte("b/"), nil)
	for it.Next() {
	}
	if it.Next() {
		t.Fatal("Next returned true after the iterator was exhausted")
	}
	it.Release()
	it.Release()
}

func testIteratorKeepsOldEntries(t *testing.T, kv storage.KV) {
	for i := range 10 {
		mustPut(t, kv, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i))
	}
	it := kv.NewIterator([]byte("k"), nil)
	defer it.Release()
	var kept [][2][]byte
	for it.Next() {
		kept = append(kept, [2][]byte{bytes.Clone(it.Key()), bytes.Clone(it.Value())})
	}
	if len(kept) != 10 {
		t.Fatalf("iterated %d entries, want 10", len(kept))
	}
	for i, kv := range kept {
		if string(kv[0]) != fmt.Sprintf("k%d", i) || string(kv[1]) != fmt.Sprintf("v%d", i) {
			t.Fatalf("entry %d = %q=%q", i, kv[0], kv[1])
		}
	}
}

func testBatch(t *testing.T, kv storage.KV) {
	mustPut(t, kv, "gone", "x")
	mustPut(t, kv, "kept", "old")
	b := kv.NewBatch()
	if b.Len() != 0 || b.Size() != 0 {
		t.Fatalf("new batch Len %d Size %d", b.Len(), b.Size())
	}
	mustPut(t, b, "k1", "v1")
	mustPut(t, b, "k2", "v2")
	mustPut(t, b, "kept", "new")
	mustPut(t, b, "twice", "first")
	mustPut(t, b, "twice", "second")
	mustPut(t, b, "put-then-delete", "x")
	if err := b.Delete([]byte("put-then-delete")); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete([]byte("gone")); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 8 {
		t.Fatalf("batch Len = %d, want 8", b.Len())
	}
	if b.Size() == 0 {
		t.Fatal("batch Size is 0 after writes")
	}
	// Nothing is visible before Commit.
	mustMiss(t, kv, "k1")
	mustGet(t, kv, "kept", "old")
	mustGet(t, kv, "gone", "x")
	if got := collect(t, kv, "", ""); !slices.Equal(got, []string{"gone=x", "kept=old"}) {
		t.Fatalf("uncommitted batch visible to iteration: %q", got)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	mustGet(t, kv, "k1", "v1")
	mustGet(t, kv, "k2", "v2")
	mustGet(t, kv, "kept", "new")
	mustGet(t, kv, "twice", "second")
	mustMiss(t, kv, "put-then-delete")
	mustMiss(t, kv, "gone")

	// Committing an empty batch is a no-op.
	if err := kv.NewBatch().Commit(); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
	// A second Commit without Reset must not panic, and must not change
	// what the first one wrote.
	mustPut(t, kv, "k1", "changed")
	_ = b.Commit()
	mustGet(t, kv, "twice", "second")

	// Abandoned batches leave no trace.
	b2 := kv.NewBatch()
	mustPut(t, b2, "abandoned", "x")
	mustMiss(t, kv, "abandoned")
}

func testBatchReset(t *testing.T, kv storage.KV) {
	b := kv.NewBatch()
	mustPut(t, b, "dropped", "x")
	b.Reset()
	if b.Len() != 0 || b.Size() != 0 {
		t.Fatalf("after Reset: Len %d Size %d", b.Len(), b.Size())
	}
	mustPut(t, b, "a", "1")
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); !errors.Is(err, storage.ErrBatchCommitted) {
		t.Fatalf("committing a committed batch again: %v, want ErrBatchCommitted", err)
	}
	b.Reset()
	mustPut(t, b, "b", "2")
	if err := b.Commit(); err != nil {
		t.Fatalf("reusing a batch after Reset: %v", err)
	}
	mustMiss(t, kv, "dropped")
	mustGet(t, kv, "a", "1")
	mustGet(t, kv, "b", "2")
}

// testBatchRelease releases batches, committed and never committed, and
// checks that what they committed stays and that later
// batches (which may reuse their memory) write only what they are given.
func testBatchRelease(t *testing.T, kv storage.KV) {
	big := strings.Repeat("v", 64<<10)
	for i := range 20 {
		b := kv.NewBatch()
		mustPut(t, b, fmt.Sprintf("r/%02d", i), big)
		if i%3 == 0 {
			b.Release() // never committed
			continue
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		b.Release()
	}
	b := kv.NewBatch()
	mustPut(t, b, "r/last", "x")
	if b.Len() != 1 || b.Size() != len("r/last")+1 {
		t.Fatalf("a new batch after releases: Len %d Size %d, want 1 and %d", b.Len(), b.Size(), len("r/last")+1)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	b.Release()
	for i := range 20 {
		k := fmt.Sprintf("r/%02d", i)
		if i%3 == 0 {
			mustMiss(t, kv, k)
		} else {
			mustGet(t, kv, k, big)
		}
	}
	mustGet(t, kv, "r/last", "x")
	if got := collect(t, kv, "r/", ""); len(got) != 14 {
		t.Fatalf("%d keys under r/, want 14 (13 committed and r/last): %q", len(got), got)
	}
}

// testBatchAtomic commits batches that write the same value to several
// keys while readers check every snapshot sees them all equal.
func testBatchAtomic(t *testing.T, kv storage.KV) {
	keys := []string{"x/a", "x/b", "x/c"}
	const rounds = 40
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				snap, err := kv.NewSnapshot()
				if err != nil {
					errs <- err
					return
				}
				var vals []string
				for _, k := range keys {
					v, err := snap.Get([]byte(k))
					if errors.Is(err, storage.ErrNotFound) {
						v = []byte("missing")
					} else if err != nil {
						snap.Release()
						errs <- err
						return
					}
					vals = append(vals, string(v))
				}
				it := snap.NewIterator([]byte("x/"), nil)
				n := 0
				for it.Next() {
					if string(it.Value()) != vals[0] {
						errs <- fmt.Errorf("iterator saw %q=%q next to %q", it.Key(), it.Value(), vals[0])
					}
					n++
				}
				it.Release()
				snap.Release()
				if vals[0] != vals[1] || vals[1] != vals[2] || (n != 0 && n != len(keys)) {
					errs <- fmt.Errorf("torn batch: values %q, %d keys iterated", vals, n)
					return
				}
			}
		}()
	}
	b := kv.NewBatch()
	for i := range rounds {
		b.Reset()
		for _, k := range keys {
			mustPut(t, b, k, fmt.Sprint(i))
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testSnapshot(t *testing.T, kv storage.KV) {
	mustPut(t, kv, "s/a", "1")
	mustPut(t, kv, "s/b", "2")
	mustPut(t, kv, "s/c", "3")
	snap, err := kv.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	// An iterator opened before the later writes, too.
	early := snap.NewIterator([]byte("s/"), nil)

	mustPut(t, kv, "s/a", "changed")
	if err := kv.Delete([]byte("s/b")); err != nil {
		t.Fatal(err)
	}
	b := kv.NewBatch()
	mustPut(t, b, "s/d", "4")
	mustPut(t, b, "s/c", "changed")
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}

	mustGet(t, snap, "s/a", "1")
	mustGet(t, snap, "s/b", "2")
	mustGet(t, snap, "s/c", "3")
	mustMiss(t, snap, "s/d")
	want := []string{"s/a=1", "s/b=2", "s/c=3"}
	if got := collect(t, snap, "s/", ""); !slices.Equal(got, want) {
		t.Fatalf("snapshot iteration = %q, want %q", got, want)
	}
	if got := collect(t, snap, "s/", "b"); !slices.Equal(got, want[1:]) {
		t.Fatalf("snapshot iteration from b = %q, want %q", got, want[1:])
	}
	var got []string
	for early.Next() {
		got = append(got, string(early.Key())+"="+string(early.Value()))
	}
	early.Release()
	if !slices.Equal(got, want) {
		t.Fatalf("snapshot iterator opened before the writes = %q, want %q", got, want)
	}
	// The live store sees the new state.
	if got := collect(t, kv, "s/", ""); !slices.Equal(got, []string{"s/a=changed", "s/c=changed", "s/d=4"}) {
		t.Fatalf("live iteration = %q", got)
	}
	// An iterator on the live store is not affected by writes after it was opened.
	live := kv.NewIterator([]byte("s/"), nil)
	mustPut(t, kv, "s/e", "5")
	got = got[:0]
	for live.Next() {
		got = append(got, string(live.Key()))
	}
	live.Release()
	if !slices.Equal(got, []string{"s/a", "s/c", "s/d"}) {
		t.Fatalf("live iterator saw a later write: %q", got)
	}
	snap.Release()
	snap.Release() // harmless
	mustGet(t, kv, "s/e", "5")
}

func testConcurrent(t *testing.T, kv storage.KV) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				k := []byte(fmt.Sprintf("c/%d/%03d", w, i))
				if err := kv.Put(k, k); err != nil {
					errs <- err
					return
				}
				if v, err := kv.Get(k); err != nil || !bytes.Equal(v, k) {
					errs <- fmt.Errorf("read back %q: %q, %v", k, v, err)
					return
				}
				if i%10 == 0 {
					it := kv.NewIterator([]byte(fmt.Sprintf("c/%d/", w)), nil)
					n := 0
					for it.Next() {
						n++
					}
					it.Release()
					if n != i+1 {
						errs <- fmt.Errorf("writer %d iterated %d own keys, want %d", w, n, i+1)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(collect(t, kv, "c/", "")); n != 200 {
		t.Fatalf("%d keys after concurrent writes, want 200", n)
	}
}

func testClose(t *testing.T, kv storage.KV) {
	mustPut(t, kv, "a", "1")
	mustPut(t, kv, "b", "2")
	snap, err := kv.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	it := kv.NewIterator(nil, nil)
	if !it.Next() {
		t.Fatal("iterator is empty")
	}
	batch := kv.NewBatch()
	mustPut(t, batch, "c", "3")
	if err := kv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	if _, err := kv.Get([]byte("a")); err == nil {
		t.Error("Get after Close succeeded")
	}
	if _, err := kv.Has([]byte("a")); err == nil {
		t.Error("Has after Close succeeded")
	}
	if err := kv.Put([]byte("x"), []byte("y")); err == nil {
		t.Error("Put after Close succeeded")
	}
	if err := kv.Delete([]byte("a")); err == nil {
		t.Error("Delete after Close succeeded")
	}
	if err := batch.Commit(); err == nil {
		t.Error("Commit of a batch after Close succeeded")
	}
	b2 := kv.NewBatch()
	_ = b2.Put([]byte("x"), []byte("y"))
	if err := b2.Commit(); err == nil {
		t.Error("Commit of a batch made after Close succeeded")
	}
	if _, err := kv.NewSnapshot(); err == nil {
		t.Error("NewSnapshot after Close succeeded")
	}
	it2 := kv.NewIterator(nil, nil)
	if it2.Next() || it2.Error() == nil {
		t.Error("iterator opened after Close yields entries or no error")
	}
	it2.Release()

	// Whatever was open before Close must not crash the process: it may
	// keep serving its view or report an error.
	for it.Next() {
	}
	_ = it.Error()
	it.Release()
	_, _ = snap.Get([]byte("a"))
	_, _ = snap.Has([]byte("a"))
	sit := snap.NewIterator(nil, nil)
	for sit.Next() {
	}
	sit.Release()
	snap.Release()
}
