package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobcos/gobcos/crypto"
)

// TestKillSealers: 4 sealers under load. Killing one leaves a quorum and
// commits continue; killing a second stops them; restarting both resumes
// them; in the end every node holds the same blocks and every confirmed tx.
func TestKillSealers(t *testing.T) { forSuites(t, testKillSealers) }

// forSuites runs fn on an ecdsa chain and on an sm chain (SM2, SM3, GM TLS).
func forSuites(t *testing.T, fn func(t *testing.T, suite string)) {
	skipShort(t)
	for _, suite := range []string{crypto.NameECDSA, crypto.NameSM} {
		t.Run(suite, func(t *testing.T) { fn(t, suite) })
	}
}

func testKillSealers(t *testing.T, suite string) {
	c := startCluster(t, 4, suite)
	l := startLoad(t, c, 3)

	h := grows(t, c, 0, 3, 60*time.Second, "4 sealers")
	t.Logf("4 sealers: height %d, %d txs confirmed", h, len(l.confirmed()))

	c.nodes[3].kill()
	h = grows(t, c, h, 3, 60*time.Second, "3 sealers after SIGKILL of node3")
	t.Logf("3 sealers: height %d, %d txs confirmed", h, len(l.confirmed()))

	c.nodes[2].kill()
	h = stalls(t, c, 3*time.Second, 6*time.Second)
	t.Logf("2 sealers: height stalled at %d", h)

	c.nodes[2].start()
	c.nodes[3].start()
	h = grows(t, c, h, 3, 90*time.Second, "after restarting node2 and node3")
	waitHeight(t, c.nodes, h, 90*time.Second, "restarted nodes catch up")
	t.Logf("restarted: height %d, %d txs confirmed", h, len(l.confirmed()))

	l.settle(t, c)
}

// TestKillAllSealers SIGKILLs all 4 sealers at once under load, as a
// power cut would stop them, and restarts them: the chain goes on and every
// node holds every tx a client saw confirmed, in the block it was
// confirmed in. A PBFT sealer commits blocks without waiting for the disk
// (its synced votes decide a lost block again), and a killed process loses
// what the store had not yet handed to the kernel; the test logs whether a
// node restarted below the height it had answered before the kill.
func TestKillAllSealers(t *testing.T) { forSuites(t, testKillAllSealers) }

func testKillAllSealers(t *testing.T, suite string) {
	c := startCluster(t, 4, suite)
	l := startLoad(t, c, 4)
	h := grows(t, c, 0, 5, 60*time.Second, "4 sealers")

	before := make([]uint64, len(c.nodes))
	for i, nd := range c.nodes {
		before[i], _ = nd.height()
	}
	for _, nd := range c.nodes {
		cmd, _, _, _ := nd.state()
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("SIGKILL node%d: %v", nd.idx, err)
		}
	}
	offsets := make([]int, len(c.nodes))
	for i, nd := range c.nodes {
		nd.kill() // waits for the exit
		offsets[i] = nd.logs.Len()
	}
	t.Logf("all 4 killed at height %d (heights answered just before: %v), %d txs confirmed", h, before, len(l.confirmed()))
	for _, nd := range c.nodes {
		nd.start()
	}
	for i, nd := range c.nodes {
		if at, ok := startHeight(nd.logs.String()[offsets[i]:]); ok && at < before[i] {
			t.Logf("node%d restarted at height %d, below the %d it answered before the kill", nd.idx, at, before[i])
		}
	}
	grows(t, c, c.maxHeight(), 3, 90*time.Second, "after restarting all 4")
	l.settle(t, c)
}

// startHeight is the ledger height a node's "node started" line gives.
func startHeight(log string) (uint64, bool) {
	i := strings.Index(log, `msg="node started"`)
	if i < 0 {
		return 0, false
	}
	line := log[i:]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	k := strings.Index(line, " height=")
	if k < 0 {
		return 0, false
	}
	var h uint64
	if _, err := fmt.Sscan(line[k+len(" height="):], &h); err != nil {
		return 0, false
	}
	return h, true
}

// TestStopSealer SIGSTOPs one sealer long enough for it to be the leader of
// some height (leaders rotate every height): the others change view and keep
// committing; after SIGCONT it catches up with identical hashes.
func TestStopSealer(t *testing.T) { forSuites(t, testStopSealer) }

func testStopSealer(t *testing.T, suite string) {
	c := startCluster(t, 4, suite)
	l := startLoad(t, c, 3)
	h := grows(t, c, 0, 2, 60*time.Second, "4 sealers")

	stopped := c.nodes[1]
	offsets := make([]int, len(c.nodes))
	for i, nd := range c.nodes {
		offsets[i] = nd.logs.Len()
	}
	// (A failing test's cleanup SIGKILLs the node, stopped or not.)
	stopped.signal(syscall.SIGSTOP)
	// Leaders rotate with the height at leader period 1: 5 more heights
	// include one the stopped node leads, so a view change is needed.
	h = grows(t, c, h, 5, 90*time.Second, "3 sealers while node1 is stopped")
	viewChanged := false
	for i, nd := range c.nodes {
		if nd != stopped && nd.waitLog(offsets[i], 5*time.Second, "view change on timeout", "msg=\"new view\"") {
			viewChanged = true
			break
		}
	}
	if !viewChanged {
		t.Fatalf("commits continued to height %d with node1 stopped but no running node logged a view change", h)
	}
	stopped.signal(syscall.SIGCONT)
	t.Logf("node1 stopped: view changed, height reached %d", h)

	h = grows(t, c, h, 2, 60*time.Second, "after SIGCONT")
	waitHeight(t, []*node{stopped}, h, 90*time.Second, "node1 catches up after SIGCONT")
	l.settle(t, c)
}

// TestWipedNodeResyncs stops a node, deletes its database and restarts it:
// it downloads the chain from its peers and follows new blocks.
func TestWipedNodeResyncs(t *testing.T) { forSuites(t, testWipedNodeResyncs) }

func testWipedNodeResyncs(t *testing.T, suite string) {
	c := startCluster(t, 4, suite)
	l := startLoad(t, c, 3)
	h := grows(t, c, 0, 20, 90*time.Second, "4 sealers")

	wiped := c.nodes[2]
	wiped.stop()
	if err := os.RemoveAll(filepath.Join(wiped.dir, "data")); err != nil {
		t.Fatal(err)
	}
	h = grows(t, c, h, 2, 60*time.Second, "3 sealers while node2 is wiped")
	offset := wiped.logs.Len()
	wiped.start()
	if !wiped.waitLog(offset, 10*time.Second, "opened empty ledger") {
		t.Fatal("node2 did not start from an empty ledger after its data directory was deleted")
	}
	waitHeight(t, []*node{wiped}, h, 90*time.Second, "wiped node2 re-syncs")
	h = grows(t, c, h, 2, 60*time.Second, "after node2 re-synced")
	waitHeight(t, []*node{wiped}, h, 60*time.Second, "wiped node2 follows new blocks")
	l.settle(t, c)
}
