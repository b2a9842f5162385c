package executor

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// executeOn runs txs as the chain's next block on st.
func (c *chain) executeOn(t testing.TB, st storage.Reader, txs []*types.Transaction) *BlockResult {
	t.Helper()
	res, err := c.e.ExecuteBlock(context.Background(), c.env(), c.root, txs, st)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// commitResult applies a block's result to the chain's store.
func (c *chain) commitResult(t testing.TB, res *BlockResult) {
	t.Helper()
	if err := res.Writes.ApplyTo(c.kv); err != nil {
		t.Fatal(err)
	}
	c.number++
	c.root = res.StateRoot
	c.hashes[c.number] = common.BigToHash(new(big.Int).SetUint64(1000 + c.number))
}

// TestOverlayExecutionMatchesCommitted executes random blocks (transfers,
// Ethereum and native txs, contract creation and self-destruct, storage,
// system contract and precompile calls, SystemConfig writes) on a
// state.Overlay of the blocks before them, not committed, over a snapshot
// of the store taken before the first, and requires the results
// (root, write set, receipts and logs) of executing each after its
// parents' commits.
func TestOverlayExecutionMatchesCommitted(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		w := newParWorld(t, 6, 4)
		rng := rand.New(rand.NewPCG(seed, 7))
		base, err := w.c.kv.NewSnapshot()
		if err != nil {
			t.Fatal(err)
		}
		var layers []*state.WriteSet
		for b := range 5 {
			txs := w.randomBlock(t, rng, 40, 0.3)
			for range 2 {
				s := w.natives[rng.IntN(len(w.natives))]
				to := precompiled.SystemConfigAddress
				txs = append(txs, s.tx(t, &to, nil, govPack(t, to, "setValueByKey", precompiled.KeyTxGasLimit, fmt.Sprint(testTxGas-rng.IntN(1000))), 0))
			}
			want := w.c.executeOn(t, w.c.kv, txs)
			got := w.c.executeOn(t, state.NewOverlay(base, layers...), txs)
			sameResult(t, fmt.Sprintf("seed %d block %d on %d pending", seed, b, len(layers)), want, got)
			w.c.commitResult(t, want)
			layers = append(layers, got.Writes)
		}
		base.Release()
	}
}

// TestOverlayGovernanceMatchesCommitted executes governance blocks (a
// proposal, the vote that executes it and changes tx_count_limit) on an
// overlay: the results, and the rules read for the next block, are the
// same as after their commits.
func TestOverlayGovernanceMatchesCommitted(t *testing.T) {
	gs := signers(t, 2)
	g := newGovChain(t, precompiled.GovernanceGenesis{
		Governors:     []precompiled.Governor{{Address: gs[0].addr(), Weight: 1}, {Address: gs[1].addr(), Weight: 1}},
		Participation: 100, Approval: 100,
		Sealers: [][]byte{nodeID(t)},
		Config:  map[string]string{precompiled.KeyTxCountLimit: "1000"},
	}, nil)
	base, err := g.kv.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer base.Release()
	blocks := [][]*types.Transaction{
		{gs[0].tx(t, &committee, nil, govPack(t, committee, "proposeConfig", precompiled.KeyTxCountLimit, "500", uint64(0)), 0)},
		{gs[1].tx(t, &committee, nil, govPack(t, committee, "vote", uint64(1), true), 0)},
		{gs[0].tx(t, &sysConfig, nil, govPack(t, sysConfig, "getValueByKey", precompiled.KeyTxCountLimit), 0)},
	}
	var layers []*state.WriteSet
	for i, txs := range blocks {
		ov := state.NewOverlay(base, layers...)
		wantRules, err := g.e.RulesAt(g.kv, g.number+1)
		if err != nil {
			t.Fatal(err)
		}
		gotRules, err := g.e.RulesAt(ov, g.number+1)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(wantRules, gotRules) {
			t.Fatalf("block %d: rules on the overlay %+v, committed %+v", i, gotRules, wantRules)
		}
		want := g.executeOn(t, g.kv, txs)
		got := g.executeOn(t, ov, txs)
		sameResult(t, fmt.Sprintf("governance block %d", i), want, got)
		mustSucceed(t, want.Receipts[0])
		g.commitResult(t, want)
		layers = append(layers, got.Writes)
	}
	r, err := g.e.RulesAt(state.NewOverlay(base, layers...), g.number+1)
	if err != nil || r.TxCountLimit != 500 {
		t.Fatalf("tx_count_limit on the overlay after the vote: %d, %v", r.TxCountLimit, err)
	}
}
