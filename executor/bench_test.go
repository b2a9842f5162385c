package executor

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/types"
)

// benchCall measures eth_call of data on a deployed Store. sys chooses the
// system contracts: with any registered, the EVM runs with the frame
// tracking hooks (go-ethereum's table-driven interpreter loop).
func benchCall(b *testing.B, sys *precompiled.Registry, method string, args ...any) {
	store := loadContract(b, "Store")
	cfg := testConfig()
	cfg.SystemContracts = sys
	c := newChain(b, crypto.ECDSA(), cfg, nil)
	user := newNativeSigner(b, crypto.ECDSA())
	addr := c.receipt(user.tx(b, nil, nil, store.deployData(b, big.NewInt(1)), 0)).ContractAddress
	msg := CallMsg{From: user.addr(), To: &addr, Data: store.pack(b, method, args...)}
	env := c.env()
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.e.Call(context.Background(), env, msg, c.kv)
		if err != nil || res.Err != nil {
			b.Fatalf("%v %v", err, res.Err)
		}
	}
}

func BenchmarkCallValue(b *testing.B) { benchCall(b, nil, "value") }

func BenchmarkCallFill50(b *testing.B) { benchCall(b, nil, "fill", big.NewInt(50)) }

func BenchmarkCallValueNoSystemContracts(b *testing.B) {
	benchCall(b, precompiled.NewRegistry(), "value")
}

func BenchmarkCallFill50NoSystemContracts(b *testing.B) {
	benchCall(b, precompiled.NewRegistry(), "fill", big.NewInt(50))
}

// BenchmarkExecuteBlock100 executes a block of 100 native txs calling
// Store.set (senders already verified, as the txpool leaves them).
func BenchmarkExecuteBlock100(b *testing.B) {
	store := loadContract(b, "Store")
	c := newChain(b, crypto.ECDSA(), testConfig(), nil)
	user := newNativeSigner(b, crypto.ECDSA())
	addr := c.receipt(user.tx(b, nil, nil, store.deployData(b, big.NewInt(1)), 0)).ContractAddress
	txs := make([]*types.Transaction, 100)
	for i := range txs {
		txs[i] = user.tx(b, &addr, nil, store.pack(b, "set", big.NewInt(int64(i))), 0)
		if _, err := txs[i].Verify(crypto.ECDSA(), testChainID, testGroup); err != nil {
			b.Fatal(err)
		}
	}
	env := c.env()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.e.ExecuteBlock(context.Background(), env, common.Hash{}, txs, c.kv); err != nil {
			b.Fatal(err)
		}
	}
}
