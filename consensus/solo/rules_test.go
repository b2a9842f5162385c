package solo

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
)

// TestFollowsRules: the limits in force at each height (as a governance
// source gives them) replace the configuration's, and a height whose
// rules cannot be read is not sealed.
func TestFollowsRules(t *testing.T) {
	suite := crypto.ECDSA()
	h := newHarness(t, suite, DevConfig(), nil)
	var asked3 atomic.Int32
	halt := errors.New("unsupported compatibility version")
	rules := consensus.RulesFunc(func(height uint64) (consensus.Rules, error) {
		switch height {
		case 1:
			return consensus.Rules{MaxTxs: 2, TxGasLimit: 50_000}, nil
		case 2:
			return consensus.Rules{MaxTxs: 3, TxGasLimit: 50_000, MinSealInterval: time.Millisecond}, nil
		}
		asked3.Add(1)
		return consensus.Rules{}, halt
	})
	var err error
	h.engine, err = New(Params{Config: DevConfig(), Suite: suite, Key: h.key, Txs: h.pool, Executor: h.exec, Ledger: h.ledger, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	small := makeTxs(t, suite, 5, 20_000)
	over := makeTxs(t, suite, 1, 60_000)
	h.pool.add(append(small, over...)...)
	if err := h.engine.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	blocks := h.ledger.waitBlocks(t, 2)
	for deadline := time.Now().Add(20 * time.Second); asked3.Load() < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the engine did not retry the rules of height 3")
		}
	}
	if err := h.engine.Stop(); err != nil {
		t.Fatal(err)
	}
	if len(blocks[0].Txs) != 2 || len(blocks[1].Txs) != 3 {
		t.Fatalf("blocks of %d and %d txs, want 2 and 3", len(blocks[0].Txs), len(blocks[1].Txs))
	}
	if n := len(h.ledger.all()); n != 2 {
		t.Fatalf("%d blocks committed; height 3, whose rules cannot be read, must not be sealed", n)
	}
	for _, b := range blocks {
		for _, tx := range b.Txs {
			if tx.Hash() == over[0].Hash() {
				t.Fatal("the tx over tx_gas_limit was sealed")
			}
		}
	}
}
