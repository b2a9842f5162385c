package e2e

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/txtest"
	"github.com/gobcos/gobcos/sdk"
)

// TestAcceptedTxsSurviveKilledSealer: one sealer of four accepts 400
// Ethereum txs while the three others are down, so that no block can take
// them and no peer holds them, and is then SIGKILLed. When the four come
// back, every tx it had accepted is committed: the killed node offers
// them again from its tx journal.
func TestAcceptedTxsSurviveKilledSealer(t *testing.T) {
	skipShort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, cl := loneSealer(t, ctx)
	const senders, perSender = 200, 2
	to := common.BigToAddress(big.NewInt(0x10000))
	var hashes []common.Hash
	for range senders {
		key := cryptotest.Key(t, cl.Suite())
		for nonce := range uint64(perSender) {
			tx := txtest.SignEth(t, key, cl.ChainID(), &ethtypes.LegacyTx{Nonce: nonce, GasPrice: new(big.Int), Gas: 21000, To: &to, Value: new(big.Int)})
			hash, err := cl.SendTransaction(ctx, tx)
			if err != nil {
				t.Fatalf("sending a tx: %v", err)
			}
			hashes = append(hashes, hash)
		}
	}
	cl.Close()
	c.nodes[0].kill()
	t.Logf("node0 accepted %d txs and was killed", len(hashes))
	for _, nd := range c.nodes {
		nd.start()
	}

	restarted, err := sdk.Dial(ctx, c.nodes[0].rpcURL())
	if err != nil {
		t.Fatal(err)
	}
	defer restarted.Close()
	wctx, wcancel := context.WithTimeout(ctx, 120*time.Second)
	defer wcancel()
	for _, hash := range hashes {
		r, err := restarted.WaitReceipt(wctx, hash)
		if err != nil {
			t.Fatalf("tx %s, accepted before node0 was killed, not committed: %v (height %d)", hash, err, c.maxHeight())
		}
		if !r.Succeeded() {
			t.Fatalf("tx %s failed: %+v", hash, r)
		}
	}
	h := c.maxHeight()
	t.Logf("all %d txs committed by height %d", len(hashes), h)
	waitHeight(t, c.nodes, h, 60*time.Second, "every node at the last block")
	sameChain(t, c.nodes, h)
}
