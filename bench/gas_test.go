package bench_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/bench"
	"github.com/gobcos/gobcos/crypto"
)

// fakeGas prices the fake node's txs, as a chain that charges much for new
// storage would: a deployment, a BenchToken.mintBatch call (a base and a
// price per account) and any other contract call.
type fakeGas struct {
	deploy, mintBase, mintPerAccount, call uint64
	// txCap is the most gas one tx may carry, blockLimit the blocks' gas
	// limit.
	txCap, blockLimit uint64
	// price is the gas price (nil: 1 wei); like go-ethereum the node
	// refuses a tx whose fees may exceed 1 ether.
	price *big.Int
}

var oneEther = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

var mintBatchID = ethcrypto.Keccak256([]byte("mintBatch(address[],uint256)"))[:4]

// cost is the gas a tx to to (nil deploys) with input data uses.
func (g *fakeGas) cost(to *common.Address, data []byte) uint64 {
	switch {
	case to == nil:
		return g.deploy
	case len(data) == 0:
		return 21_000
	case bytes.HasPrefix(data, mintBatchID) && len(data) >= 4+96:
		// selector, offset, amount, length, one word per address
		return g.mintBase + g.mintPerAccount*uint64((len(data)-4-96)/32)
	}
	return g.call
}

// checkGas refuses a tx over the per-tx cap and marks one with too little
// gas as failed. The caller holds n.mu.
// feePerGas is the most the tx pays per gas (nil: the node's price).
func (n *fakeNode) checkGas(h common.Hash, to *common.Address, data []byte, gas uint64, feePerGas *big.Int) error {
	if n.gas == nil {
		return nil
	}
	if gas > n.gas.txCap {
		return errors.New("transaction gas limit too high")
	}
	if feePerGas == nil {
		feePerGas = n.gas.price
	}
	if feePerGas != nil && new(big.Int).Mul(feePerGas, new(big.Int).SetUint64(gas)).Cmp(oneEther) > 0 {
		return errors.New("tx fee exceeds the configured cap (1.00 ether)")
	}
	if gas < n.gas.cost(to, data) {
		n.failed[h] = true
	}
	return nil
}

// fakeGasAPI adds eth_estimateGas and the latest block's gas limit to the
// fake node's API.
type fakeGasAPI struct{ fakeEthAPI }

func (a fakeGasAPI) EstimateGas(arg struct {
	To    *common.Address `json:"to"`
	Input hexutil.Bytes   `json:"input"`
	Data  hexutil.Bytes   `json:"data"`
}) (hexutil.Uint64, error) {
	data := arg.Input
	if len(data) == 0 {
		data = arg.Data
	}
	gas := a.n.gas.cost(arg.To, data)
	if gas > a.n.gas.txCap {
		return 0, errors.New("gas required exceeds allowance")
	}
	return hexutil.Uint64(gas), nil
}

func (a fakeGasAPI) GasPrice() *hexutil.Big {
	if a.n.gas.price != nil {
		return (*hexutil.Big)(a.n.gas.price)
	}
	return (*hexutil.Big)(common.Big1)
}

func (a fakeGasAPI) GetBlockByNumber(string, bool) map[string]any {
	return map[string]any{"gasLimit": hexutil.Uint64(a.n.gas.blockLimit)}
}

// TestRunGasFromEstimates runs every kind of tx against a node that prices
// new storage higher than the bench's fixed gas limits allow: a mint to
// one account costs more than a fixed-size batch may use, and a contract
// call more than the fixed call gas. The setup must take the gas limits
// from the node's estimates, size the mint batches under the per-tx cap,
// and every tx must succeed.
func TestRunGasFromEstimates(t *testing.T) {
	for _, c := range []struct {
		name  string
		price *big.Int
		mints int
	}{
		// A batch of 12 (24M gas) exceeds the cap; 6 fit (12.05M, 15.06M
		// with headroom): two mints.
		{"per-tx cap", nil, 2},
		// At 100 gwei (the bench pays twice that) 1 ether of fees buys 5M
		// gas: one account per mint.
		{"fee cap", big.NewInt(100e9), 12},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := newFakeNode()
			n.gas = &fakeGas{deploy: 2_000_000, mintBase: 50_000, mintPerAccount: 2_000_000, call: 120_000,
				txCap: 1 << 24, blockLimit: 30_000_000, price: c.price}
			srv := rpc.NewServer()
			if err := srv.RegisterName("eth", fakeGasAPI{fakeEthAPI{n}}); err != nil {
				t.Fatal(err)
			}
			defer srv.Stop()
			hs := httptest.NewServer(srv)
			defer hs.Close()

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			const txs, accounts = 120, 12
			res, err := bench.Run(ctx, bench.Config{
				RPC: []string{hs.URL}, Workload: bench.WorkloadMixed, Accounts: accounts, Conflict: 0.5, Txs: txs,
				FunderNode: true, Nodes: 1, Wait: 20 * time.Second, CeilingTime: 10 * time.Millisecond, DynamicFee: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Committed != txs || res.Succeeded != txs || len(res.Errors) != 0 {
				t.Errorf("committed %d succeeded %d errors %v, want all %d", res.Committed, res.Succeeded, res.Errors, txs)
			}
			n.mu.Lock()
			defer n.mu.Unlock()
			// The funding, two deployments and the mints.
			if want := accounts + 2 + c.mints; n.nodeSent != want || len(n.failed) != 0 {
				t.Errorf("node sent %d txs (want %d), %d failed", n.nodeSent, want, len(n.failed))
			}
		})
	}
}

// gasRecorder records the "gas limit" log records of a run: gas, and for
// mints accounts, by tx.
type gasRecorder struct {
	mu  sync.Mutex
	gas map[string][2]int64
}

func (g *gasRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (g *gasRecorder) WithAttrs([]slog.Attr) slog.Handler       { return g }
func (g *gasRecorder) WithGroup(string) slog.Handler            { return g }

func (g *gasRecorder) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "gas limit" {
		return nil
	}
	var (
		tx  string
		val [2]int64
	)
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "tx":
			tx = a.Value.String()
		case "gas":
			val[0] = int64(a.Value.Uint64())
		case "accounts":
			val[1] = a.Value.Int64()
		}
		return true
	})
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gas[tx] = val
	return nil
}

// TestRunGobcosGasUnchanged checks that on gobcos, whose estimates are far
// below them, the txs keep the fixed gas limits and mint batches of 200:
// the node's estimates change nothing there.
func TestRunGobcosGasUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	url, funder := startFundedNode(t, crypto.NameECDSA)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rec := &gasRecorder{gas: map[string][2]int64{}}
	const txs = 300
	res, err := bench.Run(ctx, bench.Config{
		RPC: []string{url}, Workload: bench.WorkloadMixed, Accounts: 250, Conflict: 0.2, Txs: txs, FunderKey: funder.Bytes(),
		Conns: 2, Wait: 30 * time.Second, CeilingTime: 50 * time.Millisecond, Log: slog.New(rec),
	})
	if err != nil {
		t.Fatal(err)
	}
	checkAccounted(t, res, txs)
	want := map[string][2]int64{
		"deploy BenchToken": {1_500_000, 0}, "deploy BenchKV": {1_500_000, 0},
		"mintBatch": {8_000_000, 200}, "erc20": {90_000, 0}, "kv": {90_000, 0},
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for tx, w := range want {
		if got, ok := rec.gas[tx]; !ok || got != w {
			t.Errorf("%s: gas, accounts %v (logged %v), want %v", tx, got, ok, w)
		}
	}
}
