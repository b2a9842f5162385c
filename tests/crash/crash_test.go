package crash

import (
	"bufio"
	"context"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/testports"
	"github.com/gobcos/gobcos/sdk"
)

// buildBinary compiles cmd/gobcos once for the test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gobcos")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/gobcos")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build gobcos: %v", err)
	}
	return bin
}

// freePort finds a free port below the ephemeral range.
func freePort(t *testing.T) int { return testports.Base(t, 1) }

type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *strings.Builder
	mu   *sync.Mutex
}

// start runs `gobcos up` and waits for its RPC URL on stdout.
func start(t *testing.T, bin, dir string, port int, suite string) *proc {
	t.Helper()
	cmd := exec.Command(bin, "up", "--nodes", "1", "--dir", dir, "--rpc-port", fmt.Sprint(port), "--crypto", suite, "--metrics-port", "0", "--explorer-port", "0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: new(strings.Builder), mu: new(sync.Mutex)}
	cmd.Stderr = &lockedWriter{p.logs, p.mu}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "JSON-RPC: ") {
				urls <- strings.Fields(line)[1]
			}
		}
	}()
	select {
	case p.url = <-urls:
	case <-time.After(60 * time.Second):
		t.Fatalf("node did not print its RPC URL; its log:\n%s", p.log())
	}
	return p
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

type lockedWriter struct {
	b  *strings.Builder
	mu *sync.Mutex
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(b)
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
	for _, suite := range []string{crypto.NameECDSA, crypto.NameSM} {
		t.Run(suite, func(t *testing.T) { testKillUnderLoad(t, suite) })
	}
}

func testKillUnderLoad(t *testing.T, suite string) {
	bin := buildBinary(t)
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
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.cmd.Wait()
		cancel()
		wg.Wait()
		if len(before) == startCount {
			t.Fatalf("round %d: no new tx was confirmed before the kill; node log:\n%s", round, p.log())
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
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("node did not stop cleanly on SIGTERM: %v; its log:\n%s", err, p.log())
	}
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
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("node did not stop cleanly on SIGINT: %v", err)
	}
}
