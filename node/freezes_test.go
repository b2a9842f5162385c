package node

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/executor/precompiled"
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
