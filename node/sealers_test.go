package node_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/internal/govtest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// certSigners returns the node ids that signed block b's commit
// certificate, after checking every signature against the sealer set in
// force at b (read from n's governance state) and that they reach the
// quorum of that set.
func certSigners(ctx context.Context, t *testing.T, n *node.Node, client *sdk.Client, suite crypto.Suite, b uint64) [][]byte {
	t.Helper()
	list, err := n.ConsensusNodes(b)
	if err != nil {
		t.Fatal(err)
	}
	var set [][]byte
	for _, x := range list {
		if x.Type == precompiled.NodeSealer {
			set = append(set, x.ID)
		}
	}
	var out [][]byte
	for _, i := range certIndexes(ctx, t, client, suite, set, b) {
		out = append(out, set[i])
	}
	n3 := len(set)
	if q := (n3+(n3-1)/3)/2 + 1; len(out) < q {
		t.Fatalf("block %d: %d signatures, quorum of %d sealers is %d", b, len(out), n3, q)
	}
	return out
}

// sealersAndNewNode builds a 4-sealer PBFT chain and a fifth node made
// with chain add-node in org1, not allow-listed; it starts the sealers,
// waits for their connections and leaves node 4 to the test (c.nodes[4]
// is nil until it starts it).
func sealersAndNewNode(t *testing.T) (*pbftChain, *chainbuild.AddResult) {
	t.Helper()
	c := buildPBFTChain(t, "ecdsa", 4)
	added := c.addNode("org1", false)
	c.startAll()
	c.nodes = append(c.nodes, nil)
	return c, added
}

func hasKey(keys [][]byte, k []byte) bool {
	for _, x := range keys {
		if bytes.Equal(x, k) {
			return true
		}
	}
	return false
}

// TestPBFTSealersByGovernance: on a 4-sealer PBFT chain, a node made with
// chain add-node is voted in as an observer and syncs; promoted to sealer,
// its signature appears in the commit certificates of later blocks and the
// chain goes on with 5 sealers; a genesis sealer removed from the list no
// longer signs, loses its connections, and the 4 remaining sealers go on
// with identical blocks everywhere.
func TestPBFTSealersByGovernance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a 5-node chain")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c, added := sealersAndNewNode(t)
	suite := c.nodes[0].Genesis().Suite()
	client := nodetest.Dial(t, ctx, c.nodes[0])
	// One governor: a proposal passes with its proposer's vote.
	committee := govtest.New(t, client, govtest.OrgAdmin(t, c.dir, "org1", suite))
	decide := func(op uint8, id []byte) uint64 {
		t.Helper()
		return committee.ProposeNode(ctx, op, id, 1).BlockNumber
	}
	newKey := govtest.NodeKey(t, added.Node.NodeID)
	genesisSealers := c.nodes[0].Genesis().Sealers

	// 1. Voted in as an observer, the new node is admitted and syncs.
	decide(precompiled.NodeOpAddObserver, newKey)
	c.start(4)
	h := commitSome(ctx, t, client, suite, 1)
	c.waitHeight(h)
	c.checkSame(ctx, h)
	newClient := nodetest.Dial(t, ctx, c.nodes[4])
	// nodeInfo is the new node's role and whether it takes part in consensus.
	nodeInfo := func() (string, bool) {
		var info struct {
			Role      string `json:"role"`
			Consensus struct {
				Running bool `json:"running"`
			} `json:"consensus"`
		}
		if err := newClient.RPC().CallContext(ctx, &info, "bcos_getNodeInfo"); err != nil {
			t.Fatal(err)
		}
		return info.Role, info.Consensus.Running
	}
	if role, running := nodeInfo(); role != "observer" || running {
		t.Fatalf("the voted-in observer reports role %q, running %v", role, running)
	}

	// 2. Promoted to sealer: from the next block on it is the fifth sealer
	// (quorum 4) and signs certificates. Sealer 2 is down meanwhile, so
	// the new node's vote is needed; restarted later, sealer 2 catches up
	// across the change by block sync (certificates of both sets) and its
	// persisted consensus state of the old set is not reused.
	c.stop(2)
	at := decide(precompiled.NodeOpAddSealer, newKey)
	var signedAt uint64
	for signedAt == 0 {
		if ctx.Err() != nil {
			t.Fatal("the promoted node's signature never appeared in a commit certificate")
		}
		top := commitSome(ctx, t, client, suite, 1)
		for b := at + 1; b <= top; b++ {
			if hasKey(certSigners(ctx, t, c.nodes[0], client, suite, b), newKey) {
				signedAt = b
				break
			}
		}
	}
	for b := uint64(1); b <= at; b++ {
		if hasKey(certSigners(ctx, t, c.nodes[0], client, suite, b), newKey) {
			t.Fatalf("block %d, before the promotion took effect, carries the new node's signature", b)
		}
	}
	h = commitSome(ctx, t, client, suite, 2)
	for b := signedAt; b <= h; b++ {
		if !hasKey(certSigners(ctx, t, c.nodes[0], client, suite, b), newKey) {
			t.Fatalf("block %d lacks the new sealer's signature, which the quorum needs with sealer 2 down", b)
		}
	}
	c.start(2)
	c.waitPeers()
	h = commitSome(ctx, t, client, suite, 2)
	c.waitHeight(h)
	c.checkSame(ctx, h)
	t.Logf("promoted in block %d, first signature in block %d", at, signedAt)
	for role, running := nodeInfo(); role != "sealer" || !running; role, running = nodeInfo() {
		if ctx.Err() != nil {
			t.Fatalf("the promoted node reports role %q, running %v", role, running)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var list []struct {
		NodeID hexutil.Bytes `json:"nodeId"`
	}
	if err := client.RPC().CallContext(ctx, &list, "bcos_getSealerList"); err != nil {
		t.Fatal(err)
	}
	if len(list) != 5 || !bytes.Equal(list[4].NodeID, newKey) {
		t.Fatalf("bcos_getSealerList after the promotion: %d sealers, want 5 ending with the new node", len(list))
	}

	// 3. A genesis sealer removed: it signs no later certificate, it is
	// disconnected, and the four others go on.
	removed := []byte(genesisSealers[3])
	at = decide(precompiled.NodeOpRemove, removed)
	h = commitSome(ctx, t, client, suite, 3)
	// In force two blocks after the vote's (compatibility version 0.4.0):
	// block at+1 is still certified by the old set.
	for b := at + 2; b <= h; b++ {
		if hasKey(certSigners(ctx, t, c.nodes[0], client, suite, b), removed) {
			t.Fatalf("block %d, after the removal, carries the removed sealer's signature", b)
		}
	}
	for c.nodes[3].PeerCount() != 0 {
		if ctx.Err() != nil {
			t.Fatalf("the removed sealer still has %d peers", c.nodes[3].PeerCount())
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.stop(3) // out of the node list: it is no longer expected to follow
	// With sealer 1 down too, 0, 2 and the new node are the quorum of 3:
	// sealer 2 votes again after its restart.
	c.stop(1)
	from := c.nodes[0].Height() + 1
	h = commitSome(ctx, t, client, suite, 2)
	c.waitHeight(h)
	c.checkSame(ctx, h)
	for b := at + 2; b <= h; b++ {
		s := certSigners(ctx, t, c.nodes[4], client, suite, b)
		if hasKey(s, removed) {
			t.Fatalf("block %d carries the removed sealer's signature", b)
		}
		if b >= from && (!hasKey(s, []byte(genesisSealers[2])) || !hasKey(s, newKey)) {
			t.Fatalf("block %d: the quorum of sealers 0, 2 and the new node did not all sign", b)
		}
	}
}
