package state

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/storage"
)

// applyTo returns the commit of ws to kv, as the ledger's batch does it.
func applyTo(kv storage.KV, ws *WriteSet) func() error {
	return func() error {
		b := kv.NewBatch()
		if err := ws.ApplyTo(b); err != nil {
			return err
		}
		return b.Commit()
	}
}

// hookReader runs hook once, after its first read of key.
type hookReader struct {
	storage.Reader
	key  []byte
	hook func()
}

func (h *hookReader) Get(key []byte) ([]byte, error) {
	v, err := h.Reader.Get(key)
	if h.hook != nil && bytes.Equal(key, h.key) {
		hook := h.hook
		h.hook = nil
		hook()
	}
	return v, err
}

// A read that misses the cache and reads the store just before a commit
// changes the key must not leave the value it read in the cache: later
// readers of the new state would get the old value.
func TestCacheReadRacingCommit(t *testing.T) {
	for _, cached := range []bool{false, true} { // key cached before, or not
		t.Run(fmt.Sprintf("cached=%v", cached), func(t *testing.T) {
			kv := storage.NewMemory()
			c := NewCache(1000, 1<<20)
			key := AccountKey(common.Address{1})
			other := AccountKey(common.Address{2})
			if err := c.Commit(nil, applyTo(kv, newWriteSet([]Write{{Key: key, Value: []byte("old")}, {Key: other, Value: []byte("x")}}).ForBlock(0))); err != nil {
				t.Fatal(err)
			}
			if cached {
				if v, err := c.Reader(kv).Get(key); err != nil || string(v) != "old" {
					t.Fatalf("first read %q %v", v, err)
				}
			}
			for i, val := range []string{"new", ""} { // a put, then a delete
				prev := "old"
				if i > 0 {
					prev = "new"
				}
				w := Write{Key: key, Value: []byte(val)}
				if val == "" {
					w = Write{Key: key, Delete: true}
				}
				ws := newWriteSet([]Write{w}).ForBlock(uint64(i + 1))
				hr := &hookReader{Reader: kv, key: key, hook: func() {
					if err := c.Commit(ws, applyTo(kv, ws)); err != nil {
						t.Fatal(err)
					}
				}}
				r := c.Reader(hr)
				// Evict the key, so that the racing read misses.
				c.mu.Lock()
				h := c.hash(key)
				c.cur.del(key, h)
				if c.old != nil {
					c.old.del(key, h)
				}
				c.mu.Unlock()
				if v, err := r.Get(key); err != nil || string(v) != prev {
					t.Fatalf("racing read %q %v, want %q", v, err, prev)
				}
				v, err := c.Reader(kv).Get(key)
				switch {
				case val == "" && !errors.Is(err, storage.ErrNotFound):
					t.Fatalf("after deleting commit: %q %v, want not found", v, err)
				case val != "" && (err != nil || string(v) != val):
					t.Fatalf("after the commit: %q %v, want %q", v, err, val)
				}
				if err := c.Check(kv); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// A reader of a snapshot taken before a commit reads the snapshot's values
// of the keys the commit changes, cached or not, while readers of the new
// state get the new ones from the cache.
func TestCacheSnapshotAcrossCommit(t *testing.T) {
	kv := storage.NewMemory()
	c := NewCache(1000, 1<<20)
	a, b := AccountKey(common.Address{1}), StorageKey(common.Address{1}, common.Hash{2})
	ws0 := newWriteSet([]Write{{Key: a, Value: []byte("a0")}, {Key: b, Value: []byte("b0")}}).ForBlock(0)
	if err := c.Commit(ws0, applyTo(kv, ws0)); err != nil {
		t.Fatal(err)
	}
	latest := c.Reader(kv)
	latest.Get(a)
	latest.Get(b)
	snap, err := kv.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	old := c.Reader(snap)
	ws1 := newWriteSet([]Write{{Key: a, Value: []byte("a1")}, {Key: b, Delete: true}}).ForBlock(1)
	if err := c.Commit(ws1, applyTo(kv, ws1)); err != nil {
		t.Fatal(err)
	}
	if v, err := old.Get(a); err != nil || string(v) != "a0" {
		t.Fatalf("snapshot reader: %q %v, want a0", v, err)
	}
	if ok, err := old.Has(b); err != nil || !ok {
		t.Fatalf("snapshot reader: has %v %v, want true", ok, err)
	}
	st := c.Stats()
	r := c.Reader(kv)
	if v, err := r.Get(a); err != nil || string(v) != "a1" {
		t.Fatalf("latest reader: %q %v, want a1", v, err)
	}
	if _, err := r.Get(b); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("latest reader: %v, want not found", err)
	}
	if got := c.Stats(); got.Hits != st.Hits+2 {
		t.Fatalf("latest reads after the commit: %d hits, want 2 (updated by the commit)", got.Hits-st.Hits)
	}
}

// TestCacheDifferential commits random write sets while readers read the
// latest state under the lock the commits take, without a lock, and over
// snapshots with overlays of the blocks not yet committed, each comparing
// every value with the state it must see.
func TestCacheDifferential(t *testing.T) {
	for _, size := range []int{8, 1 << 12} {
		for _, filter := range []bool{false, true} {
			t.Run(fmt.Sprintf("entries=%d/filter=%v", size, filter), func(t *testing.T) {
				testCacheDifferential(t, NewCache(size, 1<<20), filter)
			})
		}
	}
	// Generations retired by their bytes, and values too large to keep.
	t.Run("bytes=240", func(t *testing.T) { testCacheDifferential(t, NewCache(1<<12, 240), false) })
	// Every key with the same index hash: each put evicts the last.
	t.Run("collisions", func(t *testing.T) {
		c := NewCache(1<<12, 1<<20)
		c.hash = func([]byte) uint64 { return 7 }
		c.resetLocked()
		testCacheDifferential(t, c, true)
	})
}

type cacheBlock struct {
	ws    *WriteSet
	state map[string][]byte // the state after the block
}

// testCacheDifferential with filter also loads the filter of existing
// keys and never hides a commit's writes from the cache (which would turn
// the filter off); the readers then also read keys never written.
func testCacheDifferential(t *testing.T, c *Cache, filter bool) {
	const nkeys, nnever, blocks, depth = 40, 20, 300, 3
	rng := rand.New(rand.NewPCG(1, uint64(c.maxEntries)))
	keys := make([][]byte, nkeys+nnever) // the last nnever are never written
	for i := range keys {
		a := common.Address{byte(i % 7)}
		switch i % 3 {
		case 0:
			keys[i] = AccountKey(common.Address{byte(i)})
		case 1:
			keys[i] = StorageKey(a, common.Hash{byte(i)})
		default:
			keys[i] = CodeKey(common.Hash{byte(i)})
		}
	}
	randomBlock := func(prev map[string][]byte, n uint64) cacheBlock {
		next := make(map[string][]byte, len(prev))
		for k, v := range prev {
			next[k] = v
		}
		var ws []Write
		for _, k := range keys[:nkeys] {
			if rng.IntN(3) != 0 {
				continue
			}
			if _, ok := prev[string(k)]; ok && rng.IntN(3) == 0 {
				ws = append(ws, Write{Key: k, Delete: true})
				delete(next, string(k))
				continue
			}
			v := make([]byte, 1+rng.IntN(40))
			for i := range v {
				v[i] = byte(rng.Uint32())
			}
			ws = append(ws, Write{Key: k, Value: v})
			next[string(k)] = v
		}
		return cacheBlock{ws: newWriteSet(ws).ForBlock(n), state: next}
	}

	kv := storage.NewMemory()
	var (
		stateMu sync.RWMutex // orders commits against locked reads, as the node's does
		head    atomic.Int64 // committed height, set after the commit
		mu      sync.Mutex   // guards states and pending
		states  []map[string][]byte
		pending []cacheBlock // the blocks after head prepared so far
	)
	g := randomBlock(map[string][]byte{}, 0)
	if err := c.Commit(g.ws, applyTo(kv, g.ws)); err != nil {
		t.Fatal(err)
	}
	states = append(states, g.state)
	if filter {
		loaded := make(chan error, 1)
		c.StartLoading(kv, func(_ int, err error) { loaded <- err })
		if err := <-loaded; err != nil || !c.FilterReady() {
			t.Fatalf("filter not loaded: %v", err)
		}
		defer c.Close()
	}
	stateAt := func(h int64) map[string][]byte {
		mu.Lock()
		defer mu.Unlock()
		return states[h]
	}
	check := func(what string, got []byte, err error, want map[string][]byte, k []byte) error {
		w, ok := want[string(k)]
		switch {
		case err != nil && !errors.Is(err, storage.ErrNotFound):
			return fmt.Errorf("%s %x: %w", what, k, err)
		case err != nil && ok, err == nil && (!ok || !bytes.Equal(got, w)):
			return fmt.Errorf("%s %x: got %x (%v), want %x (present %v)", what, k, got, err, w, ok)
		}
		return nil
	}

	done := make(chan struct{})
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	reader := func(seed uint64, read func(rng *rand.Rand) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 7))
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := read(rng); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// Latest state under the read lock: exact.
	reader(1, func(rng *rand.Rand) error {
		stateMu.RLock()
		defer stateMu.RUnlock()
		want := stateAt(head.Load())
		r := c.Reader(kv)
		for range 10 {
			k := keys[rng.IntN(len(keys))]
			if rng.IntN(4) == 0 {
				ok, err := r.Has(k)
				if _, w := want[string(k)]; err != nil || ok != w {
					return fmt.Errorf("locked Has %x: %v %v, want %v", k, ok, err, w)
				}
				continue
			}
			v, err := r.Get(k)
			if err := check("locked read", v, err, want, k); err != nil {
				return err
			}
		}
		return nil
	})
	// Latest state without a lock: a state between the head before and the
	// block being committed after, never older than one seen before.
	seen := make([]int64, nkeys)
	reader(2, func(rng *rand.Rand) error {
		i := rng.IntN(nkeys)
		k := keys[i]
		lo := head.Load()
		v, err := c.Reader(kv).Get(k)
		hi := head.Load() + 1
		mu.Lock()
		hi = min(hi, int64(len(states)-1))
		mu.Unlock()
		for h := max(lo, seen[i]); h <= hi; h++ {
			if check("", v, err, stateAt(h), k) == nil {
				seen[i] = h
				return nil
			}
		}
		return fmt.Errorf("unlocked read %x: %x %v matches no state from %d (or %d seen before) to %d", k, v, err, lo, seen[i], hi)
	})
	// Snapshots with the blocks not yet committed over them, read while
	// commits go on.
	for s := range 2 {
		reader(uint64(3+s), func(rng *rand.Rand) error {
			stateMu.RLock()
			h := head.Load()
			snap, err := kv.NewSnapshot()
			if err != nil {
				stateMu.RUnlock()
				return err
			}
			base := c.Reader(snap)
			mu.Lock()
			var layers []*WriteSet
			tops := []map[string][]byte{states[h]} // the state after each layer
			for _, p := range pending {
				if n, _ := p.ws.Block(); int64(n) > h {
					layers = append(layers, p.ws)
					tops = append(tops, p.state)
				}
			}
			mu.Unlock()
			stateMu.RUnlock()
			on := rng.IntN(len(layers) + 1)
			ov := NewOverlay(base, layers[:on]...)
			for range 20 {
				k := keys[rng.IntN(len(keys))]
				v, err := base.Get(k)
				if err := check(fmt.Sprintf("snapshot %d read", h), v, err, tops[0], k); err != nil {
					return err
				}
				v, err = ov.Get(k)
				if err := check(fmt.Sprintf("overlay %d+%d read", h, on), v, err, tops[on], k); err != nil {
					return err
				}
			}
			return nil
		})
	}

	// The committer: blocks prepared up to depth ahead, committed in order;
	// now and then a commit fails, or its writes are not given to the cache.
	for n := 1; n <= blocks; n++ {
		mu.Lock()
		for len(pending) < depth {
			prev := states[len(states)-1]
			if len(pending) > 0 {
				prev = pending[len(pending)-1].state
			}
			b := randomBlock(prev, uint64(len(states)+len(pending)))
			pending = append(pending, b)
		}
		b := pending[0]
		mu.Unlock()
		// states[n] must be readable before the block reaches the store.
		mu.Lock()
		states = append(states, b.state)
		mu.Unlock()
		stateMu.Lock()
		if rng.IntN(10) == 0 {
			if err := c.Commit(b.ws, func() error { return errors.New("failed") }); err == nil {
				t.Fatal("failed commit: no error")
			}
		}
		ws := b.ws
		if !filter && rng.IntN(20) == 0 {
			ws = nil
		}
		if err := c.Commit(ws, applyTo(kv, b.ws)); err != nil {
			t.Fatal(err)
		}
		head.Store(int64(n))
		mu.Lock()
		pending = pending[1:]
		mu.Unlock()
		if n%50 == 0 {
			if err := c.Check(kv); err != nil {
				t.Error(err)
			}
		}
		stateMu.Unlock()
		select {
		case err := <-errs:
			t.Fatal(err)
		default:
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := c.Check(kv); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); filter && st.Filtered == 0 {
		t.Fatalf("the filter answered no read (%+v): the test does not exercise it", st)
	}
	st := c.Stats()
	t.Logf("%d hits, %d misses, %d entries", st.Hits, st.Misses, st.Entries)
	if st.Hits == 0 {
		t.Fatal("no hits")
	}
}

// A nil cache reads the store and only applies commits.
func TestNilCache(t *testing.T) {
	var c *Cache
	kv := storage.NewMemory()
	if c.Reader(kv) != storage.Reader(kv) {
		t.Fatal("nil cache wraps the store")
	}
	ws := newWriteSet([]Write{{Key: AccountKey(common.Address{1}), Value: []byte{1}}}).ForBlock(0)
	if err := c.Commit(ws, applyTo(kv, ws)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := kv.Has(AccountKey(common.Address{1})); !ok {
		t.Fatal("not applied")
	}
}

// countingReader counts the reads that reach the store.
type countingReader struct {
	storage.Reader
	reads atomic.Int64
}

func (c *countingReader) Get(key []byte) ([]byte, error) {
	c.reads.Add(1)
	return c.Reader.Get(key)
}

func (c *countingReader) Has(key []byte) (bool, error) {
	c.reads.Add(1)
	return c.Reader.Has(key)
}

// Once the filter of existing keys is loaded, reads of keys that never
// existed do not reach the store, keys stored before the load and keys
// committed during and after it are found, and a commit whose writes the
// cache cannot list turns the filter off.
func TestCacheFilterOfExistingKeys(t *testing.T) {
	kv := storage.NewMemory()
	c := NewCache(1000, 1<<20)
	before := AccountKey(common.Address{1})
	if err := c.Commit(nil, applyTo(kv, newWriteSet([]Write{{Key: before, Value: []byte("a")}}).ForBlock(0))); err != nil {
		t.Fatal(err)
	}
	if c.FilterReady() {
		t.Fatal("filter ready before it was loaded")
	}
	// A commit between the start of the load and its end: its key must be
	// found although the load's iterators do not hold it.
	c2 := NewCache(1000, 1<<20)
	during := AccountKey(common.Address{2})
	loaded := make(chan error, 1)
	c2.StartLoading(kv, func(n int, err error) {
		if err == nil && n != 1 {
			err = fmt.Errorf("loaded %d keys, want 1", n)
		}
		loaded <- err
	})
	if err := c2.Commit(newWriteSet([]Write{{Key: during, Value: []byte("b")}}).ForBlock(1), applyTo(kv, newWriteSet([]Write{{Key: during, Value: []byte("b")}}).ForBlock(1))); err != nil {
		t.Fatal(err)
	}
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	after := StorageKey(common.Address{3}, common.Hash{4})
	ws := newWriteSet([]Write{{Key: after, Value: []byte("c")}}).ForBlock(2)
	if err := c2.Commit(ws, applyTo(kv, ws)); err != nil {
		t.Fatal(err)
	}

	cr := &countingReader{Reader: kv}
	r := c2.Reader(cr)
	for _, k := range [][]byte{before, during, after} {
		if v, err := r.Get(k); err != nil || len(v) == 0 {
			t.Fatalf("existing key %x: %q, %v", k, v, err)
		}
	}
	found := cr.reads.Load()
	absent := 0
	for i := range 1000 {
		k := AccountKey(common.Address{9, byte(i), byte(i >> 8)})
		if _, err := r.Get(k); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("absent key %x: %v", k, err)
		}
		if ok, err := r.Has(StorageKey(common.Address{9}, common.Hash{byte(i), byte(i >> 8)})); ok || err != nil {
			t.Fatalf("absent slot: %v, %v", ok, err)
		}
		absent += 2
	}
	// About 0.1% of absent keys pass a full filter; the test allows 10%.
	if reads := cr.reads.Load() - found; reads > int64(absent/10) {
		t.Fatalf("%d of %d reads of absent keys reached the store", reads, absent)
	}
	if st := c2.Stats(); st.Filtered == 0 {
		t.Fatalf("no read answered by the filter: %+v", st)
	}

	// Writes the cache cannot list: the filter no longer answers.
	gone := AccountKey(common.Address{5})
	if err := c2.Commit(nil, applyTo(kv, newWriteSet([]Write{{Key: gone, Value: []byte("d")}}).ForBlock(3))); err != nil {
		t.Fatal(err)
	}
	if c2.FilterReady() {
		t.Fatal("filter still answering after a commit it could not see")
	}
	if v, err := c2.Reader(kv).Get(gone); err != nil || string(v) != "d" {
		t.Fatalf("key committed unseen: %q, %v", v, err)
	}
}
