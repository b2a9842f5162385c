package node

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/metrics"
	"github.com/gobcos/gobcos/network"
	"github.com/gobcos/gobcos/txgossip"
	"github.com/gobcos/gobcos/types"
)

const (
	// gossipQueue is how many gossiped txs wait for the pool; a peer's
	// connection waits while it is full.
	gossipQueue = 4096
	// gossipBatch is the most gossiped txs added to the pool at once.
	gossipBatch = 512
	// gossipAddTimeout bounds one batch's admission.
	gossipAddTimeout = 5 * time.Second
	// maxOrigins bounds the gossiped txs whose sending peer is
	// remembered (so that re-gossip does not echo them back); txs beyond
	// it are re-gossiped to every peer.
	maxOrigins = 16384
	// maxArriving bounds the gossiped txs kept by hash while they wait
	// for the pool: about what the queue and one admission hold.
	maxArriving = 2 * gossipQueue
)

// gossipItem is a decoded tx a peer gossiped.
type gossipItem struct {
	from network.NodeID
	tx   *types.Transaction
}

// gossipIntake is the node's tx gossip (package txgossip carries the
// batches).
//
// Inbound, it hands the txs of the batches peers send to the pool in
// batches: the pool's verifier checks a batch's signatures on all cores,
// and a peer's connection (which also carries its consensus messages) is
// not held while they are checked, only while the queue is full.
//
// Outbound, txs accepted from clients and re-gossiped txs go through a
// txgossip.Batcher: one message per peer per flush (10 ms) instead of one
// per tx. A PBFT leader also flushes it when it proposes (flushGossip),
// before its pre-prepare leaves, so that replicas fetch fewer of the
// proposal's txs.
//
// On its way in, a gossiped tx is findable by hash from the moment its
// batch is decoded until its admission ends (arrivingTx): a PBFT leader
// sends a batch just before the pre-prepare that names its txs, on the
// same connection, so they are often still waiting for the pool when the
// driver resolves the proposal. Found here, they are not fetched again
// from the leader; the driver checks their signatures as it does a
// fetched body's.
type gossipIntake struct {
	in      chan gossipItem
	stopped chan struct{} // closed when run returns

	out    *txgossip.Batcher // nil on a chain without a network
	limits txgossip.Limits

	received, receivedTxs, bad atomic.Uint64

	mu       sync.Mutex
	origins  map[common.Hash]network.NodeID     // peer a pooled tx came from
	arriving map[common.Hash]*types.Transaction // decoded, admission not ended
}

func newGossipIntake() *gossipIntake {
	return &gossipIntake{
		in: make(chan gossipItem, gossipQueue), stopped: make(chan struct{}),
		limits: txgossip.DefaultLimits(), origins: make(map[common.Hash]network.NodeID),
		arriving: make(map[common.Hash]*types.Transaction),
	}
}

// connect makes the outbound batcher of a node with a network whose
// frames hold frame bytes.
func (g *gossipIntake) connect(n *Node, frame int, log *slog.Logger) error {
	g.limits = txgossip.LimitsForFrame(frame)
	cfg := txgossip.DefaultConfig()
	cfg.Limits = g.limits
	cfg.FlushBytes = min(cfg.FlushBytes, g.limits.MaxBytes)
	out, err := txgossip.NewBatcher(cfg, gossipSender{n}, log)
	if err != nil {
		return err
	}
	g.out = out
	return nil
}

// gossipSender sends batches to the group's peers, counted by module.
type gossipSender struct{ n *Node }

func (s gossipSender) Broadcast(payload []byte, except []network.NodeID) int {
	sent, _ := s.n.host.BroadcastExcept(s.n.genesis.GroupID, network.ModuleTxGossip, payload, except)
	for range sent {
		s.n.metrics.P2PSent(network.ModuleTxGossip.String(), len(payload))
	}
	return sent
}

// Send sends to one peer, if the broadcast filter admits it for the group.
func (s gossipSender) Send(to network.NodeID, payload []byte) bool {
	if s.n.admission != nil && s.n.admission.Allowed(to) != nil {
		return false
	}
	return s.n.send(to, network.ModuleTxGossip, payload) == nil
}

// offer queues a gossiped tx; it waits while the queue is full, until the
// intake stops.
func (g *gossipIntake) offer(from network.NodeID, tx *types.Transaction) {
	select {
	case g.in <- gossipItem{from, tx}:
	case <-g.stopped:
	}
}

// arrive makes txs, just decoded from a peer's batch, findable by hash
// until their admission ends (admitted).
func (g *gossipIntake) arrive(txs []*types.Transaction) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, tx := range txs {
		if len(g.arriving) >= maxArriving {
			return
		}
		g.arriving[tx.Hash()] = tx
	}
}

// admitted forgets the txs of a batch whose admission ended, accepted
// or not: the pool holds those it accepted.
func (g *gossipIntake) admitted(batch []gossipItem) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, it := range batch {
		delete(g.arriving, it.tx.Hash())
	}
}

// arrivingTx returns the gossiped tx with this hash that waits for the
// pool, or nil. Its signature is not checked yet.
func (g *gossipIntake) arrivingTx(h common.Hash) *types.Transaction {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.arriving[h]
}

// origin is the peer a gossiped tx came from, if remembered.
func (g *gossipIntake) origin(h common.Hash) (network.NodeID, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	id, ok := g.origins[h]
	return id, ok
}

// keepOrigins forgets the origins of txs no longer pending.
func (g *gossipIntake) keepOrigins(pending func(common.Hash) bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for h := range g.origins {
		if !pending(h) {
			delete(g.origins, h)
		}
	}
}

// run adds queued txs to the pool, as many as wait at once (up to
// gossipBatch) per pool call, until ctx ends.
func (g *gossipIntake) run(ctx context.Context, n *Node) {
	defer close(g.stopped)
	batch := make([]gossipItem, 0, gossipBatch)
	txs := make([]*types.Transaction, 0, gossipBatch)
	for {
		batch, txs = batch[:0], txs[:0]
		select {
		case <-ctx.Done():
			return
		case it := <-g.in:
			batch = append(batch, it)
		}
	drain:
		for len(batch) < gossipBatch {
			select {
			case it := <-g.in:
				batch = append(batch, it)
			default:
				break drain
			}
		}
		for _, it := range batch {
			txs = append(txs, it.tx)
		}
		actx, cancel := context.WithTimeout(ctx, gossipAddTimeout)
		errs := n.addTxs(actx, txs, txSourceGossip)
		cancel()
		g.admitted(batch)
		g.mu.Lock()
		for i, err := range errs {
			if err == nil && len(g.origins) < maxOrigins {
				g.origins[batch[i].tx.Hash()] = batch[i].from
			}
		}
		g.mu.Unlock()
		for i, err := range errs {
			if err != nil {
				n.logger.Debug("gossiped tx refused", "peer", batch[i].from.Short(), "tx", batch[i].tx.Hash(), "err", err)
			}
		}
	}
}

// stats are the gossip counters the metrics report.
func (g *gossipIntake) stats() metrics.TxGossipStats {
	s := metrics.TxGossipStats{
		BatchesReceived: g.received.Load(), TxsReceived: g.receivedTxs.Load(), BadMessages: g.bad.Load(),
	}
	if g.out != nil {
		o := g.out.Stats()
		s.Queued, s.Dropped, s.BatchesSent, s.TxsSent = o.Queued, o.Dropped, o.Batches, o.Txs
	}
	return s
}

// onGossipTx adds the txs of a batch a peer gossiped (or the single tx an
// older node sent) to the pool. A batch that is malformed or holds a tx
// that does not decode is dropped whole and counted. Gossiped txs are
// never relayed at once (the sender broadcast them to every peer it has),
// so there are no storms; the re-gossip of txs that wait in the pool
// (regossipLoop) reaches peers the origin missed, never the origin.
func (n *Node) onGossipTx(from network.NodeID, m network.Message) {
	if n.cfg.TestDropTxGossip {
		return
	}
	g := n.gossip
	raw, err := txgossip.Decode(m.Payload, g.limits)
	if err != nil {
		g.bad.Add(1)
		n.logger.Debug("gossip message dropped", "peer", from.Short(), "bytes", len(m.Payload), "err", err)
		return
	}
	txs := make([]*types.Transaction, len(raw))
	for i, b := range raw {
		if txs[i], err = types.DecodeTx(n.suite, b); err != nil {
			g.bad.Add(1)
			n.logger.Debug("gossip message dropped: a tx does not decode", "peer", from.Short(), "index", i, "txs", len(raw), "err", err)
			return
		}
	}
	g.received.Add(1)
	g.receivedTxs.Add(uint64(len(txs)))
	g.arrive(txs)
	for _, tx := range txs {
		g.offer(from, tx) // added to the pool in batches (run)
	}
}

// gossipTx queues a tx accepted from a client for the next gossip batch;
// it never blocks (a full queue drops it, counted, and re-gossip sends it
// later).
func (n *Node) gossipTx(tx *types.Transaction) {
	if n.gossip.out == nil {
		return
	}
	n.gossip.out.Queue(tx.Bytes(), network.NodeID{})
}

// regossipInterval is how long a tx waits in the pool before it is
// broadcast again, and how often that happens.
const regossipInterval = 3 * time.Second

// maxRegossip bounds the txs re-broadcast in one round.
const maxRegossip = 2000

// maxHandoff bounds the pooled txs handed to a peer that has just
// connected (regossipLoop).
const maxHandoff = 10 * maxRegossip

// regossipLoop broadcasts again the txs that stay in the pool for a whole
// interval: a tx that reached this node before its peers connected (a
// peer restarted, and lost its pool), or whose broadcast a full send queue
// dropped, still reaches every sealer. A tx a peer gossiped is not sent
// back to that peer. Peers drop copies they know before verifying them,
// so a round costs bandwidth, not signature checks. A round sends at most
// maxRegossip txs; a larger pool goes out over several rounds, each tx in
// turn (regossipPlan). A peer that has connected since the last round (a
// new one, or one back from a restart that lost its pool) is first handed
// the pool's oldest maxHandoff txs, to it alone.
func (n *Node) regossipLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	plan := newRegossipPlan(every)
	conns := newConnections()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		peers := n.host.Peers()
		fresh := conns.fresh(peers)
		if len(peers) == 0 {
			continue
		}
		now := time.Now()
		pooled := n.pool.Content()
		for _, peer := range fresh {
			n.handOff(peer, pooled)
		}
		sent := 0
		for _, tx := range plan.due(pooled, now) {
			if sent == maxRegossip {
				break
			}
			h := tx.Hash()
			from, _ := n.gossip.origin(h)
			if n.gossip.out.Queue(tx.Bytes(), from) {
				plan.sent(h, now)
				sent++
			}
		}
		n.gossip.keepOrigins(plan.pooled)
		if sent > 0 {
			n.logger.Debug("re-gossiped waiting txs", "txs", sent)
		}
	}
}

// regossipPlan is when each pooled tx is next due for re-gossip. A tx is
// first due an interval after it is first seen in the pool, and again an
// interval after each time it is sent. The txs due are offered longest
// overdue first: when a round's bound leaves some of them unsent, they
// come before the ones just sent in the next round, so every tx of a pool
// larger than one round goes out in turn. A sealer leads only with txs of
// its own pool: a tx that re-gossip never sent to sealers that restarted
// (their pools lost) could stay uncommitted for good.
type regossipPlan struct {
	every time.Duration
	next  map[common.Hash]time.Time
}

func newRegossipPlan(every time.Duration) *regossipPlan {
	return &regossipPlan{every: every, next: make(map[common.Hash]time.Time)}
}

// due returns the txs of pooled (the pool's content, in arrival order)
// due at now, longest overdue first and in arrival order among equals,
// and forgets the txs no longer pooled.
func (p *regossipPlan) due(pooled []*types.Transaction, now time.Time) []*types.Transaction {
	type dueTx struct {
		tx  *types.Transaction
		at  time.Time
		pos int
	}
	next := make(map[common.Hash]time.Time, len(pooled))
	var due []dueTx
	for i, tx := range pooled {
		h := tx.Hash()
		at, ok := p.next[h]
		if !ok {
			at = now.Add(p.every)
		}
		next[h] = at
		if !now.Before(at) {
			due = append(due, dueTx{tx: tx, at: at, pos: i})
		}
	}
	p.next = next
	slices.SortFunc(due, func(a, b dueTx) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.pos - b.pos
	})
	out := make([]*types.Transaction, len(due))
	for i, d := range due {
		out[i] = d.tx
	}
	return out
}

// sent records that the tx with hash h was re-gossiped at now.
func (p *regossipPlan) sent(h common.Hash, now time.Time) {
	if _, ok := p.next[h]; ok {
		p.next[h] = now.Add(p.every)
	}
}

// pooled reports whether the tx with hash h was in the pool at the last
// round.
func (p *regossipPlan) pooled(h common.Hash) bool {
	_, ok := p.next[h]
	return ok
}

// handOff sends a peer that has just connected up to maxHandoff of the
// pooled txs, oldest first, but those it gossiped to this node.
func (n *Node) handOff(peer network.NodeID, pooled []*types.Transaction) {
	raws := make([][]byte, 0, min(len(pooled), maxHandoff))
	for _, tx := range pooled {
		if len(raws) == maxHandoff {
			break
		}
		if from, ok := n.gossip.origin(tx.Hash()); ok && from == peer {
			continue
		}
		raws = append(raws, tx.Bytes())
	}
	if len(raws) == 0 {
		return
	}
	sent := n.gossip.out.SendTo(peer, raws)
	n.logger.Info("handed pooled txs to a peer that connected", "peer", peer.Short(), "txs", sent, "pooled", len(pooled))
}

// connections follows the peers' connections from one re-gossip round to
// the next.
type connections struct {
	at map[network.NodeID]time.Time // each connected peer's connection time
}

func newConnections() *connections {
	return &connections{at: make(map[network.NodeID]time.Time)}
}

// fresh returns the peers whose connection is new since the last call (a
// new peer, or one that connected again), and forgets the peers gone.
func (c *connections) fresh(peers []network.PeerInfo) []network.NodeID {
	var out []network.NodeID
	at := make(map[network.NodeID]time.Time, len(peers))
	for _, p := range peers {
		if prev, ok := c.at[p.NodeID]; !ok || !prev.Equal(p.ConnectedAt) {
			out = append(out, p.NodeID)
		}
		at[p.NodeID] = p.ConnectedAt
	}
	c.at = at
	return out
}
