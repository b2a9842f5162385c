package logtest

import (
	"context"
	"log/slog"
	"maps"
	"sync"
)

// Counter is a slog.Handler counting records by level and message. It is
// safe for concurrent use; attributes and groups are ignored.
type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

// NewCounter returns an empty Counter.
func NewCounter() *Counter { return &Counter{n: make(map[string]int)} }

func key(level slog.Level, msg string) string { return level.String() + " " + msg }

// Enabled reports true for every level.
func (c *Counter) Enabled(context.Context, slog.Level) bool { return true }

// WithAttrs returns c: attributes are not counted.
func (c *Counter) WithAttrs([]slog.Attr) slog.Handler { return c }

// WithGroup returns c: groups are not counted.
func (c *Counter) WithGroup(string) slog.Handler { return c }

// Handle counts r.
func (c *Counter) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[key(r.Level, r.Message)]++
	return nil
}

// Count is the number of records of level with message msg.
func (c *Counter) Count(level slog.Level, msg string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key(level, msg)]
}

// All is a copy of the counts, keyed "LEVEL message", for failure
// messages.
func (c *Counter) All() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}
