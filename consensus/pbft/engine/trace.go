package engine

import (
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
)

// blockTimes are the moments the driver saw one height go through the
// protocol; zero when not seen. Owned by the run goroutine.
type blockTimes struct {
	proposed, prepared, decided, executed time.Time
	seal, exec                            time.Duration
	view                                  uint64
	proposer                              bool
}

// on reports whether blocks are traced.
func (t *traces) on() bool { return t.tr != nil }

// traces follows the heights being ordered, executed and certified.
type traces struct {
	tr    consensus.Tracer // nil: nothing is followed
	now   func() time.Time
	byNum map[uint64]*blockTimes
}

func newTraces(tr consensus.Tracer) *traces {
	return &traces{tr: tr, now: time.Now, byNum: make(map[uint64]*blockTimes)}
}

// at returns the record of height h, made on first use; nil when tracing
// is off.
func (t *traces) at(h uint64) *blockTimes {
	if t.tr == nil {
		return nil
	}
	b := t.byNum[h]
	if b == nil {
		b = &blockTimes{}
		t.byNum[h] = b
	}
	return b
}

// sealed records the proposer's time spent building the proposal of h.
func (t *traces) sealed(h uint64, took time.Duration) {
	if b := t.at(h); b != nil {
		b.seal, b.proposer = took, true
		if b.proposed.IsZero() {
			b.proposed = t.now()
		}
	}
}

// ready records what one Ready says of the heights' progress.
func (t *traces) ready(rd *pbft.Ready) {
	if t.tr == nil {
		return
	}
	now := t.now()
	mark := func(at *time.Time) {
		if at.IsZero() {
			*at = now
		}
	}
	for _, p := range rd.Proposals {
		mark(&t.at(p.Height).proposed)
	}
	for _, v := range rd.Verify {
		mark(&t.at(v.Height).proposed)
	}
	if hs := rd.State; hs != nil {
		if !hs.Prepared.Empty() {
			mark(&t.at(hs.Height).prepared)
		}
		for _, d := range hs.Decided {
			b := t.at(d.Height)
			if b.decided.IsZero() {
				b.view = d.View
			}
			mark(&b.decided)
		}
	}
	for _, x := range rd.Execute {
		mark(&t.at(x.Height).decided)
	}
}

// executed records the execution of h.
func (t *traces) executed(h uint64, took time.Duration) {
	if b := t.at(h); b != nil {
		b.exec, b.executed = took, t.now()
	}
}

// committed reports height h, stored in took, to the tracer and forgets
// it and every height below.
func (t *traces) committed(h uint64, hash common.Hash, txs int, took time.Duration) {
	if t.tr == nil {
		return
	}
	b := t.byNum[h]
	t.forget(h)
	if b == nil {
		return
	}
	end := t.now()
	tr := consensus.BlockTrace{Number: h, Hash: hash, Txs: txs, View: b.view, Proposer: b.proposer, Execute: b.exec, Commit: took}
	if b.seal > 0 {
		tr.Phases = append(tr.Phases, consensus.PhaseTime{Name: consensus.PhaseSeal, Took: b.seal})
	}
	span := func(name string, from, to time.Time) {
		if !from.IsZero() && !to.IsZero() && !to.Before(from) {
			tr.Phases = append(tr.Phases, consensus.PhaseTime{Name: name, Took: to.Sub(from)})
		}
	}
	span(consensus.PhasePrepare, b.proposed, b.prepared)
	span(consensus.PhaseCommit, b.prepared, b.decided)
	span(consensus.PhaseCheckpoint, b.executed, end.Add(-took))
	if !b.proposed.IsZero() {
		tr.Total = end.Sub(b.proposed)
	}
	t.tr.BlockTraced(tr)
}

// forget drops the records of heights up to h (committed, or passed by
// sync).
func (t *traces) forget(h uint64) {
	for n := range t.byNum {
		if n <= h {
			delete(t.byNum, n)
		}
	}
}
