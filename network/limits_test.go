package network

import (
	"testing"
	"time"
)

func TestTokenBucket(t *testing.T) {
	now := testNow
	clock := func() time.Time { return now }
	b := newTokenBucket(10, 5, clock)
	n := 0
	for range 20 {
		if b.allow(1) {
			n++
		}
	}
	if n != 5 {
		t.Fatalf("burst allowed %d, want 5", n)
	}
	now = now.Add(300 * time.Millisecond) // 3 tokens
	n = 0
	for range 20 {
		if b.allow(1) {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("after 300ms allowed %d, want 3", n)
	}
	now = now.Add(time.Hour) // refills to the burst only
	n = 0
	for range 20 {
		if b.allow(1) {
			n++
		}
	}
	if n != 5 {
		t.Fatalf("after an hour allowed %d, want 5", n)
	}
	// A cost above the burst passes from a full bucket, then leaves a debt.
	now = now.Add(time.Hour)
	if !b.allow(8) || b.allow(1) {
		t.Fatal("large cost")
	}
	now = now.Add(300 * time.Millisecond) // -3 + 3 = 0
	if b.allow(1) {
		t.Fatal("debt not repaid")
	}
	var unlimited *tokenBucket = newTokenBucket(0, 0, clock)
	if unlimited != nil || !unlimited.allow(1e9) {
		t.Fatal("unlimited bucket")
	}
}

func TestBackoff(t *testing.T) {
	r := 0.0
	b := backoff{min: 100 * time.Millisecond, max: time.Second, random: func() float64 { return r }}
	// With r = 0 each delay is half the nominal one.
	want := []time.Duration{50, 100, 200, 400, 500, 500}
	for i, w := range want {
		if d := b.next(); d != w*time.Millisecond {
			t.Fatalf("attempt %d: %v, want %v", i, d, w*time.Millisecond)
		}
	}
	b.reset()
	r = 0.5
	if d := b.next(); d != 75*time.Millisecond {
		t.Fatalf("jittered: %v", d)
	}
	r = 0.999999
	if d := b.next(); d < 199*time.Millisecond || d > 200*time.Millisecond {
		t.Fatalf("top of range: %v", d)
	}
	r = 7 // out of range values are clamped
	if d := b.next(); d != 200*time.Millisecond {
		t.Fatalf("bad random: %v", d)
	}
}
