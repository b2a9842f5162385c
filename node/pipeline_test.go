package node_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/govtest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// load sends native txs from several senders until stopped, each
// waiting for its receipt; it records every tx hash it sent.
type load struct {
	mu     sync.Mutex
	hashes []common.Hash
	err    error
	stop   chan struct{}
	wg     sync.WaitGroup
}

func startLoad(ctx context.Context, t *testing.T, client *sdk.Client, senders int) *load {
	t.Helper()
	l := &load{stop: make(chan struct{})}
	to := common.Address{0x51}
	for range senders {
		key := cryptotest.Key(t, client.Suite())
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				r, err := client.SendNativeWait(ctx, key, &to, nil, []byte("pipeline"), 0)
				l.mu.Lock()
				if err == nil && !r.Succeeded() {
					err = context.Canceled // any failure ends the load; reported below
				}
				if err != nil {
					if l.err == nil {
						l.err = err
					}
					l.mu.Unlock()
					return
				}
				l.hashes = append(l.hashes, r.TxHash)
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// end stops the load and returns the hashes of the txs committed.
func (l *load) end(t *testing.T) []common.Hash {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	if l.err != nil {
		t.Fatalf("load: %v", l.err)
	}
	return l.hashes
}

// pipelineStats sums the running nodes' pipelining counters.
func (c *pbftChain) pipelineStats() (orders, execs uint64) {
	for _, n := range c.nodes {
		if n != nil && n.PBFTEngine() != nil {
			s := n.PBFTEngine().Stats()
			orders, execs = orders+s.PipelinedOrders, execs+s.PipelinedExecs
		}
	}
	return orders, execs
}

// TestPBFTPipelining: a 4-sealer PBFT chain created at compatibility
// version 0.3.0 under steady load orders no height before its parent is
// committed; upgraded to 0.4.0 it keeps committing across the switch and
// then pipelines (proposals and verdicts at head+2). A governance change
// made under load at 0.4.0 (sealer 0 weighs 3: a new epoch) certifies
// from the second block after the change's with the new weights, every
// block before it with the old ones. Every tx is committed exactly once,
// and the nodes agree on every block.
func TestPBFTPipelining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a 4-node chain")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := buildChain(t, "pbft", "ecdsa", 4)
	c.editGenesis(func(g *node.Genesis) {
		g.CompatibilityVersion = precompiled.CompatV0_3
		g.ConsensusTimeoutMs = 1000
		// Under this light load a minimum seal interval would hold each
		// proposal until the block before it is committed: no pipelining.
		g.MinSealIntervalMs = 0
	})
	c.startAll()
	suite := c.nodes[1].Genesis().Suite()
	client := nodetest.Dial(t, ctx, c.nodes[1])
	committee := govtest.New(t, client, govtest.OrgAdmin(t, c.dir, "org1", suite))
	sealers := c.sealerKeys()

	// 1. At 0.3.0, under load: nothing is ordered or executed early.
	ld := startLoad(ctx, t, client, 4)
	c.waitHeight(c.nodes[1].Height() + 5)
	if orders, execs := c.pipelineStats(); orders != 0 || execs != 0 {
		t.Fatalf("at 0.3.0: %d pipelined proposals or verdicts, %d pipelined executions", orders, execs)
	}

	// 2. The upgrade to 0.4.0 under load; then the chain pipelines.
	upgradedAt := committee.Pass(ctx, "proposeUpgrade", precompiled.CompatV0_4, uint64(0)).BlockNumber
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if orders, _ := c.pipelineStats(); orders > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no height ordered before its parent's commit after the upgrade in block %d; height %d", upgradedAt, c.nodes[1].Height())
		}
	}

	// 3. A new epoch by governance at 0.4.0, under load.
	changedAt := committee.ProposeNode(ctx, precompiled.NodeOpSetWeight, sealers[0], 3).BlockNumber
	if list, err := c.nodes[1].ConsensusNodes(changedAt + 1); err != nil || list[0].Weight != 1 {
		t.Fatalf("node list at %d, the block after the change: %+v %v", changedAt+1, list, err)
	}
	c.waitHeight(changedAt + 6)
	hashes := ld.end(t)
	top := c.nodes[1].Height()
	c.waitHeight(top)
	c.checkSame(ctx, top)

	// Certificates: unit votes before changedAt+2, weights 3,1,1,1 from it.
	weights := []uint64{3, 1, 1, 1}
	for b := uint64(1); b <= top; b++ {
		idx := certIndexes(ctx, t, client, suite, sealers, b)
		var w uint64
		for _, i := range idx {
			w += weights[i]
		}
		if b < changedAt+2 && len(idx) < 3 {
			t.Fatalf("block %d (before the new weights): %d signatures", b, len(idx))
		}
		if b >= changedAt+2 && w < consensus.QuorumWeight(6) {
			t.Fatalf("block %d (new weights from %d): signers %v weigh %d", b, changedAt+2, idx, w)
		}
	}
	// Every tx of the load once.
	seen := make(map[common.Hash]int)
	for b := uint64(1); b <= top; b++ {
		var blk struct {
			Transactions []common.Hash `json:"transactions"`
		}
		if err := client.RPC().CallContext(ctx, &blk, "eth_getBlockByNumber", hexutil.EncodeUint64(b), false); err != nil {
			t.Fatal(err)
		}
		for _, h := range blk.Transactions {
			seen[h]++
		}
	}
	for _, h := range hashes {
		if seen[h] != 1 {
			t.Fatalf("tx %s committed %d times", h, seen[h])
		}
	}
	orders, execs := c.pipelineStats()
	t.Logf("%d txs in %d blocks; upgraded in block %d, weights changed in block %d; %d pipelined proposals and verdicts, %d pipelined executions",
		len(hashes), top, upgradedAt, changedAt, orders, execs)
}

// TestRulesAtPipelined: the rules of head+2 are readable from the head's
// state exactly when the compatibility version at head+1 is 0.4.0 or later
// (Rules.Pipelined); otherwise, and for anything further, RulesAt answers
// consensus.ErrRulesPending. A 0.4.0 config change made by the head block
// shows at head+2, not head+1.
func TestRulesAtPipelined(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg, gov := soloGovNode(t, precompiled.CompatV0_3)
	n := runConfig(t, cfg)
	client := nodetest.Dial(t, ctx, n)
	check := func(height uint64, pending, pipelined bool, maxTxs int) {
		t.Helper()
		r, err := n.RulesAt(height)
		switch {
		case pending && !errors.Is(err, consensus.ErrRulesPending):
			t.Fatalf("head %d, height %d: %+v %v, want ErrRulesPending", n.Height(), height, r, err)
		case pending:
		case err != nil:
			t.Fatalf("head %d, height %d: %v", n.Height(), height, err)
		case r.Pipelined != pipelined || maxTxs != 0 && r.MaxTxs != maxTxs:
			t.Fatalf("head %d, height %d: pipelined %v, tx_count_limit %d; want %v, %d", n.Height(), height, r.Pipelined, r.MaxTxs, pipelined, maxTxs)
		}
	}
	h := n.Height()
	check(h+1, false, false, 1000)
	check(h+2, true, false, 0)

	u := propose(ctx, t, client, gov, "proposeUpgrade", precompiled.CompatV0_4, uint64(0)).BlockNumber
	for n.Height() < u {
		time.Sleep(10 * time.Millisecond)
	}
	check(u+1, false, false, 1000) // its parent u ran at 0.3.0
	check(u+2, false, true, 1000)  // its parent u+1 runs at 0.4.0
	check(u+3, true, false, 0)

	c := propose(ctx, t, client, gov, "proposeConfig", precompiled.KeyTxCountLimit, "77", uint64(0)).BlockNumber
	for n.Height() < c {
		time.Sleep(10 * time.Millisecond)
	}
	check(c+1, false, true, 1000)
	check(c+2, false, true, 77)
	check(c+3, true, false, 0)
}
