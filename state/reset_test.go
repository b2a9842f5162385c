package state

import (
	"math/big"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/holiman/uint256"

	"github.com/gobcos/gobcos/storage"
)

// stored returns a memory store holding addr with balance 1 and slot = v.
func stored(t *testing.T, addr common.Address, slot, v common.Hash) *storage.Memory {
	t.Helper()
	kv := storage.NewMemory()
	s := New(kv)
	s.SetBalance(addr, uint256.NewInt(1))
	s.SetState(addr, slot, v)
	ws, err := s.WriteSet()
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.ForBlock(0).ApplyTo(kv); err != nil {
		t.Fatal(err)
	}
	return kv
}

// TestResetForgetsEverything: after Reset a StateDB reads only the new
// store, even through the objects it reuses.
func TestResetForgetsEverything(t *testing.T) {
	addr := common.HexToAddress("0xaa")
	x, y := common.HexToHash("0x01"), common.HexToHash("0x02")
	s := New(stored(t, addr, x, common.HexToHash("0x11")))
	s.SetState(addr, y, common.HexToHash("0x22"))
	s.SetState(addr, x, common.HexToHash("0x33"))
	s.Finalise(rules)
	s.SetState(addr, y, common.HexToHash("0x44")) // dirty, not finalised
	s.AddBalance(addr, uint256.NewInt(5), tracing.BalanceChangeUnspecified)

	s.Reset(stored(t, addr, x, common.HexToHash("0x55")))
	if got := s.GetState(addr, x); got != common.HexToHash("0x55") {
		t.Fatalf("slot x after Reset: %v", got)
	}
	if got := s.GetState(addr, y); got != (common.Hash{}) {
		t.Fatalf("slot y after Reset: %v", got)
	}
	if got := s.GetBalance(addr); !got.Eq(uint256.NewInt(1)) {
		t.Fatalf("balance after Reset: %v", got)
	}
	writes, err := s.Changes()
	if err != nil || len(writes) != 0 {
		t.Fatalf("changes after Reset: %v %v", writes, err)
	}
	s.Reset(storage.NewMemory())
	if s.Exist(addr) || s.GetState(addr, x) != (common.Hash{}) {
		t.Fatal("account still visible after Reset onto an empty store")
	}
}

// TestResetKeepsStorageMaps: an account whose storage a block used gets
// its object and storage maps back, emptied, when the next block (after
// any number of Resets of an unused StateDB) uses it again; a block that
// does not use it lets them go, and so do maps past maxKeptSlots.
func TestResetKeepsStorageMaps(t *testing.T) {
	addr, other := common.HexToAddress("0xaa"), common.HexToAddress("0xbb")
	x := common.HexToHash("0x01")
	kv := stored(t, addr, x, common.HexToHash("0x11"))
	s := New(kv)
	eoas := func() { // accounts without storage, taking objects first
		for i := range 50 {
			s.GetBalance(common.BigToAddress(big.NewInt(int64(0x1000 + i))))
		}
	}
	eoas()
	for i := range 100 {
		s.GetState(addr, common.BigToHash(big.NewInt(int64(i+2))))
	}
	obj := s.objects[addr]
	orig := reflect.ValueOf(obj.originStorage).UnsafePointer()

	s.Reset(nil)
	s.Reset(kv)
	eoas()
	if got := s.GetState(addr, x); got != common.HexToHash("0x11") {
		t.Fatalf("slot x after Reset: %v", got)
	}
	if s.objects[addr] != obj || reflect.ValueOf(obj.originStorage).UnsafePointer() != orig {
		t.Fatal("the account's object and committed-slot map were not reused")
	}
	if n := len(obj.originStorage); n != 1 {
		t.Fatalf("the reused map holds %d slots, want the 1 read since", n)
	}

	s.Reset(kv)
	s.GetBalance(other) // a block that does not use addr
	s.Reset(kv)
	if _, ok := s.kept[addr]; ok {
		t.Fatal("an account the last block did not use is still kept")
	}

	for i := range maxKeptSlots + 1 {
		s.GetState(addr, common.BigToHash(big.NewInt(int64(i))))
	}
	s.Reset(kv)
	if _, ok := s.kept[addr]; ok {
		t.Fatalf("maps of more than %d slots were kept", maxKeptSlots)
	}

	// The bound is on all kept maps together: of two accounts holding more
	// than it between them, one is kept.
	s.Reset(kv)
	for _, a := range []common.Address{addr, other} {
		for i := range maxKeptSlots/2 + 1 {
			s.GetState(a, common.BigToHash(big.NewInt(int64(i))))
		}
	}
	s.Reset(kv)
	if len(s.kept) != 1 {
		t.Fatalf("%d accounts kept, want 1", len(s.kept))
	}
}

// TestLargeTransactionLayerLetGo: the transaction layer of an account is
// kept from transaction to transaction unless it held more than
// maxKeptDirty slots, whose table every later finalise would walk.
func TestLargeTransactionLayerLetGo(t *testing.T) {
	addr := common.HexToAddress("0xaa")
	s := New(storage.NewMemory())
	s.SetBalance(addr, uint256.NewInt(1))
	write := func(n int) {
		for i := range n {
			s.SetState(addr, common.BigToHash(big.NewInt(int64(i))), common.BigToHash(big.NewInt(int64(i+n))))
		}
		s.Finalise(rules)
	}
	write(maxKeptDirty)
	if s.objects[addr].dirtyStorage == nil {
		t.Fatalf("a transaction layer of %d slots was let go", maxKeptDirty)
	}
	write(maxKeptDirty + 1)
	if s.objects[addr].dirtyStorage != nil {
		t.Fatalf("a transaction layer of %d slots was kept", maxKeptDirty+1)
	}
	if got := s.GetState(addr, common.BigToHash(big.NewInt(maxKeptDirty))); got != common.BigToHash(big.NewInt(2*maxKeptDirty+1)) {
		t.Fatalf("the last transaction's write reads %v", got)
	}
}
