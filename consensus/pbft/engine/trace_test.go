package engine

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
)

type recordTracer struct{ got []consensus.BlockTrace }

func (r *recordTracer) BlockTraced(t consensus.BlockTrace) { r.got = append(r.got, t) }

// fakeClock advances by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time       { return c.t }
func (c *fakeClock) step(d time.Duration) { c.t = c.t.Add(d) }
func phases(t consensus.BlockTrace) map[string]time.Duration {
	m := map[string]time.Duration{}
	for _, p := range t.Phases {
		m[p.Name] = p.Took
	}
	return m
}

func TestTracesFollowAHeight(t *testing.T) {
	rec := &recordTracer{}
	clk := &fakeClock{t: time.Unix(1000, 0)}
	tr := newTraces(rec)
	tr.now = clk.now

	// A replica: the proposal arrives (verify request), prepared, decided,
	// executed, finalized, committed.
	tr.ready(&pbft.Ready{Verify: []pbft.VerifyRequest{{Height: 5}}})
	clk.step(10 * time.Millisecond)
	prepared := pbft.PreparedCert{View: 2, Prepares: []*pbft.Envelope{{}}}
	tr.ready(&pbft.Ready{State: &pbft.HardState{Height: 5, View: 2, Prepared: prepared}})
	clk.step(20 * time.Millisecond)
	tr.ready(&pbft.Ready{State: &pbft.HardState{Height: 6, Decided: []pbft.Decision{{Height: 5, View: 2}}}})
	tr.ready(&pbft.Ready{Execute: []pbft.ExecRequest{{Height: 5}}}) // already decided: no change
	clk.step(3 * time.Millisecond)
	tr.executed(5, 3*time.Millisecond)
	clk.step(40 * time.Millisecond)
	clk.step(2 * time.Millisecond) // the ledger commit
	tr.committed(5, common.Hash{5}, 7, 2*time.Millisecond)

	if len(rec.got) != 1 {
		t.Fatalf("traces: %+v", rec.got)
	}
	got := rec.got[0]
	if got.Number != 5 || got.Hash != (common.Hash{5}) || got.Txs != 7 || got.View != 2 || got.Proposer {
		t.Fatalf("trace %+v", got)
	}
	want := map[string]time.Duration{
		consensus.PhasePrepare:    10 * time.Millisecond,
		consensus.PhaseCommit:     20 * time.Millisecond,
		consensus.PhaseCheckpoint: 40 * time.Millisecond,
	}
	ph := phases(got)
	if len(ph) != len(want) {
		t.Fatalf("phases %v, want %v", ph, want)
	}
	for k, v := range want {
		if ph[k] != v {
			t.Errorf("phase %s = %v, want %v", k, ph[k], v)
		}
	}
	if got.Execute != 3*time.Millisecond || got.Commit != 2*time.Millisecond || got.Total != 75*time.Millisecond {
		t.Errorf("execute %v commit %v total %v", got.Execute, got.Commit, got.Total)
	}
	if len(tr.byNum) != 0 {
		t.Errorf("records left: %v", tr.byNum)
	}
}

func TestTracesLeaderAndMissedPrepared(t *testing.T) {
	rec := &recordTracer{}
	clk := &fakeClock{t: time.Unix(1000, 0)}
	tr := newTraces(rec)
	tr.now = clk.now

	// The leader sealed height 8; its prepared state was never seen (the
	// decision came with it), so only seal and checkpoint are reported.
	tr.sealed(8, time.Millisecond)
	tr.ready(&pbft.Ready{Proposals: []*pbft.Proposal{{Height: 8}}})
	clk.step(5 * time.Millisecond)
	tr.ready(&pbft.Ready{Execute: []pbft.ExecRequest{{Height: 8}}})
	tr.executed(8, time.Millisecond)
	// A stale record below is dropped with the commit.
	tr.ready(&pbft.Ready{Verify: []pbft.VerifyRequest{{Height: 7}}})
	tr.committed(8, common.Hash{8}, 1, 0)
	ph := phases(rec.got[0])
	if !rec.got[0].Proposer || ph[consensus.PhaseSeal] != time.Millisecond {
		t.Errorf("leader trace %+v", rec.got[0])
	}
	if _, ok := ph[consensus.PhasePrepare]; ok {
		t.Errorf("prepare reported without a prepared state: %v", ph)
	}
	if _, ok := ph[consensus.PhaseCommit]; ok {
		t.Errorf("commit reported without a prepared state: %v", ph)
	}
	if len(tr.byNum) != 0 {
		t.Errorf("records left: %v", tr.byNum)
	}
	// Sync passes a height: forget drops it without a trace.
	tr.ready(&pbft.Ready{Verify: []pbft.VerifyRequest{{Height: 9}}})
	tr.forget(9)
	tr.committed(9, common.Hash{}, 0, 0)
	if len(rec.got) != 1 || len(tr.byNum) != 0 {
		t.Errorf("after forget: %d traces, %d records", len(rec.got), len(tr.byNum))
	}
}

func TestTracesOff(t *testing.T) {
	tr := newTraces(nil)
	tr.sealed(1, time.Millisecond)
	tr.ready(&pbft.Ready{Verify: []pbft.VerifyRequest{{Height: 1}}})
	tr.executed(1, time.Millisecond)
	tr.committed(1, common.Hash{}, 0, 0)
	if tr.on() || len(tr.byNum) != 0 {
		t.Fatal("tracing off keeps records")
	}
}
