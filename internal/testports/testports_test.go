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
