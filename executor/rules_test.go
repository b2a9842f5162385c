package executor

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/types"
)

// rulesChain is a governed chain with one governor, whose proposals
// execute at once, at compatibility version compat.
func rulesChain(t *testing.T, compat string) (*govChain, nativeSigner) {
	t.Helper()
	gov := newNativeSigner(t, crypto.ECDSA())
	g := newGovChain(t, precompiled.GovernanceGenesis{
		Governors: []precompiled.Governor{{Address: gov.addr(), Weight: 1}},
		Sealers:   [][]byte{nodeID(t)},
		Config: map[string]string{
			precompiled.KeyTxCountLimit: "3", precompiled.KeyTxGasLimit: "1000000",
			precompiled.KeyBlockGasLimit: "300000000", precompiled.KeyCompatibilityVersion: compat,
		},
	}, nil)
	return g, gov
}

func (c *chain) tryBlock(txs ...*types.Transaction) error {
	_, err := c.e.ExecuteBlock(context.Background(), c.env(), c.root, txs, c.kv)
	return err
}

func TestTxCountLimitFromState(t *testing.T) {
	g, gov := rulesChain(t, precompiled.CompatV0_1)
	to := common.Address{0x77}
	user := newNativeSigner(t, crypto.ECDSA())
	four := func() []*types.Transaction {
		var txs []*types.Transaction
		for range 4 {
			txs = append(txs, user.tx(t, &to, nil, nil, 50000))
		}
		return txs
	}
	if err := g.tryBlock(four()...); !errors.Is(err, ErrTooManyTxs) || !strings.Contains(err.Error(), "tx_count_limit is 3") {
		t.Fatalf("4 txs over a limit of 3: %v", err)
	}
	// Raised by proposal in block N: block N may still hold 3 only; N+1 holds 4.
	g.ok(gov, committee, "proposeConfig", precompiled.KeyTxCountLimit, "4", uint64(0))
	if r, err := g.e.RulesAt(g.kv, g.number+1); err != nil || r.TxCountLimit != 4 {
		t.Fatalf("rules after the change: %+v %v", r, err)
	}
	if res := g.block(four()...); len(res.Receipts) != 4 {
		t.Fatal("4 txs after the change")
	}
	// Every tx in the proposal's own block counts against the old limit.
	txs := append([]*types.Transaction{gov.tx(t, &committee, nil, govPack(t, committee, "proposeConfig", precompiled.KeyTxCountLimit, "2", uint64(0)), 0)}, four()[:3]...)
	g.block(txs...)
	if err := g.tryBlock(four()[:3]...); !errors.Is(err, ErrTooManyTxs) {
		t.Fatalf("3 txs after lowering to 2: %v", err)
	}
}

func TestTxGasLimitFromState(t *testing.T) {
	to := common.Address{0x78}
	for _, compat := range []string{precompiled.CompatV0_1, precompiled.CompatV0_2} {
		t.Run(compat, func(t *testing.T) {
			g, gov := rulesChain(t, compat)
			user := newNativeSigner(t, crypto.ECDSA())
			// The governance value (1,000,000) applies, not the executor's
			// configured 30,000,000; a native tx asking for 0 gets it.
			if r := g.receipt(user.tx(t, &to, nil, nil, 0)); r.Status != types.ReceiptSuccess {
				t.Fatalf("gas 0: %+v", r)
			}
			over := user.tx(t, &to, nil, nil, 1_000_001)
			if compat == precompiled.CompatV0_1 {
				// 0.1.0 rules: the tx fails, the block is valid.
				r := g.receipt(over)
				if r.Status == types.ReceiptSuccess || !strings.Contains(r.ErrorMessage, "limit is 1000000") {
					t.Fatalf("over the limit at 0.1.0: %+v", r)
				}
			} else if err := g.tryBlock(over); !errors.Is(err, ErrInvalidTx) || !errors.Is(err, ErrGasLimitTooHigh) || !strings.Contains(err.Error(), "tx_gas_limit is 1000000") {
				// 0.2.0 rules: the block is invalid.
				t.Fatalf("over the limit at 0.2.0: %v", err)
			}
			g.ok(gov, committee, "proposeConfig", precompiled.KeyTxGasLimit, "2000000", uint64(0))
			if r := g.receipt(user.tx(t, &to, nil, nil, 1_500_000)); r.Status != types.ReceiptSuccess {
				t.Fatalf("under the raised limit: %+v", r)
			}
			// eth_call and gas estimation cap at the limit in force.
			if gas, _, err := g.e.EstimateGas(context.Background(), g.env(), CallMsg{From: user.addr(), To: &to}, g.kv); err != nil || gas != 21000 {
				t.Fatalf("estimate: %d %v", gas, err)
			}
		})
	}
}

// TestCompatibilityGate raises the version from 0.1.0 to 0.2.0 by
// proposal: SystemInfo.compatibilityVersion() reverts as unknown before
// the upgrade's effective block and answers from it on; an executor whose
// binary supports only 0.1.0 refuses the blocks from there.
func TestCompatibilityGate(t *testing.T) {
	g, gov := rulesChain(t, precompiled.CompatV0_1)
	sel := ethcrypto.Keccak256([]byte("compatibilityVersion()"))[:4]
	callIt := func() *CallResult { return g.call(gov.addr(), precompiled.SystemInfoAddress, sel) }
	if out := callIt(); out.Err == nil || !strings.Contains(out.ErrorMessage(), "unknown function selector") {
		t.Fatalf("before the upgrade: %q", out.ErrorMessage())
	}
	r := g.receipt(gov.tx(t, &precompiled.SystemInfoAddress, nil, sel, 0))
	if r.Status == types.ReceiptSuccess {
		t.Fatal("tx calling compatibilityVersion() succeeded at 0.1.0")
	}

	old, err := New(Config{ChainID: testChainID, GroupID: testGroup, TxGasLimit: testTxGas, BlockGasLimit: 10 * testTxGas, MaxCompatibility: precompiled.CompatV0_1}, crypto.ECDSA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	g.ok(gov, committee, "proposeUpgrade", precompiled.CompatV0_2, uint64(0))
	at := g.number + 1
	if _, err := old.ExecuteBlock(context.Background(), g.env(), g.root, nil, g.kv); !errors.Is(err, ErrUnsupportedVersion) ||
		!strings.Contains(err.Error(), "supports versions up to 0.1.0") {
		t.Fatalf("old executor at block %d: %v", at, err)
	}
	if old.SupportsCompatibility(precompiled.CompatV0_2) || !g.e.SupportsCompatibility(precompiled.CompatV0_2) || g.e.SupportsCompatibility("0.1.5") {
		t.Fatal("SupportsCompatibility")
	}

	out := callIt()
	if out.Err != nil {
		t.Fatalf("after the upgrade: %q", out.ErrorMessage())
	}
	if got := decodeString(t, out.Return); got != precompiled.CompatV0_2 {
		t.Fatalf("compatibilityVersion() = %q", got)
	}
	if r := g.receipt(gov.tx(t, &precompiled.SystemInfoAddress, nil, sel, 0)); r.Status != types.ReceiptSuccess || decodeString(t, r.Output) != precompiled.CompatV0_2 {
		t.Fatalf("tx after the upgrade: %+v", r)
	}
	if _, err := New(Config{ChainID: 1, TxGasLimit: testTxGas, BlockGasLimit: testTxGas, MaxCompatibility: "9.9.9"}, crypto.ECDSA(), nil); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("unknown MaxCompatibility: %v", err)
	}
}

func decodeString(t *testing.T, b []byte) string {
	t.Helper()
	if len(b) < 64 {
		t.Fatalf("ABI string of %d bytes", len(b))
	}
	n := new(big.Int).SetBytes(b[32:64]).Uint64()
	if uint64(len(b)) < 64+n {
		t.Fatalf("ABI string of length %d in %d bytes", n, len(b))
	}
	return string(b[64 : 64+n])
}

// Rules given in BlockEnv replace the read from state; RulesOf gives what
// RulesAt reads.
func TestBlockEnvRulesGiven(t *testing.T) {
	g, _ := rulesChain(t, precompiled.CompatV0_1)
	to := common.Address{0x79}
	user := newNativeSigner(t, crypto.ECDSA())
	var txs []*types.Transaction
	for range 3 {
		txs = append(txs, user.tx(t, &to, nil, nil, 50000))
	}
	read, err := g.e.RulesAt(g.kv, g.number+1)
	if err != nil || read.TxCountLimit != 3 {
		t.Fatalf("rules read: %+v %v", read, err)
	}
	p, err := precompiled.NewGovernanceReader(state.NewReader(g.kv)).Params(g.number + 1)
	if err != nil {
		t.Fatal(err)
	}
	if of, err := g.e.RulesOf(p, g.number+1); err != nil || of != read {
		t.Fatalf("RulesOf = %+v %v, RulesAt = %+v", of, err, read)
	}
	given := read
	given.TxCountLimit = 2
	env := g.env()
	env.Rules = &given
	if _, err := g.e.ExecuteBlock(context.Background(), env, g.root, txs, g.kv); !errors.Is(err, ErrTooManyTxs) || !strings.Contains(err.Error(), "tx_count_limit is 2") {
		t.Fatalf("3 txs with given rules limiting to 2: %v", err)
	}
	if err := g.tryBlock(txs...); err != nil {
		t.Fatalf("3 txs with the rules read from state: %v", err)
	}
}
