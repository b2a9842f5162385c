package node_test

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/contracttest"
)

// TestEthclient drives an ECDSA chain with go-ethereum's own ethclient, as
// an application written for Ethereum would: no gobcos code on the client.
func TestEthclient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, _ := startNode(t, crypto.NameECDSA)
	ec, err := ethclient.DialContext(ctx, "ws://"+n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	chainID, err := ec.ChainID(ctx)
	if err != nil || chainID.Uint64() != n.Genesis().ChainID {
		t.Fatalf("chain id %v, %v", chainID, err)
	}
	heads := make(chan *ethtypes.Header, 16)
	sub, err := ec.SubscribeNewHead(ctx, heads)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	key, _ := ethcrypto.GenerateKey()
	from := ethcrypto.PubkeyToAddress(key.PublicKey)
	signer := ethtypes.LatestSignerForChainID(chainID)
	store := contracttest.Load(t, "Store")
	initArgs, err := store.ABI.Pack("", big.NewInt(5))
	if err != nil {
		t.Fatal(err)
	}
	gasPrice, err := ec.SuggestGasPrice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := ec.PendingNonceAt(ctx, from)
	if err != nil || nonce != 0 {
		t.Fatalf("nonce %d, %v", nonce, err)
	}
	deployData := append(append([]byte(nil), store.Bin...), initArgs...)
	gas, err := ec.EstimateGas(ctx, ethereum.CallMsg{From: from, Data: deployData})
	if err != nil {
		t.Fatal(err)
	}
	tx := ethtypes.MustSignNewTx(key, signer, &ethtypes.LegacyTx{Nonce: 0, GasPrice: gasPrice, Gas: gas, Data: deployData})
	if err := ec.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	rcpt := waitReceipt(t, ctx, ec, tx.Hash())
	if rcpt.Status != 1 || rcpt.ContractAddress != ethcrypto.CreateAddress(from, 0) {
		t.Fatalf("deploy receipt %+v", rcpt)
	}
	addr := rcpt.ContractAddress

	// An EIP-1559 tx calling set(9).
	input, _ := store.ABI.Pack("set", big.NewInt(9))
	tx2 := ethtypes.MustSignNewTx(key, signer, &ethtypes.DynamicFeeTx{ChainID: chainID, Nonce: 1, GasTipCap: big.NewInt(0), GasFeeCap: big.NewInt(0), Gas: 100_000, To: &addr, Data: input})
	if err := ec.SendTransaction(ctx, tx2); err != nil {
		t.Fatal(err)
	}
	rcpt2 := waitReceipt(t, ctx, ec, tx2.Hash())
	if rcpt2.Status != 1 || len(rcpt2.Logs) != 1 || rcpt2.Logs[0].Address != addr {
		t.Fatalf("set receipt %+v", rcpt2)
	}

	// Reads.
	out, err := ec.CallContract(ctx, ethereum.CallMsg{From: from, To: &addr, Data: store.ABI.Methods["get"].ID}, nil)
	if err != nil || new(big.Int).SetBytes(out).Int64() != 9 {
		t.Fatalf("get() = %x, %v", out, err)
	}
	got, pending, err := ec.TransactionByHash(ctx, tx2.Hash())
	if err != nil || pending || got.Hash() != tx2.Hash() {
		t.Fatalf("tx by hash: %v %v", pending, err)
	}
	blk, err := ec.BlockByNumber(ctx, rcpt2.BlockNumber)
	if err != nil || blk.Transactions().Len() != 1 || blk.Transactions()[0].Hash() != tx2.Hash() {
		t.Fatalf("block by number: %v", err)
	}
	if _, err := ec.BlockByNumber(ctx, big.NewInt(0)); err != nil {
		t.Fatalf("genesis block: %v", err)
	}
	logs, err := ec.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: big.NewInt(0), Addresses: []common.Address{addr}})
	if err != nil || len(logs) != 2 {
		t.Fatalf("logs: %d, %v", len(logs), err)
	}
	code, err := ec.CodeAt(ctx, addr, nil)
	if err != nil || len(code) == 0 {
		t.Fatalf("code: %v", err)
	}
	bal, err := ec.BalanceAt(ctx, from, nil)
	if err != nil || bal.Sign() != 0 {
		t.Fatalf("balance %v, %v", bal, err)
	}
	nonce, err = ec.NonceAt(ctx, from, nil)
	if err != nil || nonce != 2 {
		t.Fatalf("nonce %d, %v", nonce, err)
	}

	// A reverting call: the revert data comes back in the error.
	bad, _ := store.ABI.Pack("set", big.NewInt(0))
	_, err = ec.CallContract(ctx, ethereum.CallMsg{From: from, To: &addr, Data: bad}, nil)
	var de gethrpc.DataError
	if !errors.As(err, &de) || de.ErrorData() == nil {
		t.Fatalf("revert: %v", err)
	}

	// newHeads delivered the blocks.
	select {
	case h := <-heads:
		if h.Number.Sign() <= 0 {
			t.Fatalf("head %v", h.Number)
		}
	case <-ctx.Done():
		t.Fatal("no new head")
	}
}

func waitReceipt(t *testing.T, ctx context.Context, ec *ethclient.Client, h common.Hash) *ethtypes.Receipt {
	t.Helper()
	for {
		r, err := ec.TransactionReceipt(ctx, h)
		if err == nil {
			return r
		}
		if !errors.Is(err, ethereum.NotFound) {
			t.Fatalf("receipt of %s: %v", h, err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no receipt for %s", h)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
