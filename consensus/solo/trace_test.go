package solo

import (
	"testing"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
)

type chanTracer chan consensus.BlockTrace

func (c chanTracer) BlockTraced(t consensus.BlockTrace) { c <- t }

func TestTracerSeesEveryBlock(t *testing.T) {
	suite := crypto.ECDSA()
	h := newHarness(t, suite, DevConfig(), nil)
	tr := make(chanTracer, 4)
	h.engine.tracer = tr
	if err := h.engine.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer h.engine.Stop()
	h.pool.add(makeTxs(t, suite, 2, 0)...)
	b := h.ledger.waitBlocks(t, 1)[0]
	got := <-tr
	if got.Number != 1 || got.Hash != b.Header.Hash(suite) || got.Txs != 2 || !got.Proposer {
		t.Fatalf("trace %+v", got)
	}
	if len(got.Phases) != 1 || got.Phases[0].Name != consensus.PhaseSeal {
		t.Fatalf("phases %+v, want only seal", got.Phases)
	}
	if got.Total < got.Execute+got.Commit || got.Execute < 0 || got.Commit < 0 {
		t.Fatalf("durations: total %v, execute %v, commit %v", got.Total, got.Execute, got.Commit)
	}
}
