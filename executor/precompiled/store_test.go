package precompiled

import (
	"bytes"
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
