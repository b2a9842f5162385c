package bench

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// fakeEth is a node without eth_getBlockReceipts: blocks list tx hashes,
// receipts come one by one.
type fakeEth struct {
	blocks map[uint64][]common.Hash
	failed map[common.Hash]bool
}

func (f *fakeEth) GetBlockByNumber(n hexutil.Uint64, full bool) (map[string]any, error) {
	return map[string]any{"number": n, "transactions": f.blocks[uint64(n)]}, nil
}

func (f *fakeEth) GetTransactionReceipt(h common.Hash) (map[string]any, error) {
	status := hexutil.Uint64(1)
	if f.failed[h] {
		status = 0
	}
	return map[string]any{"transactionHash": h, "status": status}, nil
}

// ethClient serves api as the eth namespace of an in-process node.
func ethClient(t *testing.T, api any) *rpc.Client {
	t.Helper()
	srv := rpc.NewServer()
	if err := srv.RegisterName("eth", api); err != nil {
		t.Fatal(err)
	}
	rc := rpc.DialInProc(srv)
	t.Cleanup(func() { rc.Close(); srv.Stop() })
	return rc
}

// TestTrackerPerTxFallback checks the tracker falls back to block tx
// hashes and receipt batches when eth_getBlockReceipts is missing, and
// records every watched tx once with its status and block.
func TestTrackerPerTxFallback(t *testing.T) {
	h := func(i byte) common.Hash { return common.Hash{i} }
	f := &fakeEth{
		blocks: map[uint64][]common.Hash{5: {h(1), h(9)}, 6: {}, 7: {h(2), h(3)}},
		failed: map[common.Hash]bool{h(3): true},
	}
	tr := newTracker(ethClient(t, f), 5, slog.New(slog.DiscardHandler))
	w := newWatch([]common.Hash{h(1), h(2), h(3), h(4)})
	tr.add(w)
	seen := time.Now()
	tr.seenHead(7, seen)
	tr.scan(context.Background())
	tr.seenHead(7, seen.Add(time.Second)) // nothing new
	tr.scan(context.Background())

	if !tr.perTxRx {
		t.Error("tracker did not switch to per-tx receipts")
	}
	if w.committed() != 3 {
		t.Fatalf("%d committed, want 3", w.committed())
	}
	wantBlock := []uint64{5, 7, 7, 0}
	wantStatus := []uint64{1, 1, 0, 0}
	for i := range 4 {
		if w.number[i] != wantBlock[i] || w.status[i] != wantStatus[i] {
			t.Errorf("tx %d: block %d status %d, want %d and %d", i, w.number[i], w.status[i], wantBlock[i], wantStatus[i])
		}
		if committed := !w.commit[i].IsZero(); committed != (i < 3) || (committed && !w.commit[i].Equal(seen)) {
			t.Errorf("tx %d: commit time %v", i, w.commit[i])
		}
	}
	if tr.blocks != 2 || tr.next != 8 {
		t.Errorf("blocks %d next %d, want 2 and 8", tr.blocks, tr.next)
	}
}

// fakeReceipts is a node with eth_getBlockReceipts: block n holds the tx
// hash {n}.
type fakeReceipts struct {
	mu    sync.Mutex
	calls []uint64
}

func (f *fakeReceipts) GetBlockReceipts(n hexutil.Uint64) ([]map[string]any, error) {
	f.mu.Lock()
	f.calls = append(f.calls, uint64(n))
	f.mu.Unlock()
	return []map[string]any{{"transactionHash": common.Hash{byte(n)}, "status": hexutil.Uint64(1)}}, nil
}

// TestTrackerArrivalTimes checks each block is recorded with the arrival
// of the first head at or above it, however late its receipts are fetched,
// and that a scan behind by more than one batch fetches every block once.
func TestTrackerArrivalTimes(t *testing.T) {
	f := &fakeReceipts{}
	tr := newTracker(ethClient(t, f), 1, slog.New(slog.DiscardHandler))
	hashes := make([]common.Hash, 40)
	for i := range hashes {
		hashes[i] = common.Hash{byte(i + 1)} // blocks 1..40
	}
	w := newWatch(hashes)
	tr.add(w)
	t0 := time.Unix(1000, 0)
	// Heads 3, 2 (late, ignored), 20 and 40 arrive before any fetch.
	tr.seenHead(3, t0)
	tr.seenHead(2, t0.Add(time.Second))
	tr.seenHead(20, t0.Add(2*time.Second))
	tr.seenHead(40, t0.Add(3*time.Second))
	tr.scan(context.Background())

	if w.committed() != 40 {
		t.Fatalf("%d committed, want 40", w.committed())
	}
	for i := range hashes {
		n := uint64(i + 1)
		want := t0
		switch {
		case n > 20:
			want = t0.Add(3 * time.Second)
		case n > 3:
			want = t0.Add(2 * time.Second)
		}
		if !w.commit[i].Equal(want) || w.number[i] != n {
			t.Errorf("block %d: seen %v in block %d, want %v", n, w.commit[i], w.number[i], want)
		}
	}
	if len(f.calls) != 40 || tr.next != 41 || len(tr.arrivals) != 1 {
		t.Errorf("%d block fetches, next %d, %d arrivals kept; want 40, 41, 1", len(f.calls), tr.next, len(tr.arrivals))
	}
	for i, n := range f.calls {
		if n != uint64(i+1) {
			t.Fatalf("fetches %v: want blocks 1..40 in order", f.calls)
		}
	}
}

func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, "signing", 10)
	for range 10 {
		p.add(1)
	}
	p.finish()
	out := b.String()
	if !strings.Contains(out, "10/10 100%") || !strings.HasSuffix(out, "\n") || strings.Count(out, "10/10") != 1 {
		t.Errorf("progress output %q: want one final 10/10 100%% line", out)
	}
	var nilBar *progress
	nilBar.add(1) // no writer: no-op
	nilBar.finish()
}
