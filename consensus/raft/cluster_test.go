package raft

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus/enginetest"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// cluster is a small in-memory network of cores for unit tests: messages
// are delivered in order, isolated or stopped nodes lose theirs.
type cluster struct {
	t      *testing.T
	suite  crypto.Suite
	cfg    Config
	keys   []crypto.PrivateKey
	pubs   [][]byte
	byID   map[uint64]int
	nodes  []*tnode
	txs    [][]byte // the shared pool, in submission order
	next   uint64
	msgs   []tmsg
	sent   []tmsg // every message sent, when record is set
	record bool
	syncs  []tmsg // sync requests, served between rounds (from = requester, to = height)
	cut    map[int]bool
	// lazyWrites and syncedWrites count the nodes' store writes made
	// without and with sync; stop loses the unsynced ones.
	lazyWrites, syncedWrites int
}

type tnode struct {
	i      int
	c      *cluster
	core   *Core
	store  *enginetest.Store
	ledger *enginetest.Ledger
}

type tmsg struct {
	from, to int
	data     []byte
}

// newCluster makes members nodes out of total keys; the first voters are
// the genesis sealers.
func newCluster(t *testing.T, total, voters int, tweak func(*Config)) *cluster {
	suite := crypto.ECDSA()
	keys, pubs := testKeys(suite, total, 99)
	cfg := DefaultConfig()
	cfg.Suite, cfg.Sealers = suite, pubs[:voters]
	cfg.ElectionTicks, cfg.HeartbeatTicks, cfg.SyncTicks = 10, 1, 5
	cfg.MaxBlockTxs = 4
	if tweak != nil {
		tweak(&cfg)
	}
	c := &cluster{t: t, suite: suite, cfg: cfg, keys: keys, pubs: pubs, byID: make(map[uint64]int), cut: make(map[int]bool)}
	for i, pub := range pubs {
		c.byID[NodeID(suite, pub)] = i
	}
	for i := range total {
		n := &tnode{i: i, c: c, store: enginetest.NewStore(), ledger: enginetest.NewLedger(suite, enginetest.Genesis(suite))}
		c.nodes = append(c.nodes, n)
		c.start(i)
	}
	return c
}

func (c *cluster) start(i int) {
	n := c.nodes[i]
	cfg := c.cfg
	cfg.Key = c.keys[i]
	core, err := New(cfg, newMemStore(n.store, &c.lazyWrites, &c.syncedWrites), n, n)
	if err != nil {
		c.t.Fatalf("node %d: %v", i, err)
	}
	n.core = core
}

func (c *cluster) stop(i int) { c.nodes[i].core = nil }

func (c *cluster) submit(k int) {
	for range k {
		c.next++
		c.txs = append(c.txs, enginetest.MakeTx(c.suite, c.next))
	}
}

// run ticks every live node rounds times, delivering messages in between.
func (c *cluster) run(rounds int) {
	for range rounds {
		c.serveSyncs()
		for _, n := range c.nodes {
			if n.core != nil {
				if err := n.core.Tick(); err != nil {
					c.t.Fatalf("node %d: %v", n.i, err)
				}
			}
		}
		for len(c.msgs) > 0 {
			m := c.msgs[0]
			c.msgs = c.msgs[1:]
			n := c.nodes[m.to]
			if n.core == nil || c.cut[m.from] || c.cut[m.to] {
				continue
			}
			_ = n.core.Step(c.pubs[m.from], m.data)
			if err := n.core.Err(); err != nil {
				c.t.Fatalf("node %d: %v", n.i, err)
			}
		}
	}
}

// runUntil runs until ok holds, failing after limit rounds.
func (c *cluster) runUntil(limit int, what string, ok func() bool) {
	c.t.Helper()
	for range limit {
		if ok() {
			return
		}
		c.run(1)
	}
	c.t.Fatalf("%s: not reached after %d rounds; heights %v", what, limit, c.heights())
}

func (c *cluster) heights() []uint64 {
	var out []uint64
	for _, n := range c.nodes {
		out = append(out, n.ledger.Height())
	}
	return out
}

// allCommitted reports whether the given nodes committed every submitted tx.
func (c *cluster) allCommitted(nodes ...int) bool {
	for _, i := range nodes {
		for id := uint64(1); id <= c.next; id++ {
			if !c.nodes[i].ledger.Committed(id) {
				return false
			}
		}
	}
	return true
}

func (c *cluster) leader() int {
	for _, n := range c.nodes {
		if n.core != nil && !c.cut[n.i] && n.core.IsLeader() {
			return n.i
		}
	}
	return -1
}

// sameChains checks that every node's ledger is a prefix of the longest.
func (c *cluster) sameChains() {
	c.t.Helper()
	var longest *enginetest.Ledger
	for _, n := range c.nodes {
		if longest == nil || n.ledger.Height() > longest.Height() {
			longest = n.ledger
		}
	}
	for _, n := range c.nodes {
		for h := uint64(0); h <= n.ledger.Height(); h++ {
			if n.ledger.Block(h).Header.Hash(c.suite) != longest.Block(h).Header.Hash(c.suite) {
				c.t.Fatalf("node %d differs at height %d", n.i, h)
			}
		}
	}
}

// tnode is its own App and Transport.

func (n *tnode) Head() *types.Header { return n.ledger.Head() }

func (n *tnode) HashAt(h uint64) (common.Hash, bool) {
	if b := n.ledger.Block(h); b != nil {
		return b.Header.Hash(n.c.suite), true
	}
	return common.Hash{}, false
}

func (n *tnode) Seal(parent *types.Header, maxTxs, _ int) (*types.Header, [][]byte, error) {
	var txs [][]byte
	for _, tx := range n.c.txs {
		id, _ := enginetest.DecodeTx(n.c.suite, tx)
		if !n.ledger.Committed(id) && len(txs) < maxTxs {
			txs = append(txs, tx)
		}
	}
	if len(txs) == 0 {
		return nil, nil, nil
	}
	return enginetest.Execute(n.c.suite, parent, parent.Timestamp+1, n.c.suite.Address(n.c.pubs[n.i]), txs), txs, nil
}

func (n *tnode) FullBlock(_ *types.Header, maxTxs, _ int) bool {
	pending := 0
	for _, tx := range n.c.txs {
		if id, _ := enginetest.DecodeTx(n.c.suite, tx); !n.ledger.Committed(id) {
			pending++
		}
	}
	return pending >= maxTxs
}

func (n *tnode) Apply(h *types.Header, txs [][]byte) error {
	if err := enginetest.CheckTxs(n.c.suite, n.ledger, nil, txs); err != nil {
		return fmt.Errorf("%w: %v", ErrRejected, err)
	}
	want := enginetest.Execute(n.c.suite, n.ledger.Head(), h.Timestamp, h.Sealer, txs)
	want.Extra = h.Extra
	if want.Hash(n.c.suite) != h.Hash(n.c.suite) {
		return errExecMismatch
	}
	return n.ledger.Append(&enginetest.Block{Header: h, Txs: txs})
}

// RequestSync is answered in the next round from the longest connected ledger.
func (n *tnode) RequestSync(from uint64) {
	n.c.syncs = append(n.c.syncs, tmsg{from: n.i, to: int(from)})
}

func (c *cluster) serveSyncs() {
	reqs := c.syncs
	c.syncs = nil
	for _, r := range reqs {
		n := c.nodes[r.from]
		if c.cut[n.i] || n.core == nil {
			continue
		}
		var best *tnode
		for _, p := range c.nodes {
			if p != n && !c.cut[p.i] && (best == nil || p.ledger.Height() > best.ledger.Height()) {
				best = p
			}
		}
		if best != nil {
			c.syncFrom(n, best, uint64(r.to))
		}
	}
}

func (c *cluster) syncFrom(n, peer *tnode, from uint64) {
	for h := from; h <= peer.ledger.Height() && n.core != nil; h++ {
		b := peer.ledger.Block(h)
		if err := n.core.SyncBlock(b.Header, slices.Clone(b.Txs)); err != nil {
			return
		}
	}
}

func (n *tnode) Send(to uint64, data []byte) {
	if i, ok := n.c.byID[to]; ok {
		n.c.msgs = append(n.c.msgs, tmsg{from: n.i, to: i, data: data})
		if n.c.record {
			n.c.sent = append(n.c.sent, tmsg{from: n.i, to: i, data: data})
		}
	}
}
