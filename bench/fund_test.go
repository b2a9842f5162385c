package bench_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/bench"
)

// serveFake serves n over HTTP until the test ends.
func serveFake(t *testing.T, n *fakeNode) string {
	t.Helper()
	srv := rpc.NewServer()
	if err := srv.RegisterName("eth", fakeEthAPI{n}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Stop() })
	return hs.URL
}

// TestRunFundsThroughIntermediates funds more accounts than one sender
// may have txs pending at once: the node's account funds a few
// intermediate accounts, which fund the others in parallel (two levels
// up to 48² accounts, three above), each sender within the bound, and
// every account holds what its txs spend before the timed phase (the
// fake node refuses txs their sender cannot pay for).
func TestRunFundsThroughIntermediates(t *testing.T) {
	for _, c := range []struct {
		accounts, root, intermediates int
	}{
		{150, 4, 4},       // 150 = 4 groups of 37 or 38
		{2400, 2, 2 + 50}, // 2400 = 50 groups of 48, funded by 2 of 25
	} {
		t.Run(fmt.Sprint(c.accounts), func(t *testing.T) {
			n := newFakeNode()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var progress bytes.Buffer
			res, err := bench.Run(ctx, bench.Config{
				RPC: []string{serveFake(t, n)}, Workload: bench.WorkloadTransfer, Accounts: c.accounts, Txs: c.accounts,
				FunderNode: true, Nodes: 1, Wait: 20 * time.Second, CeilingTime: 10 * time.Millisecond, Progress: &progress,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Committed != c.accounts || res.Succeeded != c.accounts || len(res.Errors) != 0 {
				t.Errorf("committed %d succeeded %d errors %v, want all %d", res.Committed, res.Succeeded, res.Errors, c.accounts)
			}
			n.mu.Lock()
			defer n.mu.Unlock()
			// Raw txs: the intermediates' funding txs (one per account and
			// per intermediate below the top level) and the timed phase's.
			if want := c.accounts + (c.intermediates - c.root) + c.accounts; n.nodeSent != c.root || n.rawSent != want {
				t.Errorf("node account sent %d txs (want %d), raw txs %d (want %d)", n.nodeSent, c.root, n.rawSent, want)
			}
			for a, most := range n.mostPool {
				if most > 48 {
					t.Errorf("%v had %d txs pending at once, want at most 48", a, most)
				}
			}
			total := c.accounts + c.intermediates
			if want := fmt.Sprintf("funding [%s] %d/%d 100%%", strings.Repeat("=", 30), total, total); !strings.Contains(progress.String(), want) {
				t.Errorf("progress lacks %q:\n%q", want, progress.String())
			}
		})
	}
}

// TestRunFundingWaitsForPool sends the intermediates' txs again while
// the node's pool does not see their funds yet (go-ethereum's pool
// follows new blocks in its own goroutine).
func TestRunFundingWaitsForPool(t *testing.T) {
	n := newFakeNode()
	n.poolLag = 120 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const accounts = 100
	// The ceiling's measure, after signing, outlasts the lag: the timed
	// phase's senders are visible by then.
	res, err := bench.Run(ctx, bench.Config{
		RPC: []string{serveFake(t, n)}, Workload: bench.WorkloadTransfer, Accounts: accounts, Txs: accounts,
		FunderNode: true, Nodes: 1, Wait: 20 * time.Second, CeilingTime: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded != accounts || len(res.Errors) != 0 {
		t.Errorf("succeeded %d errors %v, want all %d", res.Succeeded, res.Errors, accounts)
	}
}

// TestRunFundingRefused stops the setup with the node's answer when it
// refuses an intermediate's tx, without waiting for --wait.
func TestRunFundingRefused(t *testing.T) {
	n := newFakeNode()
	n.refuseEvery = 3
	start := time.Now()
	_, err := bench.Run(context.Background(), bench.Config{
		RPC: []string{serveFake(t, n)}, Workload: bench.WorkloadTransfer, Accounts: 100, Txs: 100,
		FunderNode: true, Nodes: 1, Wait: 20 * time.Second, CeilingTime: 10 * time.Millisecond,
	})
	if !errors.Is(err, bench.ErrSetup) || !strings.Contains(err.Error(), "funding") || !strings.Contains(err.Error(), "nonce too low") {
		t.Fatalf("Run = %v, want a setup error of the funding naming the node's answer", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the refusal ended the run after %v", d)
	}
}
