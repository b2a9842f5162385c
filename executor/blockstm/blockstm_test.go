package blockstm

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// synthTx reads some keys and writes, to others, values derived from what
// it read: a transaction of a toy VM whose result depends on every read.
type synthTx struct {
	reads, writes []string
	del           bool // delete the first written key instead
}

func synthBlock(rng *rand.Rand, n, keys int) []synthTx {
	txs := make([]synthTx, n)
	for i := range txs {
		for range 1 + rng.IntN(4) {
			txs[i].reads = append(txs[i].reads, fmt.Sprint("k", rng.IntN(keys)))
		}
		for range rng.IntN(3) {
			txs[i].writes = append(txs[i].writes, fmt.Sprint("k", rng.IntN(keys)))
		}
		txs[i].del = rng.IntN(7) == 0
	}
	return txs
}

// run executes tx i over read and returns its output and writes.
func (tx synthTx) run(i int, read func(string) []byte) (uint64, []Write) {
	h := uint64(i + 1)
	for _, k := range tx.reads {
		v := read(k)
		var x uint64
		if len(v) == 8 {
			x = binary.BigEndian.Uint64(v)
		}
		h = h*1_000_003 + x
	}
	var ws []Write
	seen := map[string]bool{}
	for j, k := range tx.writes {
		if seen[k] {
			continue
		}
		seen[k] = true
		if j == 0 && tx.del {
			ws = append(ws, Write{Key: []byte(k)})
			continue
		}
		ws = append(ws, Write{Key: []byte(k), Value: binary.BigEndian.AppendUint64(nil, h+uint64(j))})
	}
	return h, ws
}

func base(k string) []byte {
	if k[len(k)-1]%2 == 0 {
		return nil
	}
	return binary.BigEndian.AppendUint64(nil, uint64(len(k)*7))
}

func serial(txs []synthTx) ([]uint64, map[string][]byte) {
	state := map[string][]byte{}
	written := map[string]bool{}
	outs := make([]uint64, len(txs))
	for i, tx := range txs {
		out, ws := tx.run(i, func(k string) []byte {
			if written[k] {
				return state[k]
			}
			return base(k)
		})
		outs[i] = out
		for _, w := range ws {
			state[string(w.Key)], written[string(w.Key)] = w.Value, true
		}
	}
	return outs, state
}

func parallel(t *testing.T, txs []synthTx, workers int) ([]uint64, map[string][]byte) {
	mv := NewMVMemory(len(txs), func(k []byte) ([]byte, error) { return base(string(k)), nil })
	outs := make([]uint64, len(txs))
	// A scheduler that loses track of the end would hang: bound the run so
	// that the test fails with a message instead.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Even transactions go through their worker's Cache, odd ones through
	// MVMemory directly.
	caches := make([]*Cache, max(workers, 1))
	for w := range caches {
		caches[w] = mv.NewCache()
	}
	err := Run(ctx, mv, len(txs), workers, func(w int, v Version) Result {
		var reads []Read
		blocked := -1
		cached := v.Tx%2 == 0
		out, ws := txs[v.Tx].run(v.Tx, func(k string) []byte {
			if blocked >= 0 {
				return nil
			}
			var r ReadResult
			var rd Read
			if cached {
				r, rd = caches[w].Read([]byte(k), v.Tx)
			} else {
				r, rd = mv.Read([]byte(k), v.Tx)
			}
			if r.BlockedBy >= 0 {
				blocked = r.BlockedBy
				return nil
			}
			reads = append(reads, rd)
			if v.Tx%3 == 0 {
				runtime.Gosched() // vary the interleavings
			}
			return r.Value
		})
		if blocked >= 0 {
			return Result{BlockedBy: blocked}
		}
		outs[v.Tx] = out
		if cached {
			for j, x := range ws {
				ws[j] = caches[w].Write(x.Key, x.Value)
			}
		}
		return Result{BlockedBy: -1, Reads: reads, Writes: ws}
	})
	if err != nil {
		t.Fatal(err)
	}
	state := map[string][]byte{}
	for _, w := range mv.Snapshot() {
		if _, dup := state[string(w.Key)]; dup {
			t.Fatalf("key %s twice in the snapshot", w.Key)
		}
		state[string(w.Key)] = w.Value
		if w.Writers < 1 {
			t.Fatalf("key %s: %d writers", w.Key, w.Writers)
		}
	}
	return outs, state
}

func TestRunMatchesSerial(t *testing.T) {
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	for round := range rounds {
		rng := rand.New(rand.NewPCG(uint64(round), 7))
		keys := []int{2, 10, 100, 10000}[round%4] // from all conflicting to none
		txs := synthBlock(rng, 50+rng.IntN(150), keys)
		wantOuts, wantState := serial(txs)
		for _, workers := range []int{1, 2, 4, 8} {
			outs, st := parallel(t, txs, workers)
			for i := range outs {
				if outs[i] != wantOuts[i] {
					t.Fatalf("round %d, %d workers: tx %d output %d, serial %d", round, workers, i, outs[i], wantOuts[i])
				}
			}
			if len(st) != len(wantState) {
				t.Fatalf("round %d, %d workers: %d keys written, serial %d", round, workers, len(st), len(wantState))
			}
			for k, v := range wantState {
				if got, ok := st[k]; !ok || string(got) != string(v) {
					t.Fatalf("round %d, %d workers: key %s = %x, serial %x", round, workers, k, got, v)
				}
			}
		}
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	mv := NewMVMemory(10, nil)
	err := Run(ctx, mv, 10, 2, func(int, Version) Result { return Result{BlockedBy: -1} })
	if err == nil {
		t.Fatal("Run on a cancelled context succeeded")
	}
}

func TestRunEmpty(t *testing.T) {
	if err := Run(context.Background(), NewMVMemory(0, nil), 0, 4, nil); err != nil {
		t.Fatal(err)
	}
}
