package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/raft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// TestSealAndApplyFollowRules: the leader seals within tx_count_limit;
// replicas reject a block over it (every replica alike), and a node that
// cannot read the rules of a height stops there instead of judging it.
func TestSealAndApplyFollowRules(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, false)
	e := c.nodes[0].engine
	halt := errors.New("unsupported compatibility version")
	e.rules = consensus.RulesFunc(func(h uint64) (consensus.Rules, error) {
		if h == 1 {
			return consensus.Rules{MaxTxs: 2, MinSealInterval: 100 * time.Millisecond}, nil
		}
		return consensus.Rules{}, halt
	})
	txs := []*types.Transaction{c.newTx(100), c.newTx(100), c.newTx(100)}
	c.submit(txs, 0)
	a := &app{e: e, ctx: t.Context()}
	head := c.nodes[0].ledger.Head()
	h, raw, err := a.Seal(head, 1000, 1<<20)
	if err != nil || h == nil || len(raw) != 2 {
		t.Fatalf("sealed %d txs, want 2 (tx_count_limit): %v", len(raw), err)
	}

	b := &app{e: c.nodes[1].engine, ctx: t.Context()}
	c.nodes[1].engine.rules = e.rules
	three := [][]byte{txs[0].Bytes(), txs[1].Bytes(), txs[2].Bytes()}
	if err := b.Apply(&types.Header{Number: 1}, three); !errors.Is(err, raft.ErrRejected) || !errors.Is(err, consensus.ErrTooManyTxs) {
		t.Fatalf("a block over tx_count_limit: %v", err)
	}
	if err := b.Apply(&types.Header{Number: 2}, three[:1]); !errors.Is(err, halt) || errors.Is(err, raft.ErrRejected) {
		t.Fatalf("a block whose rules cannot be read: %v", err)
	}
	if _, _, err := a.Seal(&types.Header{Number: 1}, 1000, 1<<20); !errors.Is(err, halt) {
		t.Fatalf("sealing where the rules cannot be read: %v", err)
	}
}

// TestMinSealFollowsRules: the leader's minimum seal interval follows the
// value in force.
func TestMinSealFollowsRules(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 3, false)
	e := c.nodes[0].engine
	e.rules = consensus.RulesFunc(func(uint64) (consensus.Rules, error) {
		return consensus.Rules{MinSealInterval: 200 * time.Millisecond}, nil
	})
	core, err := raft.New(e.ccfg, kvStore{e.kv}, &app{e: e, ctx: t.Context()}, coreTransport{e})
	if err != nil {
		t.Fatal(err)
	}
	e.core = core
	e.applyTiming(1)
	if e.ccfg.MinSealTicks != 10 { // 20 ms ticks
		t.Fatalf("MinSealTicks %d, want 10", e.ccfg.MinSealTicks)
	}
}
