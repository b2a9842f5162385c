package node_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/crypto"
)

// A node's txpool_* answers follow its pool: a tx behind a nonce gap is
// queued until the gap fills, then both commit and the pool is empty.
func TestTxpoolRPC(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, _ := startNode(t, crypto.NameECDSA)
	c, err := gethrpc.DialContext(ctx, "http://"+n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key, _ := ethcrypto.GenerateKey()
	from := ethcrypto.PubkeyToAddress(key.PublicKey)
	signer := ethtypes.LatestSignerForChainID(new(big.Int).SetUint64(n.Genesis().ChainID))
	to := common.Address{0x42}
	send := func(nonce uint64) common.Hash {
		tx := ethtypes.MustSignNewTx(key, signer, &ethtypes.LegacyTx{Nonce: nonce, Gas: 21000, GasPrice: new(big.Int), To: &to})
		raw, _ := tx.MarshalBinary()
		var h common.Hash
		if err := c.CallContext(ctx, &h, "eth_sendRawTransaction", hexutil.Encode(raw)); err != nil {
			t.Fatalf("send nonce %d: %v", nonce, err)
		}
		return h
	}
	status := func() map[string]hexutil.Uint64 {
		var s map[string]hexutil.Uint64
		if err := c.CallContext(ctx, &s, "txpool_status"); err != nil {
			t.Fatal(err)
		}
		return s
	}
	late := send(1)
	if s := status(); s["queued"] != 1 || s["pending"] != 0 {
		t.Fatalf("status with a nonce gap: %v", s)
	}
	var content map[string]map[string]struct {
		Hash common.Hash `json:"hash"`
	}
	if err := c.CallContext(ctx, &content, "txpool_contentFrom", from); err != nil {
		t.Fatal(err)
	}
	if content["queued"]["1"].Hash != late {
		t.Fatalf("content from the sender: %v", content)
	}
	first := send(0)
	for _, h := range []common.Hash{first, late} {
		for {
			var r map[string]any
			if err := c.CallContext(ctx, &r, "eth_getTransactionReceipt", h); err != nil {
				t.Fatal(err)
			}
			if r != nil {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("tx %v not committed", h)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	waitPoolEmpty(t, ctx, c)
}

// waitPoolEmpty waits until txpool_status reports no tx. The pool drops a
// committed tx just after the ledger shows its receipt (the engine tells
// the pool after the commit), so a client may see both for a moment.
func waitPoolEmpty(t *testing.T, ctx context.Context, c *gethrpc.Client) {
	t.Helper()
	var s map[string]hexutil.Uint64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := c.CallContext(ctx, &s, "txpool_status"); err != nil {
			t.Fatal(err)
		}
		if s["queued"] == 0 && s["pending"] == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("txpool_status after the txs committed: %v", s)
		}
	}
}
