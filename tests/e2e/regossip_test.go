package e2e

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/txtest"
	"github.com/gobcos/gobcos/sdk"
)

// TestAcceptedTxsReachRestartedSealers: one sealer of four accepts 6,000
// Ethereum txs of 300 senders while the three others are down, highest
// nonces first (every sender's last tx, then every sender's one before:
// txs arrive out of order from several clients), and the three come back
// with empty pools. Only node0's gossip can bring them the txs (the pool
// it hands a peer that connects, and its re-gossip), and a sealer leads
// only with txs of its own pool: every accepted tx must still be
// committed, on every node alike. (Re-gossip used to send the same oldest
// 2,000 txs every round: here those are the senders' highest nonces,
// useless to a node without the lower ones, and the chain stopped for
// good once its leader had nothing to propose.)
func TestAcceptedTxsReachRestartedSealers(t *testing.T) {
	skipShort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c, cl := loneSealer(t, ctx)
	defer cl.Close()
	const senders, perSender = 300, 20
	to := common.BigToAddress(big.NewInt(0x10000))
	keys := make([]crypto.PrivateKey, senders)
	for i := range keys {
		keys[i] = cryptotest.Key(t, cl.Suite())
	}
	var hashes []common.Hash
	for nonce := perSender - 1; nonce >= 0; nonce-- {
		for _, key := range keys {
			tx := txtest.SignEth(t, key, cl.ChainID(), &ethtypes.LegacyTx{Nonce: uint64(nonce), GasPrice: new(big.Int), Gas: 21000, To: &to, Value: new(big.Int)})
			hash, err := cl.SendTransaction(ctx, tx)
			if err != nil {
				t.Fatalf("sending a tx of nonce %d: %v", nonce, err)
			}
			hashes = append(hashes, hash)
		}
	}
	t.Logf("node0 accepted %d txs", len(hashes))
	for _, nd := range c.nodes[1:] {
		nd.start()
	}

	// Every accepted tx is committed: node0's pool empties, and it answers
	// every receipt.
	deadline := time.Now().Add(150 * time.Second)
	for {
		var st struct{ Pending, Queued hexutil.Uint64 }
		if err := c.nodes[0].rpcCall(&st, "txpool_status"); err != nil {
			t.Fatal(err)
		}
		if st.Pending == 0 && st.Queued == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted txs still pooled (%d queued) on node0 after 150 s, height %d", st.Pending+st.Queued, len(hashes), st.Queued, c.maxHeight())
		}
		time.Sleep(time.Second)
	}
	for _, hash := range hashes {
		if _, err := cl.TransactionReceipt(ctx, hash); err != nil {
			t.Fatalf("accepted tx %s left the pool uncommitted: %v", hash, err)
		}
	}
	h := c.maxHeight()
	t.Logf("all %d txs committed by height %d", len(hashes), h)
	waitHeight(t, c.nodes, h, 60*time.Second, "every node at the last block")
	sameChain(t, c.nodes, h)
}

// loneSealer starts a cluster of four ECDSA sealers and kills three, so
// that node0 accepts txs no block can take; it returns the cluster and a
// client of node0.
func loneSealer(t *testing.T, ctx context.Context) (*cluster, *sdk.Client) {
	c := startCluster(t, 4, crypto.NameECDSA)
	for _, nd := range c.nodes[1:] {
		nd.kill()
	}
	cl, err := sdk.Dial(ctx, c.nodes[0].rpcURL())
	if err != nil {
		t.Fatal(err)
	}
	return c, cl
}
