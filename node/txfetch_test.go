package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
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

	client, err := sdk.Dial(ctx, "ws://"+c.nodes[0].RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	key, err := client.Suite().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
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
