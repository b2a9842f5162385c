package engine

import "time"

// The minimum seal interval: a leader proposes a height no sooner than
// the interval after its round began (the height before was decided, or
// a view change started the round). The core can count it only in whole
// ticks (Core.MinSealTicks, rounded down: an interval under a tick never
// held), so the driver keeps the core's count at 0 and holds proposals
// back itself, by the clock, waking when the interval ends.

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
