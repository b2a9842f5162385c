package node_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/consensus/raft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/govtest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// TestRaftMembersByGovernance: on a 3-voter Raft chain with two
// organisations (two governors, so a proposal needs the second vote), a
// node added with chain add-node runs as an observer; the committee
// votes it in as a sealer and it becomes a raft voter, blocks go on
// identically everywhere; the committee votes it out and it leaves the
// raft configuration.
func TestRaftMembersByGovernance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a 4-node chain")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base := freeBase(t, 3)
	opts := chainbuild.DefaultOptions()
	opts.Dir, opts.Nodes, opts.Orgs, opts.Consensus = filepath.Join(t.TempDir(), "chain"), 3, 2, "raft"
	opts.P2PPort, opts.RPCPort, opts.MetricsPort = base, base+3, 0
	res, err := chainbuild.Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	c := &pbftChain{t: t, dir: res.Dir, nodes: make([]*node.Node, 4)}
	for _, e := range res.Manifest.Nodes {
		c.names = append(c.names, e.Name)
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
	})
	c.addNode(res.Manifest.Orgs[0].Name, true)
	c.startAll()

	suite := c.nodes[0].Genesis().Suite()
	var govs []crypto.PrivateKey
	for _, o := range res.Manifest.Orgs {
		govs = append(govs, govtest.OrgAdmin(t, c.dir, o.Name, suite))
	}
	client := nodetest.Dial(t, ctx, c.nodes[0])
	// The first governor proposes a node change and the second votes for it.
	committee := govtest.New(t, client, govs[0], govs[1])
	decide := func(op uint8, id []byte) {
		t.Helper()
		committee.ProposeNode(ctx, op, id, 1)
		// From compatibility version 0.4.0 the change is in force two
		// blocks after the vote's: commit the block between.
		commitSome(ctx, t, client, suite, 1)
	}

	obsKey := observerKey(t, c)
	obsID := raft.NodeID(suite, obsKey)
	isVoter := func() bool {
		for i := range 3 {
			if e := c.nodes[i].RaftEngine(); e != nil && e.Status().Leader {
				return slices.Contains(e.Stats().Core.Voters, obsID)
			}
		}
		return false
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); !ok(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: leader's raft status %+v", what, c.nodes[0].RaftEngine().Stats().Core)
			}
		}
	}

	decide(precompiled.NodeOpAddSealer, obsKey)
	waitFor("the new sealer becomes a voter", isVoter)
	if v := c.nodes[3].RaftEngine().Stats().Core.Voters; !slices.Contains(v, obsID) {
		// the new node's own view follows once the change reaches it
		waitFor("the new sealer sees itself a voter", func() bool {
			return slices.Contains(c.nodes[3].RaftEngine().Stats().Core.Voters, obsID)
		})
	}
	h := commitSome(ctx, t, client, suite, 3)
	c.waitHeight(h)
	c.checkSame(ctx, h)

	decide(precompiled.NodeOpRemove, obsKey)
	waitFor("the removed sealer leaves the voters", func() bool { return !isVoter() })
	h = commitSome(ctx, t, client, suite, 2)
	c.stop(3) // out of the node list: it is no longer expected to follow
	c.waitHeight(h)
	c.checkSame(ctx, h)
}

// commitSome sends count txs and returns the highest block holding one.
func commitSome(ctx context.Context, t *testing.T, client *sdk.Client, suite crypto.Suite, count int) uint64 {
	t.Helper()
	key := cryptotest.Key(t, suite)
	to := precompiled.CommitteeAddress
	to[0] = 0x53
	var top uint64
	for range count {
		r, err := client.SendNativeWait(ctx, key, &to, nil, []byte("members"), 0)
		if err != nil || !r.Succeeded() {
			t.Fatalf("%+v %v", r, err)
		}
		top = max(top, r.BlockNumber)
	}
	return top
}

// TestObserverAdmittedByGovernance: on a PBFT chain, a node made with
// chain add-node and no allow-list update is refused until the committee
// lists it as an observer; then the sealers admit it and it syncs.
func TestObserverAdmittedByGovernance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a 5-node chain")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, added := sealersAndNewNode(t)
	suite := c.nodes[0].Genesis().Suite()
	client := nodetest.Dial(t, ctx, c.nodes[0])

	// Not in the node list, not allow-listed: the sealers refuse it.
	c.start(4)
	h := commitSome(ctx, t, client, suite, 1)
	time.Sleep(time.Second)
	if p := c.nodes[4].PeerCount(); p != 0 {
		t.Fatalf("the unlisted node has %d peers", p)
	}
	c.stop(4)

	committee := govtest.New(t, client, govtest.OrgAdmin(t, c.dir, "org1", suite))
	obsKey := govtest.NodeKey(t, added.Node.NodeID)
	committee.ProposeNode(ctx, precompiled.NodeOpAddObserver, obsKey, 0)
	h = max(h, commitSome(ctx, t, client, suite, 1))
	c.start(4)
	c.waitHeight(h)
	c.checkSame(ctx, h)

	// Removed again, it loses its open connections (network.Config.Recheck),
	// not only its next handshakes.
	committee.ProposeNode(ctx, precompiled.NodeOpRemove, obsKey, 0)
	commitSome(ctx, t, client, suite, 1)
	for c.nodes[4].PeerCount() != 0 {
		if ctx.Err() != nil {
			t.Fatalf("the removed observer still has %d peers", c.nodes[4].PeerCount())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
