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
// (a P2P listener binds 0.0.0.0) and lie below the ephemeral range, and
// reserves them until the test ends: every caller of Base on this machine,
// in this process or in another package's test binary that go test runs
// at the same time, gets a range that overlaps no reserved one (reserve).
// It fails the test when it finds none.
func Base(t testing.TB, n int) int {
	t.Helper()
	high := ephemeralLow() - n
	if n < 1 || high <= lowest {
		t.Fatalf("testports: no room for %d ports below the ephemeral range", n)
	}
	for range 500 {
		base := lowest + rand.IntN(high-lowest)
		release, ok := reserve(base, n)
		if !ok {
			continue
		}
		if free(base, n) {
			t.Cleanup(release)
			return base
		}
		release()
	}
	t.Fatalf("testports: no %d free consecutive ports found", n)
	return 0
}

// reserve takes the lock of each port of base .. base+n-1 (lockPort), or
// none of them. The listen check alone let two test binaries pick
// overlapping ranges at the same time: one's node then found its port
// taken by the other's.
func reserve(base, n int) (release func(), ok bool) {
	releases := make([]func(), 0, n)
	release = func() {
		for _, r := range releases {
			r()
		}
	}
	for i := range n {
		r, ok := lockPort(base + i)
		if !ok {
			release()
			return nil, false
		}
		releases = append(releases, r)
	}
	return release, true
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
