package crash

import (
	"context"
	"fmt"
	"math/big"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/proctest"
	"github.com/gobcos/gobcos/internal/testports"
	"github.com/gobcos/gobcos/sdk"
)

// buildBinary compiles cmd/gobcos for the test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gobcos")
	if err := proctest.Build(bin, "../../cmd/gobcos"); err != nil {
		t.Fatal(err)
	}
	return bin
}

// freePort finds a free port below the ephemeral range.
func freePort(t *testing.T) int { return testports.Base(t, 1) }

type proc struct {
	cmd  *exec.Cmd
	url  string
	done <-chan struct{} // closed once the process has exited
	logs *proctest.Log
}

// start runs `gobcos up` and waits for its RPC URL on stdout.
func start(t *testing.T, bin, dir string, port int, suite string) *proc {
	t.Helper()
	cmd := exec.Command(bin, "up", "--nodes", "1", "--dir", dir, "--rpc-port", fmt.Sprint(port), "--crypto", suite, "--metrics-port", "0", "--explorer-port", "0")
	p := &proc{cmd: cmd, logs: new(proctest.Log)}
	url, done, err := proctest.StartRPC(cmd, p.logs, 60*time.Second)
	if err != nil {
		t.Fatalf("%v; its log:\n%s", err, p.logs)
	}
	p.url, p.done = url, done
	t.Cleanup(p.kill)
	return p
}

// kill SIGKILLs the process, if it still runs, and waits for it.
func (p *proc) kill() {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Kill()
		<-p.done
	}
}

// exitsCleanly sends sig and waits up to a minute for the process to exit; it
// fails the test unless the exit status is 0.
func (p *proc) exitsCleanly(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("node did not stop within 60s of %v; its log:\n%s", sig, p.logs)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("node did not stop cleanly on %v: exit status %d; its log:\n%s", sig, code, p.logs)
	}
}

type confirmed struct {
	hash    common.Hash
	block   uint64
	index   uint64
	status  uint64
	gasUsed uint64
}

// TestKillUnderLoad SIGKILLs a node while clients send transactions, twice,
// and checks after each restart that every receipt a client received before
// the kill is still there, unchanged, that the height never went back, and
// that the node accepts transactions again.
func TestKillUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs real processes")
	}
	bin := buildBinary(t)
	for _, suite := range []string{crypto.NameECDSA, crypto.NameSM} {
		t.Run(suite, func(t *testing.T) { testKillUnderLoad(t, bin, suite) })
	}
}

func testKillUnderLoad(t *testing.T, bin, suite string) {
	dir := filepath.Join(t.TempDir(), "chain")
	port := freePort(t)
	p := start(t, bin, dir, port, suite)

	var (
		mu       sync.Mutex
		receipts []confirmed
		height   uint64
	)
	for round := 0; round < 2; round++ {
		mu.Lock()
		startCount := len(receipts)
		mu.Unlock()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client, err := sdk.Dial(ctx, p.url)
				if err != nil {
					return
				}
				defer client.Close()
				key, _ := client.Suite().GenerateKey()
				to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
				for ctx.Err() == nil {
					r, err := client.SendNativeWait(ctx, key, &to, big.NewInt(0), []byte("load"), 0)
					if err != nil {
						continue
					}
					mu.Lock()
					receipts = append(receipts, confirmed{r.TxHash, r.BlockNumber, r.TxIndex, r.Status, r.GasUsed})
					mu.Unlock()
				}
			}()
		}
		// Let load build up, then kill the node mid-flight.
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			n := len(receipts)
			mu.Unlock()
			if n >= startCount+40 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		mu.Lock()
		before := append([]confirmed(nil), receipts...)
		mu.Unlock()
		p.kill()
		cancel()
		wg.Wait()
		if len(before) == startCount {
			t.Fatalf("round %d: no new tx was confirmed before the kill; node log:\n%s", round, p.logs)
		}
		for _, r := range before {
			height = max(height, r.block)
		}

		p = start(t, bin, dir, port, suite)
		checkCtx, checkCancel := context.WithTimeout(context.Background(), 60*time.Second)
		client, err := sdk.Dial(checkCtx, p.url)
		if err != nil {
			t.Fatal(err)
		}
		now, err := client.BlockNumber(checkCtx)
		if err != nil {
			t.Fatal(err)
		}
		if now < height {
			t.Fatalf("round %d: height went back from %d to %d after the kill", round, height, now)
		}
		for _, want := range before {
			got, err := client.TransactionReceipt(checkCtx, want.hash)
			if err != nil {
				t.Fatalf("round %d: receipt of %s, confirmed before the kill, is gone: %v", round, want.hash, err)
			}
			if got.BlockNumber != want.block || got.TxIndex != want.index || got.Status != want.status || got.GasUsed != want.gasUsed {
				t.Fatalf("round %d: receipt of %s changed across the kill: %+v, want %+v", round, want.hash, got, want)
			}
		}
		// The node serves again.
		key, _ := client.Suite().GenerateKey()
		to := common.HexToAddress("0x00000000000000000000000000000000000000bb")
		if _, err := client.SendNativeWait(checkCtx, key, &to, big.NewInt(0), nil, 0); err != nil {
			t.Fatalf("round %d: node does not commit after restart: %v", round, err)
		}
		t.Logf("round %d: %d receipts confirmed before SIGKILL all present; height %d -> %d", round, len(before), height, now)
		client.Close()
		checkCancel()
	}
	// A clean stop: SIGTERM (what Ctrl-C sends as SIGINT does the same) ends
	// the process with status 0, and the next start resumes the chain.
	p.exitsCleanly(t, syscall.SIGTERM)
	p = start(t, bin, dir, port, suite)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := sdk.Dial(ctx, p.url)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if now, err := client.BlockNumber(ctx); err != nil || now < height {
		t.Fatalf("after a clean stop the height is %d (%v), want at least %d", now, err, height)
	}
	p.exitsCleanly(t, syscall.SIGINT)
}
