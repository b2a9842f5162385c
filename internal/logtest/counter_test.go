package logtest

import (
	"log/slog"
	"testing"
)

func TestCounter(t *testing.T) {
	c := NewCounter()
	log := slog.New(c).With("module", "x").WithGroup("g")
	log.Warn("a", "k", 1)
	log.Warn("a")
	log.Info("a")
	if c.Count(slog.LevelWarn, "a") != 2 || c.Count(slog.LevelInfo, "a") != 1 || c.Count(slog.LevelError, "a") != 0 {
		t.Fatalf("counts %v", c.All())
	}
}
