package e2e

import (
	"encoding/hex"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/consensus/raft"
	"github.com/gobcos/gobcos/crypto"
)

// TestRaftKillLeader: 3 Raft nodes (both suites) and 5 (ecdsa) under
// load. Killing the leader leaves a majority that elects a new leader and
// goes on; killing more nodes, down to a minority, stops commits;
// restarting them resumes commits; in the end every node holds the same
// blocks (no fork) and every confirmed tx.
func TestRaftKillLeader(t *testing.T) {
	forSuites(t, func(t *testing.T, suite string) { testRaftKillLeader(t, suite, 3) })
	t.Run("5 nodes", func(t *testing.T) { testRaftKillLeader(t, crypto.NameECDSA, 5) })
}

func testRaftKillLeader(t *testing.T, suite string, n int) {
	c := startCluster(t, n, suite, "--consensus", "raft")
	l := startLoad(t, c, 3)
	h := grows(t, c, 0, 3, 60*time.Second, "raft nodes")
	leader := c.raftLeader(t, h)
	t.Logf("%d nodes: height %d, leader node%d, %d txs confirmed", n, h, leader.idx, len(l.confirmed()))

	leader.kill()
	h, next := c.nextLeader(t, leader, h, 60*time.Second, "raft nodes after SIGKILL of the leader")
	t.Logf("leader node%d killed: node%d leads, height %d", leader.idx, next.idx, h)

	// Kill followers until only a minority runs.
	killed := []*node{leader}
	for _, nd := range c.nodes {
		if len(killed) == n/2+1 {
			break
		}
		if nd != leader && nd != next {
			nd.kill()
			killed = append(killed, nd)
		}
	}
	h = stalls(t, c, 3*time.Second, 6*time.Second)
	t.Logf("%d of %d raft nodes: height stalled at %d", n-len(killed), n, h)

	for _, nd := range killed {
		nd.start()
	}
	h = grows(t, c, h, 3, 90*time.Second, "after restarting the killed nodes")
	waitHeight(t, c.nodes, h, 90*time.Second, "restarted nodes catch up")
	h = l.settle(t, c)
	checkRaftBlocks(t, c, h)
}

// TestRaftIsolatedLeader: 5 Raft nodes under load. The leader is frozen
// with SIGSTOP, which cuts it off: the other four elect a new leader and
// commit; on SIGCONT the old leader (pre-vote, check-quorum) learns the
// new term, commits nothing of its own and catches up: no split brain.
func TestRaftIsolatedLeader(t *testing.T) {
	skipShort(t)
	c := startCluster(t, 5, crypto.NameECDSA, "--consensus", "raft")
	l := startLoad(t, c, 4)
	h := grows(t, c, 0, 3, 60*time.Second, "5 raft nodes")
	old := c.raftLeader(t, h)

	old.signal(syscall.SIGSTOP)
	h, next := c.nextLeader(t, old, h, 90*time.Second, "4 raft nodes while the leader is stopped")
	h = grows(t, c, h, 2, 60*time.Second, "4 raft nodes under the new leader")
	if got := c.raftLeader(t, h); got == old {
		t.Fatalf("block %d sealed by the stopped leader node%d after node%d led", h, old.idx, next.idx)
	}
	old.signal(syscall.SIGCONT)
	t.Logf("leader node%d stopped: node%d leads, height %d", old.idx, next.idx, h)

	h = grows(t, c, h, 3, 60*time.Second, "after SIGCONT")
	waitHeight(t, []*node{old}, h, 90*time.Second, "old leader catches up")
	h = l.settle(t, c)
	checkRaftBlocks(t, c, h)
}

// nextLeader waits for the first block above from that old did not seal
// and returns its height and sealer. Blocks old proposed before it went
// down may still commit under the next leader (they were in the log), so
// the blocks right after from can carry old's seal; but a block of the
// next term must come within the bound, and from then on old seals none.
func (c *cluster) nextLeader(t *testing.T, old *node, from uint64, within time.Duration, what string) (uint64, *node) {
	t.Helper()
	deadline := time.Now().Add(within)
	for n := from + 1; ; n++ {
		grows(t, c, n-1, 1, max(time.Until(deadline), 0), what)
		if nd := c.raftLeader(t, n); nd != old {
			return n, nd
		}
		t.Logf("block %d: proposed by node%d before it went down, committed after", n, old.idx)
	}
}

// raftBlock is what the tests read of a block.
type raftBlock struct {
	Hash       common.Hash    `json:"hash"`
	Miner      common.Address `json:"miner"`
	ExtraData  hexutil.Bytes  `json:"extraData"`
	Signatures []struct {
		Index hexutil.Uint64 `json:"index"`
	} `json:"signatures"`
}

func (c *cluster) raftBlock(t *testing.T, n uint64) raftBlock {
	t.Helper()
	var b raftBlock
	for _, nd := range c.nodes {
		if _, ok := nd.endpoint(); !ok {
			continue
		}
		if err := nd.rpcCall(&b, "eth_getBlockByNumber", hexutil.EncodeUint64(n), false); err == nil && b.Hash != (common.Hash{}) {
			return b
		}
	}
	t.Fatalf("no running node serves block %d", n)
	return b
}

// raftLeader is the node that sealed block h (the leader of its term).
func (c *cluster) raftLeader(t *testing.T, h uint64) *node {
	t.Helper()
	m, err := chainbuild.ReadManifest(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	suite, err := crypto.ByName(m.CryptoSuite)
	if err != nil {
		t.Fatal(err)
	}
	miner := c.raftBlock(t, h).Miner
	for i, e := range m.Nodes {
		pub, err := hex.DecodeString(e.NodeID)
		if err != nil {
			t.Fatal(err)
		}
		if suite.Address(append([]byte{4}, pub...)) == miner {
			return c.nodes[i]
		}
	}
	t.Fatalf("block %d sealed by %s, not a node of the chain", h, miner)
	return nil
}

// checkRaftBlocks: every block carries exactly its leader's signature and
// the raft term/index, and the terms never decrease along the chain.
func checkRaftBlocks(t *testing.T, c *cluster, h uint64) {
	t.Helper()
	var lastTerm, lastIndex uint64
	for n := uint64(1); n <= h; n++ {
		b := c.raftBlock(t, n)
		term, index, err := raft.DecodeExtra(b.ExtraData)
		if err != nil || len(b.Signatures) != 1 {
			t.Fatalf("block %d: extra %x (%v), %d signatures", n, b.ExtraData, err, len(b.Signatures))
		}
		if term < lastTerm || index <= lastIndex {
			t.Fatalf("block %d at term %d index %d after term %d index %d", n, term, index, lastTerm, lastIndex)
		}
		lastTerm, lastIndex = term, index
	}
}
