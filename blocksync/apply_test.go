package blocksync

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/ledger"
	"github.com/gobcos/gobcos/types"
)

// racingExec is fakeExec on a node whose consensus engine commits block
// at itself while the syncer executes that block, so the syncer's
// execution fails (as the node's executor does when the head moves).
type racingExec struct {
	fakeExec
	at     uint64
	commit func() error
	raced  atomic.Bool
	err    atomic.Value // the commit's error, if any
}

func (x *racingExec) ExecuteBlock(ctx context.Context, env consensus.BlockEnv, parentRoot common.Hash, txs []*types.Transaction) (*consensus.Result, error) {
	if env.Number == x.at && x.raced.CompareAndSwap(false, true) {
		if err := x.commit(); err != nil {
			x.err.Store(err)
		}
		return nil, errors.New("the head moved during execution")
	}
	return x.fakeExec.ExecuteBlock(ctx, env, parentRoot, txs)
}

// TestBlockCommittedMeanwhile: a block the node's engine commits while the
// syncer executes it is stale, not a failed apply (no warning, no retry
// delay), and the sync goes on above it.
func TestBlockCommittedMeanwhile(t *testing.T) {
	sealers := newSealers(t, crypto.ECDSA(), 4)
	c := newTestChain(t, sealers, 1_700_000_000, chainLen)
	net := newMemNet()
	peer := net.addNode(t, c, "peer1", chainLen, nodeOpt{})
	l := c.newLedger(t, 0)
	const at = 3
	exec := &racingExec{fakeExec: fakeExec{suite: c.suite}, at: at}
	exec.commit = func() error { // c.commitTo's commit, off the test goroutine
		r := c.results[at]
		return l.Commit(c.blocks[at], r.Receipts, nil, r.State.(ledger.StateWrites), nil)
	}
	n0 := net.addNode(t, c, "node0", 0, nodeOpt{ledger: l, exec: exec})
	nodes := []*testNode{peer, n0}
	waitFor(t, nodes, "node0 to catch up", func() bool { return headOf(n0.ledger) == chainLen })
	sameLedger(t, c, n0.ledger, chainLen)
	if err := exec.err.Load(); err != nil {
		t.Fatalf("the engine's commit: %v", err)
	}
	if !exec.raced.Load() {
		t.Fatal("the engine's commit never raced the syncer")
	}
	if st := n0.syncer.Stats(); st.ApplyFailed != 0 || st.Committed != chainLen-1 {
		t.Fatalf("stats %+v: want no failed apply and %d blocks committed by sync", st, chainLen-1)
	}
}
