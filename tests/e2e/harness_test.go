package e2e

import (
	"context"
	"errors"
	"flag"
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

	"github.com/gobcos/gobcos/internal/proctest"
	"github.com/gobcos/gobcos/internal/testports"
	"github.com/gobcos/gobcos/sdk"
)

// binary is the gobcos executable built once by TestMain ("" under -short).
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "gobcos-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "gobcos")
	if err := proctest.Build(binary, "../../cmd/gobcos"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs real node processes")
	}
}

// freeBase finds a base port with n consecutive free ports.
func freeBase(t *testing.T, n int) int { return testports.Base(t, n) }

// buildChain runs `gobcos chain build` for n loopback nodes into dir, with
// extra flags (for example --consensus raft).
func buildChain(t *testing.T, dir string, n int, suite string, extra ...string) {
	t.Helper()
	base := freeBase(t, 2*n)
	args := append([]string{"chain", "build", "--nodes", fmt.Sprint(n), "--dir", dir,
		"--crypto", suite, "--rpc-port", fmt.Sprint(base), "--p2p-port", fmt.Sprint(base + n), "--metrics-port", "0"}, extra...)
	out, err := exec.Command(binary, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("chain build: %v\n%s", err, out)
	}
}

// node is one gobcos node process (restartable). The load goroutines read
// its process state while the test restarts it: mu guards the fields below.
type node struct {
	t    *testing.T
	idx  int
	dir  string // nodeI directory
	logs *proctest.Log
	// bin is the executable this node runs; "" means binary.
	bin string

	mu   sync.Mutex
	url  string
	cmd  *exec.Cmd
	done <-chan struct{} // closed when the current process has exited
	// paused is set between SIGSTOP and SIGCONT: the process cannot answer.
	paused bool
}

func (nd *node) state() (cmd *exec.Cmd, done <-chan struct{}, url string, paused bool) {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.cmd, nd.done, nd.url, nd.paused
}

func (nd *node) rpcURL() string {
	_, _, url, _ := nd.state()
	return url
}

// endpoint is the RPC URL of a running, unpaused node.
func (nd *node) endpoint() (string, bool) {
	_, _, url, paused := nd.state()
	return url, nd.running() && !paused && url != ""
}

type cluster struct {
	t     *testing.T
	dir   string
	nodes []*node
}

// startCluster builds a chain of n nodes with the given suite and starts
// every node.
func startCluster(t *testing.T, n int, suite string, buildFlags ...string) *cluster {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "chain")
	buildChain(t, dir, n, suite, buildFlags...)
	c := newCluster(t, dir, n)
	for _, nd := range c.nodes {
		nd.start()
	}
	return c
}

// newCluster is the n nodes of the chain laid out in dir, not started. At
// the test's end every node is killed, and a failing test logs every
// node's output.
func newCluster(t *testing.T, dir string, n int) *cluster {
	c := &cluster{t: t, dir: dir}
	for i := range n {
		c.nodes = append(c.nodes, &node{t: t, idx: i, dir: filepath.Join(dir, fmt.Sprintf("node%d", i)), logs: new(proctest.Log)})
	}
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			nd.kill()
		}
		if t.Failed() {
			for _, nd := range c.nodes {
				t.Logf("===== node%d log =====\n%s", nd.idx, tail(nd.logs.String(), 400))
			}
		}
	})
	return c
}

func tail(s string, lines int) string {
	ls := strings.Split(s, "\n")
	if len(ls) > lines {
		ls = append([]string{fmt.Sprintf("... (%d earlier lines)", len(ls)-lines)}, ls[len(ls)-lines:]...)
	}
	return strings.Join(ls, "\n")
}

// start runs the node and waits until it prints its RPC URL.
func (nd *node) start() {
	t := nd.t
	t.Helper()
	fmt.Fprintf(nd.logs, "===== start node%d at %s =====\n", nd.idx, time.Now().Format(time.TimeOnly))
	exe := nd.bin
	if exe == "" {
		exe = binary
	}
	cmd := exec.Command(exe, "node", "--config", filepath.Join(nd.dir, "config.toml"))
	url, done, err := proctest.StartRPC(cmd, nd.logs, 60*time.Second)
	if err != nil {
		t.Fatalf("node%d: %v", nd.idx, err)
	}
	nd.mu.Lock()
	nd.cmd, nd.done, nd.url, nd.paused = cmd, done, url, false
	nd.mu.Unlock()
}

func (nd *node) running() bool {
	cmd, done, _, _ := nd.state()
	if cmd == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// signal sends sig to the running process.
func (nd *node) signal(sig syscall.Signal) {
	nd.t.Helper()
	if !nd.running() {
		nd.t.Fatalf("node%d is not running", nd.idx)
	}
	cmd, _, _, _ := nd.state()
	if err := cmd.Process.Signal(sig); err != nil {
		nd.t.Fatalf("signal node%d: %v", nd.idx, err)
	}
	nd.mu.Lock()
	defer nd.mu.Unlock()
	switch sig {
	case syscall.SIGSTOP:
		nd.paused = true
	case syscall.SIGCONT:
		nd.paused = false
	}
}

// kill SIGKILLs the process (resuming it first if stopped) and waits for it.
func (nd *node) kill() {
	if !nd.running() {
		return
	}
	cmd, done, _, _ := nd.state()
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	fmt.Fprintf(nd.logs, "===== node%d killed at %s =====\n", nd.idx, time.Now().Format(time.TimeOnly))
}

// stop sends SIGTERM and waits for a clean exit.
func (nd *node) stop() {
	nd.t.Helper()
	nd.signal(syscall.SIGTERM)
	cmd, done, _, _ := nd.state()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		nd.t.Fatalf("node%d did not stop within 30s of SIGTERM", nd.idx)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		nd.t.Fatalf("node%d exited with status %d on SIGTERM", nd.idx, code)
	}
}

// rpcCall makes one JSON-RPC call to the node with a short timeout.
func (nd *node) rpcCall(result any, method string, args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := sdk.Dial(ctx, nd.rpcURL())
	if err != nil {
		return err
	}
	defer c.Close()
	return c.RPC().CallContext(ctx, result, method, args...)
}

func (nd *node) height() (uint64, error) {
	var h string
	if err := nd.rpcCall(&h, "eth_blockNumber"); err != nil {
		return 0, err
	}
	var v big.Int
	if _, ok := v.SetString(strings.TrimPrefix(h, "0x"), 16); !ok {
		return 0, fmt.Errorf("bad eth_blockNumber %q", h)
	}
	return v.Uint64(), nil
}

// maxHeight is the highest height among the running nodes; it fails the
// test when none of them answers.
func (c *cluster) maxHeight() uint64 {
	c.t.Helper()
	var (
		m       uint64
		answers int
		lastErr error
	)
	for _, nd := range c.nodes {
		if _, ok := nd.endpoint(); !ok {
			continue
		}
		h, err := nd.height()
		if err != nil {
			lastErr = err
			continue
		}
		m = max(m, h)
		answers++
	}
	if answers == 0 {
		c.t.Fatalf("no running node answers eth_blockNumber (last error: %v)", lastErr)
	}
	return m
}

// waitHeight waits until some running node (or, with all, every node in
// nodes) reaches height h.
func waitHeight(t *testing.T, nodes []*node, h uint64, within time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		reached := true
		var got []string
		for _, nd := range nodes {
			cur, err := nd.height()
			got = append(got, fmt.Sprintf("node%d=%d", nd.idx, cur))
			if err != nil || cur < h {
				reached = false
			}
		}
		if reached {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: height %d not reached within %s (%s)", what, h, within, strings.Join(got, " "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// blockHash is eth_getBlockByNumber(n).hash on nd.
func (nd *node) blockHash(n uint64) (common.Hash, error) {
	var b struct {
		Hash common.Hash `json:"hash"`
	}
	if err := nd.rpcCall(&b, "eth_getBlockByNumber", fmt.Sprintf("0x%x", n), false); err != nil {
		return common.Hash{}, err
	}
	if b.Hash == (common.Hash{}) {
		return common.Hash{}, fmt.Errorf("node%d has no block %d", nd.idx, n)
	}
	return b.Hash, nil
}

// sameChain checks that every node in nodes has the identical block hash at
// every height 0..h.
func sameChain(t *testing.T, nodes []*node, h uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	clients := make([]*sdk.Client, len(nodes))
	for i, nd := range nodes {
		c, err := sdk.Dial(ctx, nd.rpcURL())
		if err != nil {
			t.Fatalf("dial node%d: %v", nd.idx, err)
		}
		defer c.Close()
		clients[i] = c
	}
	for n := uint64(0); n <= h; n++ {
		var want common.Hash
		for i, c := range clients {
			var b struct {
				Hash common.Hash `json:"hash"`
			}
			if err := c.RPC().CallContext(ctx, &b, "eth_getBlockByNumber", fmt.Sprintf("0x%x", n), false); err != nil || b.Hash == (common.Hash{}) {
				t.Fatalf("block %d on node%d: %v (hash %s)", n, nodes[i].idx, err, b.Hash)
			}
			if i == 0 {
				want = b.Hash
			} else if b.Hash != want {
				t.Fatalf("block %d: node%d has %s, node%d has %s", n, nodes[0].idx, want, nodes[i].idx, b.Hash)
			}
		}
	}
}

// confirmed is a receipt a client received.
type confirmed struct {
	hash  common.Hash
	block uint64
	index uint64
	bhash common.Hash
}

// load runs SDK clients sending native transactions, client w first to node
// w mod n, moving to the next node whenever its node fails.
type load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	got    []confirmed
}

func startLoad(t *testing.T, c *cluster, clients int) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{cancel: cancel}
	t.Cleanup(l.stop)
	for w := range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.run(ctx, c, w)
		}()
	}
	return l
}

func (l *load) run(ctx context.Context, c *cluster, w int) {
	// Above the system contracts' range (0x1000-0xffff), whose contracts
	// revert a call without a known selector: the txs must succeed.
	to := common.BigToAddress(big.NewInt(int64(0x10000 + w)))
	target := w % len(c.nodes)
	for ctx.Err() == nil {
		nd := c.nodes[target]
		target = (target + 1) % len(c.nodes)
		url, ok := nd.endpoint()
		if !ok {
			sleep(ctx, 50*time.Millisecond)
			continue
		}
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		client, err := sdk.Dial(dctx, url)
		dcancel()
		if err != nil {
			sleep(ctx, 300*time.Millisecond)
			continue
		}
		key, err := client.Suite().GenerateKey()
		if err != nil {
			client.Close()
			return
		}
		fails := 0
		for ctx.Err() == nil && fails < 3 {
			tctx, tcancel := context.WithTimeout(ctx, 20*time.Second)
			r, err := client.SendNativeWait(tctx, key, &to, big.NewInt(0), []byte("e2e load"), 0)
			tcancel()
			if err != nil {
				fails++
				sleep(ctx, 200*time.Millisecond)
				continue
			}
			fails = 0
			l.mu.Lock()
			l.got = append(l.got, confirmed{r.TxHash, r.BlockNumber, r.TxIndex, r.BlockHash})
			l.mu.Unlock()
		}
		client.Close()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

func (l *load) confirmed() []confirmed {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]confirmed(nil), l.got...)
}

// receiptsEverywhere checks that every confirmed transaction has the same
// receipt position and block hash on every node.
func receiptsEverywhere(t *testing.T, nodes []*node, txs []confirmed) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, nd := range nodes {
		c, err := sdk.Dial(ctx, nd.rpcURL())
		if err != nil {
			t.Fatalf("dial node%d: %v", nd.idx, err)
		}
		for _, want := range txs {
			got, err := c.TransactionReceipt(ctx, want.hash)
			if err != nil {
				c.Close()
				t.Fatalf("node%d: receipt of confirmed tx %s (block %d): %v", nd.idx, want.hash, want.block, err)
			}
			if got.BlockNumber != want.block || got.TxIndex != want.index || got.BlockHash != want.bhash {
				c.Close()
				t.Fatalf("node%d: receipt of %s at block %d index %d hash %s, the client got block %d index %d hash %s",
					nd.idx, want.hash, got.BlockNumber, got.TxIndex, got.BlockHash, want.block, want.index, want.bhash)
			}
		}
		c.Close()
	}
}

// converge waits until every node reaches the highest height among them,
// then checks identical hashes at every height and every confirmed receipt.
func converge(t *testing.T, c *cluster, txs []confirmed) uint64 {
	t.Helper()
	h := c.maxHeight()
	waitHeight(t, c.nodes, h, 90*time.Second, "convergence")
	sameChain(t, c.nodes, h)
	receiptsEverywhere(t, c.nodes, txs)
	return h
}

// settle stops the load and checks with converge that the nodes agree and
// hold every transaction the clients saw confirmed; it returns the height.
func (l *load) settle(t *testing.T, c *cluster) uint64 {
	t.Helper()
	l.stop()
	txs := l.confirmed()
	h := converge(t, c, txs)
	t.Logf("converged at height %d; %d confirmed txs on every node", h, len(txs))
	return h
}

// grows waits until the chain's height (max over running nodes) passes from+by.
func grows(t *testing.T, c *cluster, from, by uint64, within time.Duration, what string) uint64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		h := c.maxHeight()
		if h >= from+by {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: height stayed at %d, want at least %d within %s", what, h, from+by, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stalls waits until the height has not moved for settle, then checks it
// stays put for hold.
func stalls(t *testing.T, c *cluster, settle, hold time.Duration) uint64 {
	t.Helper()
	h := c.maxHeight()
	since := time.Now()
	deadline := time.Now().Add(60 * time.Second)
	for time.Since(since) < settle {
		if time.Now().After(deadline) {
			t.Fatalf("height kept moving for 60s with too few sealers (now %d)", h)
		}
		time.Sleep(200 * time.Millisecond)
		if cur := c.maxHeight(); cur != h {
			h, since = cur, time.Now()
		}
	}
	end := time.Now().Add(hold)
	for time.Now().Before(end) {
		time.Sleep(500 * time.Millisecond)
		if cur := c.maxHeight(); cur != h {
			t.Fatalf("a block was committed without a quorum: height %d -> %d", h, cur)
		}
	}
	return h
}

var errNoLog = errors.New("not found in log")

// logSince reports whether any of the node's log written after offset
// contains one of the substrings.
func (nd *node) logSince(offset int, subs ...string) error {
	s := nd.logs.String()
	if offset > len(s) {
		offset = len(s)
	}
	for _, sub := range subs {
		if strings.Contains(s[offset:], sub) {
			return nil
		}
	}
	return errNoLog
}

func execCombined(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}

// waitLog waits up to within for logSince(offset, subs...) to succeed (the
// node's stderr is copied to its log asynchronously).
func (nd *node) waitLog(offset int, within time.Duration, subs ...string) bool {
	deadline := time.Now().Add(within)
	for nd.logSince(offset, subs...) != nil {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}
