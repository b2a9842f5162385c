package engine

import (
	"time"

	"github.com/gobcos/gobcos/consensus/pbft"
)

// The minimum seal interval: a leader proposes a height no sooner than
// the interval after its round began (the height before was decided, or
// a view change started the round), unless the pool holds a full block.
// It spaces the blocks of a lightly loaded chain (each block costs the
// sealers CPU and storage whatever it holds) without slowing a loaded one.
// The core can count it only in whole ticks (Core.MinSealTicks, rounded
// down: an interval under a tick never held), so the driver keeps the
// core's count at 0 and holds proposals back itself, by the clock, waking
// when the interval ends.

// noteRound records when the core's round changed height or view.
func (e *Engine) noteRound() {
	if e.core == nil {
		return
	}
	st := e.core.Status()
	if st.Height != e.round.height || st.View != e.round.view || e.round.start.IsZero() {
		e.round.height, e.round.view, e.round.start = st.Height, st.View, time.Now()
	}
}

// sealWait is how long the minimum seal interval still holds back a
// proposal in the current round (0: none).
func (e *Engine) sealWait() time.Duration {
	if e.minSeal <= 0 || e.round.start.IsZero() {
		return 0
	}
	return max(0, e.minSeal-time.Since(e.round.start))
}

// fullBlockWaits says whether the pool holds enough txs for a full block
// at req besides those of the ordered blocks below it, which stay pooled
// until committed. The count also holds txs that cannot be sealed yet (a
// nonce gap): at worst a block goes out before the interval, which only
// changes its timing.
func (e *Engine) fullBlockWaits(req pbft.ProposalRequest) bool {
	rules, err := e.rulesAt(req.Height)
	if err != nil {
		return false // candidates will not propose either
	}
	limit := rules.BlockTxLimit(req.MaxTxs)
	if limit <= 0 {
		return false
	}
	var head uint64
	if h := e.ledger.Head(); h != nil {
		head = h.Number
	}
	inFlight := 0
	for _, p := range req.Pending {
		if p.Height > head {
			inFlight += len(p.Txs)
		}
	}
	n, _ := e.pool.Stats()
	return n >= limit+inFlight
}

// wakeToPropose makes the run loop ask for a proposal again after d.
func (e *Engine) wakeToPropose(d time.Duration) {
	if e.sealTimer == nil {
		e.sealTimer = time.NewTimer(d)
	} else {
		e.sealTimer.Reset(d)
	}
	e.sealC = e.sealTimer.C
}

// sealRound is the core's round as the driver last saw it.
type sealRound struct {
	height, view uint64
	start        time.Time
}
