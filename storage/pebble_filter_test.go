package storage

import (
	"crypto/rand"
	"testing"
)

// fillTables writes n random 32-byte keys (as tx hashes are) and flushes
// them to tables, so lookups go past the memtable.
func fillTables(tb testing.TB, p *Pebble, n int) {
	tb.Helper()
	key := make([]byte, 32)
	for done := 0; done < n; {
		b := p.NewBatch()
		for i := 0; i < 10_000 && done < n; i, done = i+1, done+1 {
			rand.Read(key)
			if err := b.Put(key, []byte{1}); err != nil {
				tb.Fatal(err)
			}
		}
		if err := b.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	if err := p.db.Flush(); err != nil {
		tb.Fatal(err)
	}
}

// A node's store has Bloom filters: lookups of absent keys are answered by
// them.
func TestPebbleBloomFilters(t *testing.T) {
	p, err := OpenPebble(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	fillTables(t, p, 20_000)
	key := make([]byte, 32)
	for range 1000 {
		rand.Read(key)
		if ok, err := p.Has(key); err != nil || ok {
			t.Fatalf("Has(absent key) = %v, %v", ok, err)
		}
	}
	if m := p.db.Metrics(); m.Filter.Hits == 0 {
		t.Fatalf("no lookup was answered by a filter (filter metrics %+v)", m.Filter)
	}
}

// BenchmarkPebbleHasAbsent looks up absent 32-byte keys in a store of
// 4,000,000 (more than the block cache holds), with and without the
// tables' Bloom filters. Filling the store takes about 20 s per case.
//
//	go test ./storage -run '^$' -bench PebbleHasAbsent -benchtime 200000x
func BenchmarkPebbleHasAbsent(b *testing.B) {
	for _, c := range []struct {
		name    string
		filters bool
	}{{"filters", true}, {"no-filters", false}} {
		b.Run(c.name, func(b *testing.B) {
			p, err := openPebble(b.TempDir(), nil, c.filters, nodeTuning)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			fillTables(b, p, 4_000_000)
			key := make([]byte, 32)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				rand.Read(key)
				if ok, err := p.Has(key); err != nil || ok {
					b.Fatalf("Has(absent key) = %v, %v", ok, err)
				}
			}
		})
	}
}
