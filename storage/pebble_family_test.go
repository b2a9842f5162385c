package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestFamilyEnd(t *testing.T) {
	for _, c := range []struct{ start, want string }{
		{"l/t/\x00\x00\x01", "l/t0"},
		{"s/h/s/a/\x12", "s/h0"},
		{"l/v", "l/w"},
		{"l/head", "l/hf"},
		{"a/\xff\xff\x01", "a0"},
		{"\xff/\xff\xff\x01", "\xff0"},
		{"\x8f\x13random tx hash", ""},
		{"l", ""},
		{"", ""},
	} {
		got := familyEnd([]byte(c.start))
		if string(got) != c.want || (c.want == "") != (got == nil) {
			t.Errorf("familyEnd(%q) = %q, want %q", c.start, got, c.want)
		}
		if got != nil && bytes.Compare(got, []byte(c.start)) <= 0 {
			t.Errorf("familyEnd(%q) = %q, not after the start", c.start, got)
		}
	}
}

// ledgerLayoutBlock commits one batch laid out as a block of n value
// transfers is in a group's store: the ledger's tx and receipt records
// keyed by block number and index, a hash-index entry under a random tx
// hash, a fresh recipient account and a sender that is one of 1,250, and
// a state-history entry for each of the two accounts.
func ledgerLayoutBlock(tb testing.TB, p *Pebble, rng *rand.PCG, n, block int) {
	b := p.NewBatch()
	put := func(k, v []byte) {
		if err := b.Put(k, v); err != nil {
			tb.Fatal(err)
		}
	}
	random := func(dst []byte) {
		for i := 0; i+8 <= len(dst); i += 8 {
			binary.LittleEndian.PutUint64(dst[i:], rng.Uint64())
		}
	}
	record := func(prefix string, i int) []byte {
		k := binary.BigEndian.AppendUint64([]byte(prefix), uint64(block))
		return binary.BigEndian.AppendUint32(k, uint32(i))
	}
	body, receipt := make([]byte, 200), make([]byte, 190)
	for i := range n {
		random(body)
		put(record("l/t/", i), body)
	}
	for i := range n {
		random(receipt[:64])
		put(record("l/r/", i), receipt)
	}
	hash, acct := make([]byte, 32), make([]byte, 24)
	for i := range n {
		random(hash)
		put(append([]byte("l/x/"), hash...), make([]byte, 12))
		random(acct)
		sender := binary.BigEndian.AppendUint64(make([]byte, 0, 20), uint64((block*n+i)%1250))[:20]
		for _, a := range [][]byte{acct[:20], sender} {
			put(append([]byte("s/a/"), a...), acct[:8])
			h := binary.BigEndian.AppendUint64(append([]byte("s/h/s/a/"), a...), ^uint64(block))
			put(h, acct[:9])
		}
	}
	if err := b.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// familyOf is the family of a key, as keyFamilySpan sees it.
func familyOf(k []byte) string { return string(k[:min(keyFamilyLen, len(k))]) }

// straddlingTables counts the store's tables that hold keys of more than
// one family.
func straddlingTables(t *testing.T, p *Pebble) (straddling, tables int) {
	levels, err := p.db.SSTables()
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range levels {
		for _, tb := range level {
			tables++
			if familyOf(tb.Smallest.UserKey) != familyOf(tb.Largest.UserKey) {
				straddling++
			}
		}
	}
	return straddling, tables
}

// TestTablesEndAtKeyFamilies writes blocks laid out as a group's store is,
// flushing and compacting them, and requires that no table of the node's
// store holds keys of two families; the same writes without the span
// policy leave such tables, so the check has something to find.
func TestTablesEndAtKeyFamilies(t *testing.T) {
	for _, families := range []bool{true, false} {
		t.Run(fmt.Sprintf("families=%v", families), func(t *testing.T) {
			tuning := nodeTuning
			tuning.familyTables = families
			p, err := openPebble(t.TempDir(), nil, true, tuning)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			rng := rand.NewPCG(3, 4)
			for block := range 12 {
				ledgerLayoutBlock(t, p, rng, 200, block)
				if block%3 == 2 {
					if err := p.db.Flush(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := p.db.Compact(t.Context(), []byte("a"), []byte("z"), false); err != nil {
				t.Fatal(err)
			}
			ledgerLayoutBlock(t, p, rng, 200, 12)
			if err := p.db.Flush(); err != nil {
				t.Fatal(err)
			}
			straddling, tables := straddlingTables(t, p)
			switch {
			case families && straddling > 0:
				t.Fatalf("%d of %d tables hold keys of two families", straddling, tables)
			case !families && straddling == 0:
				t.Fatalf("without the span policy none of %d tables holds keys of two families: the test finds nothing", tables)
			}
		})
	}
}

// settle waits until the store has run no compaction for half a second,
// so that the work the writes caused is done, not deferred.
func settle(p *Pebble) {
	for idle := 0; idle < 10; {
		if p.db.Metrics().Compact.NumInProgress > 0 {
			idle = 0
		} else {
			idle++
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BenchmarkPebbleLedgerLayout commits blocks of 1,000 transfers laid out
// as in a group's store (ledgerLayoutBlock, about 0.5 MB each) into a
// store that already holds 250 of them, with and without tables ended at
// key families, and reports as BenchmarkPebbleBlockWrites does
// (benchBlockWrites), the compactions the writes started waited for.
//
//	go test ./storage -run '^$' -bench PebbleLedgerLayout -benchtime 800x
func BenchmarkPebbleLedgerLayout(b *testing.B) {
	for _, families := range []bool{false, true} {
		b.Run(fmt.Sprintf("family-tables=%v", families), func(b *testing.B) {
			tuning := nodeTuning
			tuning.familyTables = families
			benchBlockWrites(b, tuning, ledgerLayoutBlock, true)
		})
	}
}
