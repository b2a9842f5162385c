package node_test

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
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/internal/txtest"
)

// One account sends both kinds of tx. Its Ethereum tx with nonce 1 waits
// in the pool behind a gap until its native tx commits: executing the
// native tx advances the account nonce to 1, so the Ethereum tx becomes
// executable and commits without any other Ethereum tx of the account.
func TestNativeTxFillsEthNonceGap(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, _ := startNode(t, crypto.NameECDSA)
	client := nodetest.Dial(t, ctx, n)
	key := cryptotest.Key(t, client.Suite())
	to := common.Address{0x42}

	e1 := txtest.SignEth(t, key, client.ChainID(), &ethtypes.LegacyTx{Nonce: 1, Gas: 21000, GasPrice: new(big.Int), To: &to})
	if _, err := client.SendTransaction(ctx, e1); err != nil {
		t.Fatal(err)
	}
	var status map[string]hexutil.Uint64
	if err := client.RPC().CallContext(ctx, &status, "txpool_status"); err != nil {
		t.Fatal(err)
	}
	if status["queued"] != 1 {
		t.Fatalf("txpool_status with a nonce gap: %v", status)
	}

	r, err := client.SendNativeWait(ctx, key, &to, nil, nil, 21000)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Succeeded() {
		t.Fatalf("native tx failed: %+v", r)
	}
	// A few blocks' time is plenty: the pool proposes e1 in the next block.
	wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
	defer wcancel()
	r, err = client.WaitReceipt(wctx, e1.Hash())
	if err != nil {
		t.Fatalf("Ethereum tx with nonce 1 not committed after the native tx took nonce 0: %v", err)
	}
	if !r.Succeeded() {
		t.Fatalf("Ethereum tx failed: %+v", r)
	}
	waitPoolEmpty(t, ctx, client.RPC())
}
