package state

import (
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
