package network

import (
	"time"
)

// tokenBucket is a token bucket refilled at rate tokens per second up to
// burst. It is not safe for concurrent use: each peer's reader owns one.
type tokenBucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
	now         func() time.Time
}

// newTokenBucket returns a full bucket; rate <= 0 means unlimited (nil).
func newTokenBucket(rate float64, burst int, now func() time.Time) *tokenBucket {
	if rate <= 0 {
		return nil
	}
	b := float64(burst)
	if b < 1 {
		b = 1
	}
	return &tokenBucket{rate: rate, burst: b, tokens: b, last: now(), now: now}
}

// allow takes cost tokens if available. A nil bucket allows everything. A
// cost above the burst is allowed only from a full bucket, leaving a debt.
func (b *tokenBucket) allow(cost float64) bool {
	if b == nil {
		return true
	}
	now := b.now()
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens += el * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
	}
	b.last = now
	if b.tokens >= cost || (cost > b.burst && b.tokens >= b.burst) {
		b.tokens -= cost
		return true
	}
	return false
}

// backoff computes reconnect delays: exponential from min to max, with
// "equal jitter" (each delay is uniformly random in [d/2, d]) so peers that
// lost a common neighbour do not redial in lockstep.
type backoff struct {
	min, max time.Duration
	random   func() float64 // in [0, 1)
	attempt  int
}

// next returns the delay before the next attempt and counts the attempt.
func (b *backoff) next() time.Duration {
	d := b.min
	for i := 0; i < b.attempt && d < b.max; i++ {
		d *= 2
	}
	if d > b.max {
		d = b.max
	}
	b.attempt++
	half := d / 2
	r := b.random()
	if r < 0 || r >= 1 {
		r = 0
	}
	return half + time.Duration(r*float64(d-half))
}

// reset starts over from min after a successful connection.
func (b *backoff) reset() { b.attempt = 0 }
