package precompiled

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestRecordSlotLayout: a record's base slot is keccak256(table || 0x00 ||
// key), also when one tables hashes records of different lengths in turn
// with its reused state and buffer.
func TestRecordSlotLayout(t *testing.T) {
	tb := &tables{io: mapIO{}}
	for _, c := range []struct{ table, key string }{
		{"account", string(bytes.Repeat([]byte{0xaa}, 20))}, {"t", ""}, {"role/2", "\x02abc"},
		{"a much longer table name than the others", "k"}, {"account", string(bytes.Repeat([]byte{0x01}, 20))},
	} {
		want := crypto.Keccak256Hash([]byte(c.table), []byte{0}, []byte(c.key))
		if got := tb.recordSlot(c.table, []byte(c.key)); got != want {
			t.Fatalf("%q/%x: %v, want %v", c.table, c.key, got, want)
		}
		if got := new(tables).recordSlot(c.table, []byte(c.key)); got != want {
			t.Fatalf("fresh tables, %q/%x: %v, want %v", c.table, c.key, got, want)
		}
		// Through a registry's account slots: hashed once, then
		// remembered; the other tables are not.
		mt := &tables{io: mapIO{}, accounts: NewRegistry().accounts}
		for round := range 2 {
			if got := mt.recordSlot(c.table, []byte(c.key)); got != want {
				t.Fatalf("remembered tables, round %d, %q/%x: %v, want %v", round, c.table, c.key, got, want)
			}
		}
		_, held := mt.accounts.get(common.BytesToAddress([]byte(c.key)))
		if want := c.table == tblAccount && len(c.key) == common.AddressLength; held != want {
			t.Fatalf("%q/%x remembered: %v, want %v", c.table, c.key, held, want)
		}
	}
	// Past its bound the memo starts over.
	a := newAccountSlots()
	for i := range maxAccountSlots + 1 {
		a.put(common.BigToAddress(big.NewInt(int64(i))), common.Hash{1})
	}
	if len(a.m) != 1 {
		t.Fatalf("%d addresses held past the bound, want 1", len(a.m))
	}
}

// TestStatusAtAbsentAllocatesNothing: the frozen-sender check every
// transaction makes allocates nothing when the sender has no record.
func TestStatusAtAbsentAllocatesNothing(t *testing.T) {
	tb := &tables{io: mapIO{}}
	addr := common.HexToAddress("0xaa")
	statusAt(tb, tblAccount, addr, 5) // makes the Keccak state
	if n := testing.AllocsPerRun(100, func() {
		if statusAt(tb, tblAccount, addr, 5) != 0 {
			t.Fatal("status of an account without a record")
		}
	}); n != 0 {
		t.Fatalf("%v allocations per check", n)
	}
}
