package node

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
)

// countingSlots answers every slot with its own hash and counts the reads.
type countingSlots struct{ reads int }

func (c *countingSlots) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	c.reads++
	return slot, nil
}

// TestConfigSlots checks the SystemConfig slots are read from the store
// once, other addresses always, and that the cache is dropped by exactly
// the commits that write the contract's storage (or whose writes it cannot
// list).
func TestConfigSlots(t *testing.T) {
	c := newContractSlots(precompiled.SystemConfigAddress, 0)
	base := &countingSlots{}
	other := common.HexToAddress("0x1003")
	readAll := func() {
		t.Helper()
		r := c.reader(base)
		for i := range 3 {
			slot := common.Hash{byte(i)}
			if v, err := r.Storage(precompiled.SystemConfigAddress, slot); err != nil || v != slot {
				t.Fatalf("slot %d: %v, %v", i, v, err)
			}
		}
		if _, err := r.Storage(other, common.Hash{}); err != nil {
			t.Fatal(err)
		}
	}
	writeSet := func(keys ...[]byte) *state.WriteSet {
		ws := make([]state.Write, len(keys))
		for i, k := range keys {
			ws[i] = state.Write{Key: k, Value: []byte{1}}
		}
		set, err := state.NetWriteSet(storage.NewMemory(), ws, nil)
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	readAll()
	readAll()
	if base.reads != 3+2 {
		t.Fatalf("%d store reads, want 5 (3 config slots once, the other address twice)", base.reads)
	}
	// Writes around the contract's storage, not in it: kept.
	commitThrough(c, writeSet(state.AccountKey(precompiled.SystemConfigAddress), state.StorageKey(other, common.Hash{9}),
		state.StorageKey(common.HexToAddress("0x1001"), common.Hash{9})))
	readAll()
	if base.reads != 6 {
		t.Fatalf("%d store reads after an unrelated commit, want 6", base.reads)
	}
	commitThrough(c, writeSet(state.AccountKey(other), state.StorageKey(precompiled.SystemConfigAddress, common.Hash{7})))
	readAll()
	if base.reads != 10 {
		t.Fatalf("%d store reads after a config write, want 10 (read again)", base.reads)
	}
	commitThrough(c, "not a write set")
	readAll()
	if base.reads != 14 {
		t.Fatalf("%d store reads after a commit of unknown writes, want 14", base.reads)
	}
}

// commitThrough runs a block's commit with state writes st past c, as
// the node's commit does (slotsCommitting).
func commitThrough(c *contractSlots, st any) {
	if c.changedBy(st) {
		c.slots.hold()
		c.slots.release()
	}
}

// While a commit that changes the contract is under way (the block may
// already be visible), reads go to the store and nothing is kept or
// served from before: the cached value is not served, the value read is
// not kept; after the release the next read is kept.
func TestContractSlotsHeldDuringCommit(t *testing.T) {
	c := newContractSlots(precompiled.PermissionAddress, 0)
	slot := common.Hash{1}
	counting := &countingSlots{}
	read := func() {
		t.Helper()
		if _, err := c.reader(counting).Storage(precompiled.PermissionAddress, slot); err != nil {
			t.Fatal(err)
		}
	}
	read()
	read()
	if counting.reads != 1 {
		t.Fatalf("%d store reads before the commit, want 1", counting.reads)
	}
	c.slots.hold()
	read()
	read()
	if counting.reads != 3 {
		t.Fatalf("%d store reads while held, want 3 (no cached value served)", counting.reads)
	}
	c.slots.release()
	read()
	read()
	if counting.reads != 4 {
		t.Fatalf("%d store reads after the release, want 4 (read once, then cached)", counting.reads)
	}
}

// hookSlots answers every slot with its own hash, after running hook (once).
type hookSlots struct{ hook func() }

func (h *hookSlots) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	if f := h.hook; f != nil {
		h.hook = nil
		f()
	}
	return slot, nil
}

// A read that misses the cache while a commit clears it does not keep
// what it read (it may predate the commit); the next read goes to the
// store again. Without the check it would serve the old value until the
// next write of the contract.
func TestContractSlotsReadRacingCommit(t *testing.T) {
	c := newContractSlots(precompiled.PermissionAddress, 0)
	slot := common.Hash{1}
	base := &hookSlots{hook: func() { commitThrough(c, "a commit whose writes are unknown") }}
	if _, err := c.reader(base).Storage(precompiled.PermissionAddress, slot); err != nil {
		t.Fatal(err)
	}
	if n := len(c.slots.entries); n != 0 {
		t.Fatalf("%d slots cached from a read that raced a commit, want 0", n)
	}
	counting := &countingSlots{}
	for range 2 {
		if _, err := c.reader(counting).Storage(precompiled.PermissionAddress, slot); err != nil {
			t.Fatal(err)
		}
	}
	if counting.reads != 1 {
		t.Fatalf("%d store reads, want 1 (then cached)", counting.reads)
	}
}

// The cache holds at most max slots: it starts over past them.
func TestContractSlotsBound(t *testing.T) {
	c := newContractSlots(precompiled.PermissionAddress, 4)
	base := &countingSlots{}
	r := c.reader(base)
	for i := range 10 {
		if _, err := r.Storage(precompiled.PermissionAddress, common.Hash{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if len(c.slots.entries) > 4 {
			t.Fatalf("%d slots cached, want at most 4", len(c.slots.entries))
		}
	}
}

// BenchmarkAccountFrozen asks whether one of 1,250 accounts (the bench's
// senders) is frozen, as the pool does for every tx it admits, on a Pebble
// store holding 100,000 other keys: from the store, and through the
// node's cache of Permission slots.
//
//	go test ./node -run '^$' -bench AccountFrozen
func BenchmarkAccountFrozen(b *testing.B) {
	kv, err := storage.OpenPebble(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer kv.Close()
	batch := kv.NewBatch()
	for i := range 100_000 {
		if err := batch.Put(state.StorageKey(common.BigToAddress(common.Big1), common.BigToHash(big.NewInt(int64(i)))), []byte{1}); err != nil {
			b.Fatal(err)
		}
	}
	if err := batch.Commit(); err != nil {
		b.Fatal(err)
	}
	accounts := make([]common.Address, 1250)
	for i := range accounts {
		accounts[i] = common.BigToAddress(big.NewInt(int64(1_000_000 + i)))
	}
	for _, cached := range []bool{false, true} {
		b.Run(fmt.Sprintf("cached=%v", cached), func(b *testing.B) {
			c := newContractSlots(precompiled.PermissionAddress, frozenSlotsMax)
			for i := 0; b.Loop(); i++ {
				var r precompiled.SlotReader = state.NewReader(kv)
				if cached {
					r = c.reader(r)
				}
				if frozen, err := precompiled.NewGovernanceReader(r).AccountFrozen(accounts[i%len(accounts)], 10); err != nil || frozen {
					b.Fatal(frozen, err)
				}
			}
		})
	}
}
