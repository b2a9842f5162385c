package node

import (
	"context"
	"time"

	"github.com/gobcos/gobcos/network"
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
)

// gossipItem is a decoded tx a peer gossiped.
type gossipItem struct {
	from network.NodeID
	tx   *types.Transaction
}

// gossipIntake hands the txs peers gossip to the pool in batches: the
// pool's verifier checks a batch's signatures on all cores, and a peer's
// connection (which also carries its consensus messages) is not held
// while they are checked, only while the queue is full.
type gossipIntake struct {
	in      chan gossipItem
	stopped chan struct{} // closed when run returns
}

func newGossipIntake() *gossipIntake {
	return &gossipIntake{in: make(chan gossipItem, gossipQueue), stopped: make(chan struct{})}
}

// offer queues a gossiped tx; it waits while the queue is full, until the
// intake stops.
func (g *gossipIntake) offer(from network.NodeID, tx *types.Transaction) {
	select {
	case g.in <- gossipItem{from, tx}:
	case <-g.stopped:
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
		for i, err := range errs {
			if err != nil {
				n.logger.Debug("gossiped tx refused", "peer", batch[i].from.Short(), "tx", batch[i].tx.Hash(), "err", err)
			}
		}
	}
}
