package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/types"
)

// TestGossipBatches sends txs to one sealer of a 4-node chain in one
// JSON-RPC batch: they reach the other sealers (all commit) in gossip
// batches, fewer messages than txs on both sides.
func TestGossipBatches(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := buildPBFTChain(t, "ecdsa", 4)
	c.startAll()
	client := nodetest.Dial(t, ctx, c.nodes[0])
	key := cryptotest.Key(t, client.Suite())
	const count = 200
	to := common.Address{0x45}
	txs := make([]*types.Transaction, count)
	for i := range txs {
		tx, err := client.NewNativeTx(ctx, key, &to, nil, []byte("batch"), 0)
		if err != nil {
			t.Fatal(err)
		}
		txs[i] = tx
	}
	batch := make([]rpc.BatchElem, count)
	for i, tx := range txs {
		batch[i] = rpc.BatchElem{Method: "bcos_sendTransaction", Args: []any{hexutil.Bytes(tx.Bytes()), false}, Result: new(any)}
	}
	if err := client.RPC().BatchCallContext(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for i, e := range batch {
		if e.Error != nil {
			t.Fatalf("tx %d: %v", i, e.Error)
		}
	}
	for _, tx := range txs {
		r, err := client.WaitReceipt(ctx, tx.Hash())
		if err != nil || !r.Succeeded() {
			t.Fatalf("tx %s: %+v, %v", tx.Hash(), r, err)
		}
	}
	st := c.nodes[0].GossipStats()
	t.Logf("node 0 gossip: %+v", st)
	if st.TxsSent < count || st.BatchesSent >= st.TxsSent || st.Dropped != 0 {
		t.Fatalf("node 0 sent %d txs in %d batches (%d dropped)", st.TxsSent, st.BatchesSent, st.Dropped)
	}
	// Every other node receives all of the txs, in batches: node 0 sent
	// them to its three peers, and a connection replaced right after start
	// (both nodes dialled) is drained, not cut (network: drain.go). A slow
	// node may read its last batch after the block committed: wait a
	// little for that.
	for i, n := range c.nodes[1:] {
		st := n.GossipStats()
		for deadline := time.Now().Add(5 * time.Second); st.TxsReceived < count && time.Now().Before(deadline); st = n.GossipStats() {
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("node %d gossip: %+v", i+1, st)
		if st.TxsReceived < count || st.BatchesReceived >= st.TxsReceived || st.BadMessages != 0 {
			t.Fatalf("node %d received %d txs in %d batches (%d bad)", i+1, st.TxsReceived, st.BatchesReceived, st.BadMessages)
		}
	}
}
