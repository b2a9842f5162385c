package txpool

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestReason(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range reasons {
		wrapped := fmt.Errorf("%w: details", r.err)
		if got := Reason(wrapped); got != r.name {
			t.Errorf("Reason(%v) = %q, want %q", wrapped, got, r.name)
		}
		if seen[r.name] {
			t.Errorf("reason %q used twice", r.name)
		}
		seen[r.name] = true
	}
	if got := Reason(nil); got != "" {
		t.Errorf("Reason(nil) = %q", got)
	}
	if got := Reason(errors.New("something else")); got != ReasonOther {
		t.Errorf("unknown error: %q", got)
	}
	if got := Reason(fmt.Errorf("signature not verified: %w", context.DeadlineExceeded)); got != "timeout" {
		t.Errorf("timeout: %q", got)
	}
}
