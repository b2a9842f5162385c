package pbft

import (
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/enginetest"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// cluster is a small synchronous test network for unit tests: messages go
// through one FIFO queue that tests can filter, and every node's Ready is
// handled at once (verification and execution included, unless held).
type cluster struct {
	t       *testing.T
	suite   crypto.Suite
	keys    []crypto.PrivateKey
	pubs    [][]byte
	cfg     Config
	genesis *types.Header
	nodes   []*tnode
	q       []wireMsg
	down    []bool
	// drop, when set, decides to lose a message.
	drop   func(from, to int, m *Message) bool
	txs    [][]byte
	nextTx uint64
}

type wireMsg struct {
	from, to int
	data     []byte
}

type tnode struct {
	idx       int
	core      *Core
	ledger    *enginetest.Ledger
	store     *enginetest.Store
	sent      []*Message // every message this node sent, decoded
	sentRaw   [][]byte   // and as sent
	holdExec  bool
	execQ     []ExecRequest
	noPropose bool
	syncReq   *SyncRequest // the last sync request
	// commitWrites counts the Readies that asked for nothing but a
	// HardState write right after a Ready that committed blocks.
	commitWrites int
	// durable is the last HardState of a Ready with MustSync: what a
	// crash of a driver that syncs only those would keep. lazyWrites
	// counts the Readies with a State but no MustSync.
	durable    *HardState
	lazyWrites int
	// unsyncedVotes records votes this node sent that its durable state
	// did not hold when they left.
	unsyncedVotes []string
	// incarnation counts restarts
	incarnation uint64
}

func testConfig(suite crypto.Suite, pubs [][]byte) Config {
	cfg := DefaultConfig()
	cfg.Suite, cfg.Sealers, cfg.Domain = suite, pubs, []byte("unit")
	cfg.MaxProposalBytes, cfg.MaxMessageSize = 1<<20, 4<<20
	cfg.TimeoutTicks, cfg.HeartbeatTicks, cfg.ResendTicks, cfg.SyncTicks = 20, 5, 7, 30
	cfg.MaxTimeoutShift = 2
	return cfg
}

func newCluster(t *testing.T, n int, tweak func(*Config)) *cluster {
	t.Helper()
	return newSuiteCluster(t, fastSuite{}, n, tweak)
}

func newSuiteCluster(t *testing.T, suite crypto.Suite, n int, tweak func(*Config)) *cluster {
	t.Helper()
	keys, pubs := testKeys(suite, n, 99)
	c := &cluster{t: t, suite: suite, keys: keys, pubs: pubs, cfg: testConfig(suite, pubs),
		genesis: enginetest.Genesis(suite), down: make([]bool, n)}
	if tweak != nil {
		tweak(&c.cfg)
	}
	for i := range n {
		nd := &tnode{idx: i, ledger: enginetest.NewLedger(suite, c.genesis), store: enginetest.NewStore()}
		c.nodes = append(c.nodes, nd)
		c.start(nd)
	}
	return c
}

// start (re)builds a node's core from its store and ledger, as after a crash.
func (c *cluster) start(nd *tnode) {
	c.t.Helper()
	var hs *HardState
	if b := nd.store.Get("hs"); b != nil {
		var err error
		if hs, err = DecodeHardState(b); err != nil {
			c.t.Fatal(err)
		}
	}
	cfg := c.cfg
	cfg.Key = c.keys[nd.idx]
	nd.incarnation++
	cfg.Incarnation = nd.incarnation
	core, err := New(cfg, nd.ledger.Head(), hs, func(d common.Hash) (*Proposal, error) {
		b := nd.store.Get("p/" + d.Hex())
		if b == nil {
			return nil, ErrCorruptState
		}
		return DecodeProposal(b)
	})
	if err != nil {
		c.t.Fatalf("node %d: %v", nd.idx, err)
	}
	nd.core, nd.execQ = core, nil
	c.process(nd)
}

// crash loses a node's memory; restart rebuilds it.
func (c *cluster) crash(i int) { c.down[i] = true }
func (c *cluster) restart(i int) {
	c.down[i] = false
	c.start(c.nodes[i])
}

func (c *cluster) addTxs(k int) {
	for range k {
		c.nextTx++
		c.txs = append(c.txs, enginetest.MakeTx(c.suite, c.nextTx))
	}
}

func (c *cluster) available(nd *tnode, pending []*Proposal, max int) [][]byte {
	ex := make(map[string]bool)
	for _, p := range pending {
		for _, tx := range p.Txs {
			ex[string(tx)] = true
		}
	}
	var out [][]byte
	for _, tx := range c.txs {
		id, _ := enginetest.DecodeTx(c.suite, tx)
		if len(out) < max && !ex[string(tx)] && !nd.ledger.Committed(id) {
			out = append(out, tx)
		}
	}
	return out
}

// process handles a node's Ready like a driver.
func (c *cluster) process(nd *tnode) {
	committed := false
	for nd.core.HasReady() {
		rd := nd.core.Ready()
		if committed && rd.State != nil && len(rd.Proposals)+len(rd.Messages)+len(rd.Verify)+len(rd.Execute)+len(rd.Commit) == 0 {
			nd.commitWrites++
		}
		committed = len(rd.Commit) > 0
		for _, p := range rd.Proposals {
			nd.store.Put("p/"+p.Digest(c.suite).Hex(), p.Encode())
		}
		if rd.State != nil {
			nd.store.Put("hs", EncodeHardState(rd.State))
			if rd.MustSync {
				nd.durable = rd.State
			} else {
				nd.lazyWrites++
			}
		}
		for _, m := range rd.Messages {
			dm, err := DecodeMessage(m.Data, c.cfg.MaxMessageSize)
			if err != nil {
				c.t.Fatalf("node %d sent an undecodable message: %v", nd.idx, err)
			}
			nd.checkDurableVote(dm)
			nd.sent = append(nd.sent, dm)
			nd.sentRaw = append(nd.sentRaw, m.Data)
			for to := range c.nodes {
				if to != nd.idx && (m.To == Broadcast || m.To == to) {
					c.q = append(c.q, wireMsg{nd.idx, to, m.Data})
				}
			}
		}
		for _, cr := range rd.Commit {
			if err := nd.ledger.Append(&enginetest.Block{Header: cr.Header, Txs: cr.Proposal.Txs}); err != nil {
				c.t.Fatalf("node %d: %v", nd.idx, err)
			}
		}
		if rd.Sync != nil {
			nd.syncReq = rd.Sync
		}
		nd.core.Advance()
		for _, v := range rd.Verify {
			nd.core.Verified(v.Height, v.Digest, enginetest.CheckTxs(c.suite, nd.ledger, txsOf(v.Pending), v.Proposal.Txs))
		}
		nd.execQ = append(nd.execQ, rd.Execute...)
		if !nd.holdExec {
			c.execute(nd)
		}
	}
}

// execute runs a node's held execution requests.
func (c *cluster) execute(nd *tnode) {
	for len(nd.execQ) > 0 {
		req := nd.execQ[0]
		nd.execQ = nd.execQ[1:]
		hdr := enginetest.Execute(c.suite, req.Parent, req.Proposal.Timestamp, req.Sealer, req.Proposal.Txs)
		if err := nd.core.Executed(req.Height, hdr, nil); err != nil {
			c.t.Fatalf("node %d: %v", nd.idx, err)
		}
		c.process(nd)
	}
}

// deliver delivers queued messages until the network is quiet.
func (c *cluster) deliver() {
	for len(c.q) > 0 {
		m := c.q[0]
		c.q = c.q[1:]
		if c.down[m.to] || c.down[m.from] {
			continue
		}
		if c.drop != nil {
			dm, _ := DecodeMessage(m.data, c.cfg.MaxMessageSize)
			if c.drop(m.from, m.to, dm) {
				continue
			}
		}
		nd := c.nodes[m.to]
		_ = nd.core.Step(m.from, m.data)
		c.process(nd)
	}
}

// tick advances every live node by one tick and lets the network settle.
func (c *cluster) tick() {
	for i, nd := range c.nodes {
		if c.down[i] {
			continue
		}
		// A node that does not propose acts as if its pool were empty, so
		// that it keeps heartbeating (a censoring leader).
		nd.core.SetTxsAvailable(!nd.noPropose && len(c.available(nd, nd.core.pending(nd.core.round.height), 1)) > 0)
		nd.core.Tick()
		if req, ok := nd.core.ProposalWanted(); ok && !nd.noPropose {
			if txs := c.available(nd, req.Pending, req.MaxTxs); len(txs) > 0 {
				if err := nd.core.Propose(txs, req.MinTimestamp+1); err != nil {
					c.t.Fatalf("node %d: propose: %v", nd.idx, err)
				}
			}
		}
		c.process(nd)
	}
	c.deliver()
}

// runUntil ticks until cond holds, failing after max ticks.
func (c *cluster) runUntil(max int, what string, cond func() bool) {
	c.t.Helper()
	for i := 0; i < max; i++ {
		if cond() {
			return
		}
		c.tick()
	}
	if !cond() {
		c.t.Fatalf("after %d ticks: not %s", max, what)
	}
}

// heights reports whether every live node's ledger reached h.
func (c *cluster) allAt(h uint64) func() bool {
	return func() bool {
		for i, nd := range c.nodes {
			if !c.down[i] && nd.ledger.Height() < h {
				return false
			}
		}
		return true
	}
}

// allCommitted holds when every node's ledger holds the txs with ids 1
// to n.
func (c *cluster) allCommitted(n uint64) func() bool {
	return func() bool {
		for _, nd := range c.nodes {
			for id := uint64(1); id <= n; id++ {
				if !nd.ledger.Committed(id) {
					return false
				}
			}
		}
		return true
	}
}

// checkChains verifies that all ledgers agree and carry valid certificates.
func (c *cluster) checkChains() {
	c.t.Helper()
	total, err := consensus.TotalWeight(len(c.nodes), c.cfg.Weights)
	if err != nil {
		c.t.Fatal(err)
	}
	q := consensus.QuorumWeight(total)
	for h := uint64(1); ; h++ {
		var ref *types.Header
		found := false
		for _, nd := range c.nodes {
			b := nd.ledger.Block(h)
			if b == nil {
				continue
			}
			found = true
			if err := consensus.VerifyCommitWeighted(c.suite, b.Header, c.pubs, c.cfg.Weights, q); err != nil {
				c.t.Fatalf("node %d block %d: %v", nd.idx, h, err)
			}
			if ref == nil {
				ref = b.Header
			} else if ref.Hash(c.suite) != b.Header.Hash(c.suite) {
				c.t.Fatalf("nodes disagree at height %d", h)
			}
		}
		if !found {
			return
		}
	}
}

// sentOf returns the envelopes of type typ a node sent.
func (nd *tnode) sentOf(typ MsgType) []*Envelope {
	var out []*Envelope
	for _, m := range nd.sent {
		if m.Kind == KindEnvelope && m.Env.Type == typ {
			out = append(out, m.Env)
		}
	}
	return out
}

// checkDurableVote records a pre-prepare, prepare or commit the node sends
// at a height and view its durable state does not hold the vote of.
func (nd *tnode) checkDurableVote(m *Message) {
	if m.Kind != KindEnvelope {
		return
	}
	e := m.Env
	if e.Type != MsgPrePrepare && e.Type != MsgPrepare && e.Type != MsgCommit {
		return
	}
	if hs := nd.durable; hs != nil && hs.Height == e.Height {
		for _, v := range hs.Votes {
			if v.Type == e.Type && v.View == e.View && v.Digest == e.Digest {
				return
			}
		}
	}
	if hs := nd.durable; hs != nil && hs.Height > e.Height {
		return // a resend of a vote of a decided height
	}
	nd.unsyncedVotes = append(nd.unsyncedVotes, fmt.Sprintf("%v at height %d view %d", e.Type, e.Height, e.View))
}
