package testports

import (
	"fmt"
	"net"
	"testing"
)

func TestBase(t *testing.T) {
	low := ephemeralLow()
	for range 20 {
		base := Base(t, 8)
		if base < lowest || base+8 > low {
			t.Fatalf("base %d: range leaves [%d, %d)", base, lowest, low)
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+7))
		if err != nil {
			t.Fatalf("port %d handed out but not free: %v", base+7, err)
		}
		ln.Close()
	}
	// A taken port is never inside a returned range.
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", lowest+1))
	if err == nil {
		defer ln.Close()
		if free(lowest, 3) {
			t.Fatal("a range holding a listened port reported free")
		}
	}
}

// TestReserve requires a reserved range to keep every overlapping range
// from being reserved until it is released. It runs in one process: the
// locks belong to open files, not to processes, so a second reservation
// here meets the same refusal another test binary's would.
func TestReserve(t *testing.T) {
	base := Base(t, 4)
	if _, ok := reserve(base+3, 2); ok {
		t.Fatal("a range overlapping one Base handed out was reserved again")
	}
	other := Base(t, 4)
	if other+4 > base && other < base+4 {
		t.Fatalf("Base handed out %d..%d over the reserved %d..%d", other, other+3, base, base+3)
	}
	release, ok := reserve(base+10, 3)
	if !ok {
		t.Skip("ports next to the range are reserved by another test binary")
	}
	if _, ok := reserve(base+11, 1); ok {
		t.Fatal("a reserved port was reserved twice")
	}
	release()
	again, ok := reserve(base+11, 1)
	if !ok {
		t.Fatal("a released port could not be reserved")
	}
	again()
}
