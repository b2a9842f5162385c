package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gobcos/gobcos/internal/proctest"
)

func TestPebbleStatsCountFlushes(t *testing.T) {
	p, err := OpenPebble(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s0, err := p.Stats()
	if err != nil {
		t.Fatal(err)
	}
	b := p.NewBatch()
	for i := range 1000 {
		if err := b.Put(fmt.Appendf(nil, "k%06d", i), make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	// Committed to the write-ahead log, not flushed yet: no table bytes.
	if s, err := p.Stats(); err != nil || s.FlushedBytes != s0.FlushedBytes {
		t.Fatalf("before the flush: %+v (%v), want the flushed bytes of %+v", s, err, s0)
	}
	if err := p.db.Flush(); err != nil {
		t.Fatal(err)
	}
	s1, err := p.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s1.Flushes <= s0.Flushes || s1.FlushedBytes <= s0.FlushedBytes || s1.DiskBytes == 0 {
		t.Fatalf("after a flush of 100 KB: %+v, before %+v", s1, s0)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Stats(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Stats after Close: %v, want ErrClosed", err)
	}
}

func TestStallCounter(t *testing.T) {
	s := &stallCounter{logger: slog.New(slog.DiscardHandler)}
	t0 := time.Unix(1000, 0)
	if n, d := s.read(t0); n != 0 || d != 0 {
		t.Fatalf("fresh: %d, %v", n, d)
	}
	s.end(t0) // an end without a begin is ignored
	s.begin(t0, "memtable count limit reached")
	s.begin(t0.Add(time.Second), "again") // already stalled: the same stall
	if n, d := s.read(t0.Add(2 * time.Second)); n != 1 || d != 2*time.Second {
		t.Fatalf("during a stall: %d, %v; want 1, 2s", n, d)
	}
	s.end(t0.Add(3 * time.Second))
	s.begin(t0.Add(10*time.Second), "L0 file count limit exceeded")
	s.end(t0.Add(10*time.Second + 500*time.Millisecond))
	if n, d := s.read(t0.Add(time.Minute)); n != 2 || d != 3500*time.Millisecond {
		t.Fatalf("after two stalls: %d, %v; want 2, 3.5s", n, d)
	}
}

// TestPebbleLogsFlushesAndCompactions checks that a store logs its
// flushes and compactions, with what they wrote.
func TestPebbleLogsFlushesAndCompactions(t *testing.T) {
	var log proctest.Log // Pebble's goroutines write to it
	p, err := OpenPebble(t.TempDir(), slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for round := range 2 {
		b := p.NewBatch()
		for i := range 1000 {
			if err := b.Put(fmt.Appendf(nil, "k%06d", i), fmt.Appendf(nil, "round %d", round)); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := p.db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.db.Compact(context.Background(), []byte("k"), []byte("l"), true); err != nil {
		t.Fatal(err)
	}
	got := log.String()
	for _, want := range []string{`msg="flushed memtables" component=pebble`, `msg="compacted tables" component=pebble`, "table_bytes=", "took="} {
		if !strings.Contains(got, want) {
			t.Errorf("the log lacks %q:\n%s", want, got)
		}
	}
}
