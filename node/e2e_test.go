package node_test

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/contracttest"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// startNode creates a chain in a temp dir and runs its node in-process.
func startNode(t *testing.T, suite string) (*node.Node, node.Config) {
	t.Helper()
	cfg := nodetest.DevConfig(t, suite, nil)
	return runConfig(t, cfg), cfg
}

func runConfig(t *testing.T, cfg node.Config) *node.Node {
	t.Helper()
	return nodetest.Start(t, cfg)
}

// TestContractLifecycle deploys the Store contract through the SDK on both
// suites, calls and transacts, reads its events, checks reverts and
// verifies tx and receipt proofs, then restarts the node and checks the
// chain resumed.
func TestContractLifecycle(t *testing.T) {
	for _, suite := range []string{crypto.NameECDSA, crypto.NameSM} {
		t.Run(suite, func(t *testing.T) { testContractLifecycle(t, suite) })
	}
}

func testContractLifecycle(t *testing.T, suiteName string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, cfg := startNode(t, suiteName)
	client := nodetest.Dial(t, ctx, n)
	if client.Suite().Name() != suiteName {
		t.Fatalf("SDK sees suite %q", client.Suite().Name())
	}
	key := cryptotest.Key(t, client.Suite())
	store := contracttest.Load(t, "Store")

	// Subscribe to the contract's events before anything happens.
	addr, rcpt, err := client.Deploy(ctx, key, store.ABI, store.Bin, big.NewInt(7))
	if err != nil {
		t.Fatal(err)
	}
	if rcpt.Status != 1 || rcpt.ContractAddress == nil || *rcpt.ContractAddress != addr {
		t.Fatalf("deploy receipt %+v", rcpt)
	}
	logs := make(chan sdk.Log, 16)
	sub, err := client.SubscribeLogs(ctx, sdk.FilterQuery{Addresses: []common.Address{addr}}, logs)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	c := client.Contract(addr, store.ABI)
	out, err := c.Call(ctx, key.Address(), "get")
	if err != nil || out[0].(*big.Int).Int64() != 7 {
		t.Fatalf("get() = %v, %v", out, err)
	}
	r, err := c.Transact(ctx, key, "set", big.NewInt(42))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 1 || len(r.Logs) != 1 || r.GasUsed == 0 {
		t.Fatalf("set receipt %+v", r)
	}
	ev, err := c.ParseEvent("ValueSet", r.Logs[0])
	if err != nil {
		t.Fatal(err)
	}
	if ev["who"].(common.Address) != key.Address() || ev["oldValue"].(*big.Int).Int64() != 7 || ev["newValue"].(*big.Int).Int64() != 42 {
		t.Fatalf("event %v", ev)
	}
	select {
	case l := <-logs:
		if l.TxHash != r.TxHash {
			t.Fatalf("subscription delivered a log of tx %s, want %s", l.TxHash, r.TxHash)
		}
	case <-ctx.Done():
		t.Fatal("no log from the subscription")
	}
	out, err = c.Call(ctx, key.Address(), "get")
	if err != nil || out[0].(*big.Int).Int64() != 42 {
		t.Fatalf("get() after set = %v, %v", out, err)
	}
	from := uint64(0)
	found, err := client.FilterLogs(ctx, sdk.FilterQuery{FromBlock: &from, Addresses: []common.Address{addr}, Topics: [][]common.Hash{{store.ABI.Events["ValueSet"].ID}}})
	if err != nil || len(found) != 2 {
		t.Fatalf("FilterLogs: %d logs, %v (want the constructor's and set's)", len(found), err)
	}

	// Reverts: a call gets the decoded reason, a tx a failed receipt.
	_, err = c.Call(ctx, key.Address(), "set", big.NewInt(0))
	var rev *sdk.RevertError
	if !errors.As(err, &rev) || rev.Reason != "zero not allowed" {
		t.Fatalf("call set(0): %v", err)
	}
	_, err = c.Call(ctx, key.Address(), "set", big.NewInt(2_000_000))
	if !errors.As(err, &rev) || rev.Name != "TooLarge" {
		t.Fatalf("call set(2000000): %v", err)
	}

	// Proofs of the set tx and its receipt against the block header.
	if err := client.VerifyTxProof(ctx, r.TxHash); err != nil {
		t.Fatalf("tx proof: %v", err)
	}
	if err := client.VerifyReceiptProof(ctx, r.TxHash); err != nil {
		t.Fatalf("receipt proof: %v", err)
	}

	// Restart on the same directory: the chain resumes.
	height := n.Height()
	client.Close()
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	n2 := runConfig(t, cfg)
	if n2.Height() != height {
		t.Fatalf("height after restart %d, want %d", n2.Height(), height)
	}
	client2, err := sdk.Dial(ctx, "http://"+n2.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer client2.Close()
	out, err = client2.Contract(addr, store.ABI).Call(ctx, key.Address(), "get")
	if err != nil || out[0].(*big.Int).Int64() != 42 {
		t.Fatalf("get() after restart = %v, %v", out, err)
	}
	r2, err := client2.TransactionReceipt(ctx, r.TxHash)
	if err != nil || r2.Status != 1 || r2.BlockNumber != r.BlockNumber {
		t.Fatalf("receipt after restart: %+v, %v", r2, err)
	}
}
