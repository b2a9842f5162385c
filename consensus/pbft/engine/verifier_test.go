package engine

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/txpool"
	"github.com/gobcos/gobcos/txverify"
	"github.com/gobcos/gobcos/types"
)

// txCountingSuite counts the signature checks made with one public key:
// the test user's, so checks of consensus messages (sealer keys) are not
// counted, only those of the user's native txs.
type txCountingSuite struct {
	crypto.Suite
	pub   []byte
	calls atomic.Int64
}

func (s *txCountingSuite) Verify(pub, digest, sig []byte) error {
	if bytes.Equal(pub, s.pub) {
		s.calls.Add(1)
	}
	return s.Suite.Verify(pub, digest, sig)
}

// startWithVerifier (re)builds node i's pool, executor and driver around
// one shared txverify.Verifier over suite, as the node wires them, and
// starts the driver.
func (c *cluster) startWithVerifier(i int, suite crypto.Suite) {
	tn := c.nodes[i]
	v, err := txverify.New(suite, testChainID, testGroup, txverify.Config{Workers: 2})
	if err != nil {
		c.t.Fatal(err)
	}
	if tn.exec, err = executor.New(executor.Config{ChainID: testChainID, GroupID: testGroup, TxGasLimit: 300_000_000, BlockGasLimit: gasLimit, Verifier: v}, suite, nil); err != nil {
		c.t.Fatal(err)
	}
	pcfg := txpool.DefaultConfig()
	pcfg.Verifier = v
	if tn.pool, err = txpool.New(pcfg, suite, testChainID, testGroup, poolChain{tn}, nil); err != nil {
		c.t.Fatal(err)
	}
	cc := pbft.DefaultConfig()
	cc.Suite, cc.Key, cc.Sealers, cc.Domain = suite, c.keys[i], c.sealers, []byte("test/group0")
	cc.Window = 1
	cc.TimeoutTicks, cc.HeartbeatTicks, cc.ResendTicks, cc.SyncTicks = 40, 5, 10, 25
	cfg := DefaultConfig()
	cfg.ChainID, cfg.GroupID, cfg.BlockGasLimit = testChainID, testGroup, gasLimit
	cfg.TickInterval = 20 * time.Millisecond
	e, err := New(Params{Config: cfg, Core: cc, KV: tn.kv, Ledger: ledgerAdapter{tn.ledger}, Executor: execAdapter{tn},
		Pool: tn.pool, Transport: &memTransport{net: c.net, self: i}, Verifier: v})
	if err != nil {
		c.t.Fatal(err)
	}
	tn.engine = e
	c.net.mu.Lock()
	c.net.nodes[i] = e
	c.net.mu.Unlock()
	if err := e.Start(c.ctx); err != nil {
		c.t.Fatal(err)
	}
}

// offer adds copies of txs decoded from their bytes (as gossip delivers
// them: no sender cached by another node) to the pools of the nodes in to,
// and ignores refusals: a node may have committed a tx, learning it from a
// block, before it is offered there.
func (c *cluster) offer(txs []*types.Transaction, to ...int) {
	for _, i := range to {
		copies := make([]*types.Transaction, len(txs))
		for k, tx := range txs {
			cp, err := types.DecodeTx(c.suite, tx.Bytes())
			if err != nil {
				c.t.Fatal(err)
			}
			copies[k] = cp
		}
		c.nodes[i].pool.Add(c.ctx, copies)
	}
}

// TestTxVerifiedOncePerNode: with the node's verifier shared by its pool,
// engine and executor, every sealer checks each tx's signature exactly
// once, whether it got the tx from gossip (then the proposal and the
// execution reuse the sender) or first in a proposal (then the execution
// reuses it).
func TestTxVerifiedOncePerNode(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	suites := make([]*txCountingSuite, len(c.nodes))
	for i := range c.nodes {
		suites[i] = &txCountingSuite{Suite: c.suite, pub: c.user.PublicKey()}
		c.startWithVerifier(i, suites[i])
	}
	all := []int{0, 1, 2, 3}

	var gossiped []*types.Transaction
	for range 20 {
		gossiped = append(gossiped, c.newTx(500))
	}
	c.offer(gossiped, all...)
	c.waitCommitted(gossiped, all...)

	// Held by f+1 sealers only: sealers 0 and 1 first see them in a proposal.
	var proposed []*types.Transaction
	for range 5 {
		proposed = append(proposed, c.newTx(500))
	}
	c.offer(proposed, 2, 3)
	c.waitCommitted(proposed, all...)
	c.checkSameChain(all...)

	want := int64(len(gossiped) + len(proposed))
	for i, s := range suites {
		if got := s.calls.Load(); got != want {
			t.Errorf("sealer %d checked tx signatures %d times for %d txs", i, got, want)
		}
	}
}
