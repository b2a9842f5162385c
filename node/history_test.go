package node_test

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/contracttest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
)

func TestPastBlockReads(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, cfg := startNode(t, crypto.NameECDSA)
	ec, err := ethclient.DialContext(ctx, "http://"+n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	blocks, addr, from, store := storeWrites(t, ctx, ec, 9, 11)
	get := store.ABI.Methods["get"].ID
	r1 := blocks[0]
	check := func(ec *ethclient.Client) {
		for i, want := range []int64{5, 9, 11} {
			bn := blocks[i].BlockNumber
			out, err := ec.CallContract(ctx, ethereum.CallMsg{To: &addr, Data: get}, bn)
			if err != nil || new(big.Int).SetBytes(out).Int64() != want {
				t.Fatalf("get() at %v = %x, %v; want %d", bn, out, err, want)
			}
			out, err = ec.CallContractAtHash(ctx, ethereum.CallMsg{To: &addr, Data: get}, blocks[i].BlockHash)
			if err != nil || new(big.Int).SetBytes(out).Int64() != want {
				t.Fatalf("get() at hash %v = %x, %v; want %d", blocks[i].BlockHash, out, err, want)
			}
			nonce, err := ec.NonceAt(ctx, from, bn)
			if err != nil || nonce != uint64(i+1) {
				t.Fatalf("nonce at %v = %d, %v", bn, nonce, err)
			}
			slot, err := ec.StorageAt(ctx, addr, common.Hash{}, bn)
			if err != nil || new(big.Int).SetBytes(slot).Int64() != want {
				t.Fatalf("slot 0 at %v = %x, %v", bn, slot, err)
			}
			if _, err := ec.EstimateGasAtBlock(ctx, ethereum.CallMsg{From: from, To: &addr, Data: get}, bn); err != nil {
				t.Fatalf("estimate at %v: %v", bn, err)
			}
		}
		before := new(big.Int).Sub(r1.BlockNumber, big.NewInt(1))
		code, err := ec.CodeAt(ctx, addr, before)
		if err != nil || len(code) != 0 {
			t.Fatalf("code before deployment: %x %v", code, err)
		}
		if code, err := ec.CodeAt(ctx, addr, r1.BlockNumber); err != nil || len(code) == 0 {
			t.Fatalf("code at deployment: %v", err)
		}
		head, _ := ec.BlockNumber(ctx)
		_, err = ec.BalanceAt(ctx, from, new(big.Int).SetUint64(head+100))
		if err == nil || !strings.Contains(err.Error(), "is not yet committed") {
			t.Fatalf("future block: %v", err)
		}
		t.Logf("future block error: %v", err)
	}
	check(ec)
	ec.Close()
	n.Stop()
	n2 := runConfig(t, cfg)
	ec2, err := ethclient.DialContext(ctx, "http://"+n2.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer ec2.Close()
	check(ec2)
}

// TestNoStateHistory runs a node with [state] history = "none": calls and
// state queries at the latest block answer, those at an earlier block are
// refused with an error that says why, and blocks and receipts of every
// block stay readable.
func TestNoStateHistory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := nodetest.DevConfig(t, crypto.NameECDSA, nil)
	cfg.State.History = node.StateHistoryNone
	n := runConfig(t, cfg)
	ec, err := ethclient.DialContext(ctx, "http://"+n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	rs, addr, from, store := storeWrites(t, ctx, ec, 9)
	r1, r2 := rs[0], rs[1]
	get := store.ABI.Methods["get"].ID
	out, err := ec.CallContract(ctx, ethereum.CallMsg{To: &addr, Data: get}, nil)
	if err != nil || new(big.Int).SetBytes(out).Int64() != 9 {
		t.Fatalf("get() at the latest block = %x, %v; want 9", out, err)
	}
	if nonce, err := ec.NonceAt(ctx, from, r2.BlockNumber); err != nil || nonce != 2 {
		t.Fatalf("nonce at the head, by number = %d, %v", nonce, err)
	}
	_, err = ec.CallContract(ctx, ethereum.CallMsg{To: &addr, Data: get}, r1.BlockNumber)
	if err == nil || !strings.Contains(err.Error(), "no state history") {
		t.Fatalf("get() at block %v = %v, want an error saying the node keeps no state history", r1.BlockNumber, err)
	}
	t.Logf("past block error: %v", err)
	if _, err := ec.BalanceAt(ctx, from, r1.BlockNumber); err == nil {
		t.Fatal("balance at a past block answered without history")
	}
	if b, err := ec.BlockByNumber(ctx, r1.BlockNumber); err != nil || len(b.Transactions()) != 1 {
		t.Fatalf("block %v: %v", r1.BlockNumber, err)
	}
	if r, err := ec.TransactionReceipt(ctx, r1.TxHash); err != nil || r.ContractAddress != addr {
		t.Fatalf("receipt of the deployment: %v", err)
	}
}

// storeWrites deploys the Store contract (value 5) over ec from a new key,
// then sets it to each of values in turn, one tx and block each. It
// returns their receipts (the deployment's first), the contract's address,
// the sender and the contract.
func storeWrites(t *testing.T, ctx context.Context, ec *ethclient.Client, values ...int64) ([]*ethtypes.Receipt, common.Address, common.Address, contracttest.Artifact) {
	t.Helper()
	chainID, err := ec.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ethcrypto.GenerateKey()
	signer := ethtypes.LatestSignerForChainID(chainID)
	store := contracttest.Load(t, "Store")
	initArgs, _ := store.ABI.Pack("", big.NewInt(5))
	deploy := ethtypes.MustSignNewTx(key, signer, &ethtypes.LegacyTx{Nonce: 0, GasPrice: new(big.Int), Gas: 1_000_000, Data: append(append([]byte(nil), store.Bin...), initArgs...)})
	if err := ec.SendTransaction(ctx, deploy); err != nil {
		t.Fatal(err)
	}
	receipts := []*ethtypes.Receipt{waitReceipt(t, ctx, ec, deploy.Hash())}
	addr := receipts[0].ContractAddress
	for i, v := range values {
		in, _ := store.ABI.Pack("set", big.NewInt(v))
		tx := ethtypes.MustSignNewTx(key, signer, &ethtypes.LegacyTx{Nonce: uint64(i + 1), GasPrice: new(big.Int), Gas: 200_000, To: &addr, Data: in})
		if err := ec.SendTransaction(ctx, tx); err != nil {
			t.Fatal(err)
		}
		receipts = append(receipts, waitReceipt(t, ctx, ec, tx.Hash()))
	}
	return receipts, addr, ethcrypto.PubkeyToAddress(key.PublicKey), store
}
