package node

import (
	"bytes"
	"errors"
	"math/big"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
)

// The statuses are read once per account until dropped; a read that
// fails is not kept.
func TestFreezeStatusesCached(t *testing.T) {
	f := freezeStatuses{max: 16}
	reads := 0
	read := func() (precompiled.FreezeStatus, error) { reads++; return precompiled.FreezeStatus{}, nil }
	a, b := common.Address{1}, common.Address{2}
	for range 3 {
		for _, addr := range []common.Address{a, b} {
			if _, err := f.get(addr, read); err != nil {
				t.Fatal(err)
			}
		}
	}
	if reads != 2 {
		t.Fatalf("%d reads, want 2 (one per account)", reads)
	}
	f.drop()
	if _, err := f.get(a, read); err != nil || reads != 3 {
		t.Fatalf("%d reads after a drop, want 3 (%v)", reads, err)
	}
	failing := func() (precompiled.FreezeStatus, error) {
		reads++
		return precompiled.FreezeStatus{}, errors.New("store down")
	}
	for range 2 {
		if _, err := f.get(b, failing); err == nil {
			t.Fatal("read error lost")
		}
	}
	if reads != 5 {
		t.Fatalf("%d reads, want 5: a failed read is not cached", reads)
	}
}

// A read that misses the cache while a drop happens does not keep what
// it read (it may predate the commit that dropped the cache).
func TestFreezeStatusesReadRacingDrop(t *testing.T) {
	f := freezeStatuses{max: 16}
	a := common.Address{1}
	if _, err := f.get(a, func() (precompiled.FreezeStatus, error) { f.drop(); return precompiled.FreezeStatus{}, nil }); err != nil {
		t.Fatal(err)
	}
	if n := len(f.entries); n != 0 {
		t.Fatalf("%d statuses kept from a read that raced a drop, want 0", n)
	}
}

// The cache holds at most max statuses: it starts over past them.
func TestFreezeStatusesBound(t *testing.T) {
	f := freezeStatuses{max: 4}
	for i := range 10 {
		if _, err := f.get(common.Address{byte(i)}, func() (precompiled.FreezeStatus, error) { return precompiled.FreezeStatus{}, nil }); err != nil {
			t.Fatal(err)
		}
		if len(f.entries) > 4 {
			t.Fatalf("%d statuses cached, want at most 4", len(f.entries))
		}
	}
}

// readCounter counts the reads that reach a store, by key prefix.
type readCounter struct {
	storage.KV
	prefix []byte
	reads  atomic.Int64
}

func (c *readCounter) count(key []byte) {
	if bytes.HasPrefix(key, c.prefix) {
		c.reads.Add(1)
	}
}

func (c *readCounter) Get(key []byte) ([]byte, error) { c.count(key); return c.KV.Get(key) }

func (c *readCounter) Has(key []byte) (bool, error) { c.count(key); return c.KV.Has(key) }

// The pool's question "is this sender frozen?" about an account no vote
// ever froze is answered by the state cache's filter of existing keys:
// no store read of the Permission contract's slots (each one a search of
// the memtables and of every level 0 table on a loaded node).
func TestAccountFrozenOfNeverFrozenReadsNoStore(t *testing.T) {
	dir := t.TempDir()
	if err := InitDir(dir, InitOptions{Suite: crypto.NameECDSA, RPCAddr: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	for deadline := time.Now().Add(10 * time.Second); !n.cache.FilterReady(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the filter of existing state keys did not load")
		}
	}
	rc := &readCounter{KV: n.kv, prefix: state.StoragePrefix(precompiled.PermissionAddress)}
	n.kv = rc
	pc := &poolChain{n}
	for i := range 100 {
		frozen, err := pc.AccountFrozen(common.BigToAddress(big.NewInt(int64(1000+i))), 1)
		if err != nil || frozen {
			t.Fatalf("account %d: frozen %v, %v", i, frozen, err)
		}
	}
	if r := rc.reads.Load(); r != 0 {
		t.Fatalf("100 never-frozen senders made %d store reads of Permission slots, want 0", r)
	}
}
