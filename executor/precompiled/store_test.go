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
		// Through a registry's memo: hashed once, then remembered; only
		// the tables every transaction's checks read are kept.
		mt := &tables{io: mapIO{}, slots: NewRegistry().slots}
		for round := range 2 {
			if got := mt.recordSlot(c.table, []byte(c.key)); got != want {
				t.Fatalf("remembered tables, round %d, %q/%x: %v, want %v", round, c.table, c.key, got, want)
			}
		}
		if want := c.table == tblAccount && len(c.key) <= slotMemoKeyLen; len(mt.slots.m) != map[bool]int{false: 0, true: 1}[want] {
			t.Fatalf("%q/%x: %d records remembered, want them only for the account table", c.table, c.key, len(mt.slots.m))
		}
	}
	// A method's record is remembered under its own table; the same key
	// in another table is another record.
	mt := &tables{io: mapIO{}, slots: NewRegistry().slots}
	key := methodKey(common.Address{0xc0}, [4]byte{0xa9, 0x05, 0x9c, 0xbb})
	for _, table := range []string{tblMethodMode, tblAccount, tblMethodMode} {
		if got, want := mt.recordSlot(table, key), crypto.Keccak256Hash([]byte(table), []byte{0}, key); got != want {
			t.Fatalf("%q/%x: %v, want %v", table, key, got, want)
		}
	}
	if len(mt.slots.m) != 2 {
		t.Fatalf("%d records remembered, want 2", len(mt.slots.m))
	}
	// Past its bound the memo starts over.
	r := newRecordSlots()
	for i := range maxRecordSlots + 1 {
		r.put(slotMemoKey{table: tblAccount, key: [slotMemoKeyLen]byte(common.BigToHash(big.NewInt(int64(i))).Bytes()[32-slotMemoKeyLen:])}, common.Hash{1})
	}
	if len(r.m) != 1 {
		t.Fatalf("%d records held past the bound, want 1", len(r.m))
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
