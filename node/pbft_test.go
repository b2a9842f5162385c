package node_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/internal/testports"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// freeBase finds a base port with 2n consecutive free ports: n for P2P
// and n for JSON-RPC.
func freeBase(t *testing.T, n int) int { return testports.Base(t, 2*n) }

type pbftChain struct {
	t     *testing.T
	dir   string
	names []string
	nodes []*node.Node
	tweak func(i int, cfg *node.Config) // if set, adjusts node i's config before it starts
}

func buildPBFTChain(t *testing.T, suite string, n int) *pbftChain {
	t.Helper()
	return buildChain(t, "pbft", suite, n)
}

// editGenesis changes every node's copy of the genesis before the first start.
func (c *pbftChain) editGenesis(edit func(*node.Genesis)) {
	c.t.Helper()
	for _, name := range c.names {
		cfg, err := node.LoadConfig(filepath.Join(c.dir, name, node.ConfigFile))
		if err != nil {
			c.t.Fatal(err)
		}
		g, err := node.LoadGenesis(cfg.Path(cfg.Genesis))
		if err != nil {
			c.t.Fatal(err)
		}
		edit(g)
		if err := node.WriteGenesis(cfg.Path(cfg.Genesis), g); err != nil {
			c.t.Fatal(err)
		}
	}
}

// buildChain builds an n-node chain of the given consensus with chainbuild.
func buildChain(t *testing.T, consensus, suite string, n int) *pbftChain {
	t.Helper()
	base := freeBase(t, n)
	dir := filepath.Join(t.TempDir(), "chain")
	opts := chainbuild.DefaultOptions()
	opts.Dir, opts.Nodes, opts.Crypto, opts.Consensus = dir, n, suite, consensus
	opts.P2PPort, opts.RPCPort = base, base+n
	opts.MetricsPort = 0 // fixed ports would clash across test packages; metrics_test.go picks its own
	res, err := chainbuild.Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	c := &pbftChain{t: t, dir: res.Dir, nodes: make([]*node.Node, n)}
	for _, e := range res.Manifest.Nodes {
		c.names = append(c.names, e.Name)
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
	})
	return c
}

// addNode makes one more node with chain add-node in org, on free ports,
// allow-listed by the others' configs when allowList; it is not started.
func (c *pbftChain) addNode(org string, allowList bool) *chainbuild.AddResult {
	c.t.Helper()
	// Reserved as the chain's own ports are: two ports taken from the
	// kernel one after the other, each closed at once, could be the same.
	base := testports.Base(c.t, 2)
	added, err := chainbuild.AddNode(chainbuild.AddOptions{Dir: c.dir, Org: org, P2PPort: base, RPCPort: base + 1, UpdateAllowLists: allowList})
	if err != nil {
		c.t.Fatal(err)
	}
	c.names = append(c.names, added.Node.Name)
	return added
}

func (c *pbftChain) startAll() {
	for i := range c.nodes {
		c.start(i)
	}
	c.waitPeers()
}

func (c *pbftChain) start(i int) {
	c.t.Helper()
	cfg, err := node.LoadConfig(filepath.Join(c.dir, c.names[i], node.ConfigFile))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.tweak != nil {
		c.tweak(i, &cfg)
	}
	c.nodes[i] = runNode(c.t, cfg, i)
}

// runNode starts node i of a test chain from cfg; the chain stops it. Its
// debug log goes to stderr when GOBCOS_TEST_LOG is set (e.g.
// GOBCOS_TEST_LOG=1 go test -run TestPBFTChain -v).
func runNode(t *testing.T, cfg node.Config, i int) *node.Node {
	t.Helper()
	var logger *slog.Logger
	if os.Getenv("GOBCOS_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", i)
	}
	n, err := node.New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Stop()
		t.Fatal(err)
	}
	return n
}

// sealerKeys are the public keys of the genesis sealers, in order, as a
// running node reads them.
func (c *pbftChain) sealerKeys() [][]byte {
	c.t.Helper()
	for _, n := range c.nodes {
		if n == nil {
			continue
		}
		var out [][]byte
		for _, s := range n.Genesis().Sealers {
			out = append(out, []byte(s))
		}
		return out
	}
	c.t.Fatal("no node runs")
	return nil
}

func (c *pbftChain) stop(i int) {
	if n := c.nodes[i]; n != nil {
		if err := n.Stop(); err != nil {
			c.t.Errorf("stopping node %d: %v", i, err)
		}
		c.nodes[i] = nil
	}
}

// waitPeers waits until every running node is connected to every other
// running node, so that tx gossip reaches all sealers.
func (c *pbftChain) waitPeers() {
	c.t.Helper()
	running := 0
	for _, n := range c.nodes {
		if n != nil {
			running++
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok := true
		for _, n := range c.nodes {
			if n != nil && n.PeerCount() < running-1 {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatal("nodes did not connect to each other")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitHeight waits until every running node is at least at height h.
func (c *pbftChain) waitHeight(h uint64) {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		done := true
		var hs []uint64
		for _, n := range c.nodes {
			if n != nil {
				hs = append(hs, n.Height())
				done = done && n.Height() >= h
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("nodes did not reach height %d: %v", h, hs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkSame compares the block hashes of the running nodes up to h.
func (c *pbftChain) checkSame(ctx context.Context, h uint64) {
	c.t.Helper()
	var want []common.Hash
	for i, n := range c.nodes {
		if n == nil {
			continue
		}
		client, err := sdk.Dial(ctx, "ws://"+n.RPCAddr())
		if err != nil {
			c.t.Fatal(err)
		}
		for b := uint64(0); b <= h; b++ {
			var blk struct {
				Hash common.Hash `json:"hash"`
			}
			if err := client.RPC().CallContext(ctx, &blk, "eth_getBlockByNumber", hexutil.EncodeUint64(b), false); err != nil {
				client.Close()
				c.t.Fatalf("node %d block %d: %v", i, b, err)
			}
			if uint64(len(want)) <= b {
				want = append(want, blk.Hash)
			} else if want[b] != blk.Hash {
				client.Close()
				c.t.Fatalf("node %d block %d is %s, another node has %s", i, b, blk.Hash, want[b])
			}
		}
		client.Close()
		if err := n.CheckStateCache(); err != nil {
			c.t.Fatalf("node %d: %v", i, err)
		}
	}
}

func TestPBFTChain(t *testing.T) {
	for _, suite := range []string{"ecdsa", "sm"} {
		t.Run(suite, func(t *testing.T) {
			if suite == "sm" && testing.Short() {
				t.Skip("short")
			}
			testPBFTChain(t, suite)
		})
	}
}

func testPBFTChain(t *testing.T, suite string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := buildPBFTChain(t, suite, 4)
	c.startAll()

	send := func(via int, count int) uint64 {
		t.Helper()
		client, err := sdk.Dial(ctx, "ws://"+c.nodes[via].RPCAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		key := cryptotest.Key(t, client.Suite())
		to := common.Address{0x42}
		var top uint64
		for range count {
			r, err := client.SendNativeWait(ctx, key, &to, nil, []byte("pbft"), 0)
			if err != nil {
				t.Fatalf("via node %d: %v", via, err)
			}
			if !r.Succeeded() {
				t.Fatalf("receipt %+v", r)
			}
			top = max(top, r.BlockNumber)
		}
		return top
	}

	h := send(2, 3)
	c.waitHeight(h)
	c.checkSame(ctx, h)

	// One node down: the other three are a quorum.
	c.stop(3)
	h2 := send(2, 2)
	if h2 <= h {
		t.Fatalf("no new block with node 3 down: %d then %d", h, h2)
	}
	c.waitHeight(h2)
	c.checkSame(ctx, h2)
	// Past the genesis's governance state, the engine's, the rules' and
	// network admission's reads of it are served from the governance cache.
	for deadline := time.Now().Add(5 * time.Second); ; {
		epoch, nodes, rules := c.nodes[0].GovernanceCached()
		if epoch && nodes && rules {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("at height %d, governance cache holds the configuration: %v, the node list: %v, the rules: %v", h2, epoch, nodes, rules)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Restarted, it catches up (consensus catch-up or block sync).
	c.start(3)
	c.waitPeers()
	h3 := send(1, 1)
	c.waitHeight(h3)
	c.checkSame(ctx, h3)
	t.Logf("heights: %d with 4 nodes, %d with 3, %d after the restart", h, h2, h3)
}

// TestTxReachesLatePeers sends a tx to a sealer before any other node runs:
// its first broadcast reaches nobody, and the pool's re-gossip must still
// bring it to the sealers that start later, so it is committed.
func TestTxReachesLatePeers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := buildPBFTChain(t, "ecdsa", 4)
	c.start(2)
	client, err := sdk.Dial(ctx, "http://"+c.nodes[2].RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	key, _ := client.Suite().GenerateKey()
	to := common.Address{0x43}
	hash, err := client.SendNative(ctx, key, &to, nil, []byte("early"), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 3} {
		c.start(i)
	}
	r, err := client.WaitReceipt(ctx, hash)
	if err != nil || !r.Succeeded() {
		t.Fatalf("tx sent before the peers started: %+v, %v", r, err)
	}
}

// TestObserverFollowsAndForwards adds a fifth node with `chain add-node`
// (allow-listed by the sealers, not a sealer): it follows the chain by block
// sync, serves reads, and a tx sent to it reaches the sealers and commits.
func TestObserverFollowsAndForwards(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := buildPBFTChain(t, "ecdsa", 4)
	c.addNode("org1", true)
	c.nodes = append(c.nodes, nil)
	c.startAll()
	obs := c.nodes[4]

	client := nodetest.Dial(t, ctx, obs)
	key, _ := client.Suite().GenerateKey()
	to := common.Address{0x44}
	r, err := client.SendNativeWait(ctx, key, &to, nil, []byte("via observer"), 0)
	if err != nil || !r.Succeeded() {
		t.Fatalf("tx sent to the observer: %+v, %v", r, err)
	}
	c.waitHeight(r.BlockNumber)
	c.checkSame(ctx, r.BlockNumber)
	if got, err := client.TransactionReceipt(ctx, r.TxHash); err != nil || got.BlockHash != r.BlockHash {
		t.Fatalf("observer's receipt: %+v, %v", got, err)
	}
	// The observer never signs: every certificate is made by the 4 sealers.
	for b := uint64(1); b <= r.BlockNumber; b++ {
		var blk struct {
			Signatures []struct {
				Index hexutil.Uint64 `json:"index"`
			} `json:"signatures"`
		}
		if err := client.RPC().CallContext(ctx, &blk, "eth_getBlockByNumber", hexutil.EncodeUint64(b), false); err != nil {
			t.Fatal(err)
		}
		if len(blk.Signatures) < 3 {
			t.Fatalf("block %d has %d commit signatures, want a quorum of 3", b, len(blk.Signatures))
		}
		for _, s := range blk.Signatures {
			if s.Index >= 4 {
				t.Fatalf("block %d carries a signature of index %d: only the 4 sealers sign", b, s.Index)
			}
		}
	}
}
