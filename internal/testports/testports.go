package testports

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// lowest is the first port handed out.
const lowest = 20000

// ephemeralLow is the first port of the kernel's ephemeral range (Linux:
// /proc/sys/net/ipv4/ip_local_port_range; 32768 elsewhere or when unreadable).
func ephemeralLow() int {
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if p, err := strconv.Atoi(f[0]); err == nil && p > lowest {
				return p
			}
		}
	}
	return 32768
}

// Base returns a port p such that p .. p+n-1 are free on all interfaces
// (a P2P listener binds 0.0.0.0) and lie below the ephemeral range. It
// fails the test when it finds none.
func Base(t testing.TB, n int) int {
	t.Helper()
	high := ephemeralLow() - n
	if n < 1 || high <= lowest {
		t.Fatalf("testports: no room for %d ports below the ephemeral range", n)
	}
	for range 500 {
		base := lowest + rand.IntN(high-lowest)
		if free(base, n) {
			return base
		}
	}
	t.Fatalf("testports: no %d free consecutive ports found", n)
	return 0
}

// free reports whether base .. base+n-1 can all be listened on.
func free(base, n int) bool {
	lns := make([]net.Listener, 0, n)
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for i := range n {
		ln, err := net.Listen("tcp", fmt.Sprintf(":%d", base+i))
		if err != nil {
			return false
		}
		lns = append(lns, ln)
	}
	return true
}
