package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
)

// TestPBFTFetchesTxsGossipMissed: on a chain at compatibility version
// 0.3.0, proposals carry tx hashes. Two of four sealers never receive
// gossiped txs, so every block needs at least one of them to fetch the
// bodies it lacks to vote, and both to execute; the chain commits the
// same blocks everywhere.
func TestPBFTFetchesTxsGossipMissed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := buildPBFTChain(t, "ecdsa", 4)
	c.tweak = func(i int, cfg *node.Config) { cfg.TestDropTxGossip = i >= 2 }
	c.startAll()
	if r, err := c.nodes[0].RulesAt(c.nodes[0].Height() + 1); err != nil || !r.TxHashProposals {
		t.Fatalf("a new chain's proposals carry bodies: %+v %v", r, err)
	}

	client := nodetest.Dial(t, ctx, c.nodes[0])
	key := cryptotest.Key(t, client.Suite())
	to := common.Address{0x42}
	var top uint64
	for range 3 {
		r, err := client.SendNativeWait(ctx, key, &to, nil, []byte("fetch"), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Succeeded() {
			t.Fatalf("receipt %+v", r)
		}
		top = max(top, r.BlockNumber)
	}
	c.waitHeight(top)
	c.checkSame(ctx, top)
	var served uint64
	for i, n := range c.nodes {
		s := n.PBFTEngine().Stats()
		if i >= 2 && s.TxsFetched == 0 {
			t.Errorf("node %d committed txs gossip never brought it without fetching them: %+v", i, s)
		}
		if s.FetchBadBodies != 0 || s.FetchMalformed != 0 {
			t.Errorf("node %d: %+v", i, s)
		}
		served += s.TxsServed
	}
	if served == 0 {
		t.Error("no node served a tx body")
	}
}

// TestUpgradeToTxHashProposals: a chain created at 0.1.0 orders proposals
// with tx bodies, so sealers that never get gossiped txs need no fetch;
// once the committee raises the version to 0.3.0 they must fetch, and
// every node commits the same blocks across the switch.
func TestUpgradeToTxHashProposals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := buildUpgradeChain(t)
	c.tweak = func(i int, cfg *node.Config) { cfg.TestDropTxGossip = i >= 2 }
	for i := range c.nodes {
		c.startAs(i, newBinary)
	}
	c.waitPeers()
	client := c.client(ctx, 0)
	key := cryptotest.Key(t, client.Suite())
	to := common.Address{0x42}
	send := func() uint64 {
		t.Helper()
		r, err := client.SendNativeWait(ctx, key, &to, nil, []byte("form"), 0)
		if err != nil || !r.Succeeded() {
			t.Fatalf("%v %+v", err, r)
		}
		return r.BlockNumber
	}
	fetched := func(i int) uint64 { return c.nodes[i].PBFTEngine().Stats().TxsFetched }

	h := send()
	c.waitHeight(h)
	if r, err := c.nodes[2].RulesAt(c.nodes[2].Height() + 1); err != nil || r.TxHashProposals {
		t.Fatalf("a 0.1.0 chain's proposals carry hashes: %+v %v", r, err)
	}
	for i := 2; i < 4; i++ {
		if n := fetched(i); n != 0 {
			t.Fatalf("node %d fetched %d txs from proposals that carry bodies", i, n)
		}
	}

	c.waitHeight(c.upgradeTo(ctx, 0, precompiled.CompatV0_3))
	if r, err := c.nodes[2].RulesAt(c.nodes[2].Height() + 1); err != nil || !r.TxHashProposals {
		t.Fatalf("after the upgrade proposals carry bodies: %+v %v", r, err)
	}
	var top uint64
	for range 2 {
		top = send()
	}
	c.waitHeight(top)
	c.checkSame(ctx, top)
	for i := 2; i < 4; i++ {
		if fetched(i) == 0 {
			t.Errorf("node %d committed hash proposals of txs it never had without fetching them", i)
		}
	}
}
