package rpc

import (
	"context"
	"errors"
	"math/big"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
)

// go-ethereum's own client must understand every answer it asks for.
func TestEthclientInterop(t *testing.T) {
	e := newTestEnv(t, Config{})
	srv := httptest.NewServer(e.s.Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, url := range []string{srv.URL, "ws" + strings.TrimPrefix(srv.URL, "http")} {
		c, err := ethclient.DialContext(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if id, err := c.ChainID(ctx); err != nil || id.Uint64() != testChainID {
			t.Fatalf("ChainID %v %v", id, err)
		}
		if n, err := c.BlockNumber(ctx); err != nil || n != e.f.Head().Number {
			t.Fatalf("BlockNumber %v %v", n, err)
		}
		h, err := c.HeaderByNumber(ctx, big.NewInt(1))
		if err != nil || h.Number.Uint64() != 1 || h.TxHash != e.f.blocks[1].Header.TxRoot {
			t.Fatalf("HeaderByNumber %v %v", h, err)
		}
		tx, pending, err := c.TransactionByHash(ctx, e.txs[2].Hash())
		if err != nil || pending || tx.Hash() != e.txs[2].Hash() {
			t.Fatalf("TransactionByHash %v", err)
		}
		if from, err := c.TransactionSender(ctx, tx, e.f.blocks[1].Header.Hash(e.f.suite), 2); err != nil || from != e.alice.key.Address() {
			t.Fatalf("TransactionSender %v %v", from, err)
		}
		r, err := c.TransactionReceipt(ctx, e.txs[0].Hash())
		if err != nil || r.Status != 1 || len(r.Logs) != 1 || r.BlockNumber.Uint64() != 1 {
			t.Fatalf("TransactionReceipt %+v %v", r, err)
		}
		logs, err := c.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: big.NewInt(0), Addresses: []common.Address{tokenAddr}})
		if err != nil || len(logs) != 2 {
			t.Fatalf("FilterLogs %d %v", len(logs), err)
		}
		out, err := c.CallContract(ctx, ethereum.CallMsg{To: &tokenAddr, Data: []byte{1}}, nil)
		if err != nil || string(out) != "\xca\xfe\x01" {
			t.Fatalf("CallContract %x %v", out, err)
		}
		_, err = c.CallContract(ctx, ethereum.CallMsg{To: &revertAddr}, nil)
		var de gethrpc.DataError
		if !errors.As(err, &de) || err.Error() != "execution reverted: boom" || de.ErrorData() != "0x"+common.Bytes2Hex(revertData("boom")) {
			t.Fatalf("revert through ethclient: %v", err)
		}
		if gas, err := c.EstimateGas(ctx, ethereum.CallMsg{To: &tokenAddr}); err != nil || gas != 21000 {
			t.Fatalf("EstimateGas %d %v", gas, err)
		}
		if _, err := c.SuggestGasTipCap(ctx); err != nil {
			t.Fatal(err)
		}
		if fh, err := c.FeeHistory(ctx, 2, nil, []float64{50}); err != nil || len(fh.GasUsedRatio) != 2 {
			t.Fatalf("FeeHistory %v", err)
		}
		next := e.alice.legacy(&otherAddr, 0, nil)
		if err := c.SendTransaction(ctx, next.Eth()); err != nil {
			t.Fatalf("SendTransaction: %v", err)
		}
		if err := c.SendTransaction(ctx, next.Eth()); err == nil || err.Error() != "already known" {
			t.Fatalf("duplicate: %v", err)
		}
		e.f.mine()
	}
	// A subscription through ethclient.
	c, err := ethclient.DialContext(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	heads := make(chan *ethtypes.Header, 4)
	sub, err := c.SubscribeNewHead(ctx, heads)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	b := e.f.mine()
	// The hub may still deliver the block mined just before subscribing.
	for got := uint64(0); got != b.Header.Number; {
		select {
		case h := <-heads:
			got = h.Number.Uint64()
			if got > b.Header.Number {
				t.Fatalf("head %d", got)
			}
		case err := <-sub.Err():
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatal("no head")
		}
	}
}
