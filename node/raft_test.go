package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/consensus/raft"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/internal/govtest"
	"github.com/gobcos/gobcos/sdk"
)

// TestRaftChain runs a 3-node Raft chain in process with an observer:
// commits, the leader stopped (a new one is elected, commits go on),
// restart and catch-up, identical blocks everywhere, each block signed by
// its leader only with the raft term/index in Extra, and the observer
// following by block sync.
func TestRaftChain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := buildChain(t, "raft", "ecdsa", 3)
	c.addNode("org1", true)
	c.nodes = append(c.nodes, nil)
	c.startAll()

	send := func(via, count int) (top uint64, miner common.Address) {
		t.Helper()
		client, err := sdk.Dial(ctx, "ws://"+c.nodes[via].RPCAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		key, _ := client.Suite().GenerateKey()
		to := common.Address{0x52}
		for range count {
			r, err := client.SendNativeWait(ctx, key, &to, nil, []byte("raft"), 0)
			if err != nil || !r.Succeeded() {
				t.Fatalf("via node %d: %+v %v", via, r, err)
			}
			top = max(top, r.BlockNumber)
		}
		var blk struct {
			Miner common.Address `json:"miner"`
		}
		if err := client.RPC().CallContext(ctx, &blk, "eth_getBlockByNumber", hexutil.EncodeUint64(top), false); err != nil {
			t.Fatal(err)
		}
		return top, blk.Miner
	}

	h, leaderAddr := send(3, 3) // through the observer: gossip brings the txs to the leader
	c.waitHeight(h)
	c.checkSame(ctx, h)
	client, err := sdk.Dial(ctx, "ws://"+c.nodes[3].RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Consensus string `json:"consensus"`
	}
	if err := client.RPC().CallContext(ctx, &info, "bcos_getChainInfo"); err != nil || info.Consensus != "raft" {
		t.Fatalf("chain info %+v: %v", info, err)
	}
	for b := uint64(1); b <= h; b++ {
		var blk struct {
			ExtraData  hexutil.Bytes `json:"extraData"`
			Signatures []struct {
				Index hexutil.Uint64 `json:"index"`
			} `json:"signatures"`
		}
		if err := client.RPC().CallContext(ctx, &blk, "eth_getBlockByNumber", hexutil.EncodeUint64(b), false); err != nil {
			t.Fatal(err)
		}
		term, index, err := raft.DecodeExtra(blk.ExtraData)
		if err != nil || term == 0 || index == 0 || len(blk.Signatures) != 1 || blk.Signatures[0].Index >= 3 {
			t.Fatalf("block %d: extra %x (%v), %d signatures", b, blk.ExtraData, err, len(blk.Signatures))
		}
	}
	client.Close()

	// Stop the node that sealed the last block (the leader).
	leader := -1
	for i := range 3 {
		if c.nodes[i].Genesis() != nil && addrOf(t, c, i) == leaderAddr {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatalf("sealer %s of block %d is not a genesis sealer", leaderAddr, h)
	}
	c.stop(leader)
	via := (leader + 1) % 3
	h2, newLeader := send(via, 2)
	if h2 <= h || newLeader == leaderAddr {
		t.Fatalf("after stopping the leader: height %d -> %d, sealer %s -> %s", h, h2, leaderAddr, newLeader)
	}
	c.waitHeight(h2)
	c.checkSame(ctx, h2)

	c.start(leader)
	c.waitPeers()
	h3, _ := send(leader, 1)
	c.waitHeight(h3)
	c.checkSame(ctx, h3)

	// The observer becomes a raft learner when governance lists it as an
	// observer (one organisation: its admin's proposal executes at once).
	obsKey := observerKey(t, c)
	obsID := raft.NodeID(c.nodes[0].Genesis().Suite(), obsKey)
	admin := govtest.OrgAdmin(t, c.dir, "org1", c.nodes[0].Genesis().Suite())
	gc, err := sdk.Dial(ctx, "ws://"+c.nodes[0].RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	govtest.New(t, gc, admin).ProposeNode(ctx, precompiled.NodeOpAddObserver, obsKey, 0)
	gc.Close()
	send(0, 1) // from compatibility version 0.4.0 the change is in force two blocks after the proposal's
	deadline := time.Now().Add(30 * time.Second)
	for {
		if l := c.nodes[3].RaftEngine().Stats().Core.Learners; len(l) == 1 && l[0] == obsID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("observer not added as learner: %+v", c.nodes[3].RaftEngine().Stats().Core)
		}
		time.Sleep(100 * time.Millisecond)
	}
	h4, _ := send(0, 1)
	c.waitHeight(h4)
	c.checkSame(ctx, h4)
	if c.nodes[3].RaftEngine().Status().Sealer {
		t.Fatal("the learner reports itself a sealer")
	}
	t.Logf("heights %d, %d after the leader stopped, %d after its restart, %d with the observer as learner", h, h2, h3, h4)
}

// observerKey is the public key of node 3 (added by chain add-node).
func observerKey(t *testing.T, c *pbftChain) []byte {
	t.Helper()
	m, err := chainbuild.ReadManifest(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range m.Nodes {
		if e.Name == c.names[3] {
			return govtest.NodeKey(t, e.NodeID)
		}
	}
	t.Fatal("observer not in the manifest")
	return nil
}

func addrOf(t *testing.T, c *pbftChain, i int) common.Address {
	t.Helper()
	g := c.nodes[i].Genesis()
	return g.Suite().Address(g.Sealers[i])
}
