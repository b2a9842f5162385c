package node

import (
	"context"
	"encoding/binary"
	"log/slog"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/metrics"
	"github.com/gobcos/gobcos/network"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/txpool"
	"github.com/gobcos/gobcos/types"
)

// Metrics and flow logs: the node forwards what its components report
// through their own small interfaces to the metrics package and the log.

// Sources of pool admissions, a metric label.
const (
	txSourceRPC    = "rpc"
	txSourceGossip = "gossip"
)

// metricsSource is what the gauges read at scrape time.
type metricsSource struct{ n *Node }

func (s metricsSource) Height() uint64              { return s.n.ledger.Height() }
func (s metricsSource) PoolStats() (txs, bytes int) { return s.n.pool.Stats() }
func (s metricsSource) Peers() int                  { return s.n.PeerCount() }
func (s metricsSource) SigChecks() (checks, cacheHits uint64) {
	st := s.n.sigs.Stats()
	return st.Checks, st.CacheHits
}

func (s metricsSource) Consensus() (view, viewChanges uint64, ok bool) {
	if s.n.pbft != nil {
		return s.n.pbft.Status().View, s.n.pbft.Stats().Core.ViewChanges, true
	}
	if s.n.raft != nil {
		// The Raft view is the term; with pre-vote on, a term begins only
		// with an election that can win, so term-1 counts the elections.
		term := s.n.raft.Status().View
		return term, max(term, 1) - 1, true
	}
	return 0, 0, false
}

// ParallelExecution reports the executor's parallel execution
// (metrics.ParallelSource).
func (s metricsSource) ParallelExecution() (blocks, fallbacks, reexecuted, taken uint64) {
	st := s.n.exec.ParallelStats()
	return st.Blocks, st.SerialFallbacks, st.ReexecutedChunks, st.TakenChunks
}

// StateCache reports the node's state cache (metrics.StateCacheSource).
func (s metricsSource) StateCache() (hits, absent, misses uint64, entries int) {
	st := s.n.cache.Stats()
	return st.Hits, st.Filtered, st.Misses, st.Entries
}

// Storage reports the node's database's background work
// (metrics.StorageSource), when its store reports it.
func (s metricsSource) Storage() (metrics.StorageStats, bool) {
	st, ok := s.n.kv.(interface {
		Stats() (storage.PebbleStats, error)
	})
	if !ok {
		return metrics.StorageStats{}, false
	}
	ps, err := st.Stats()
	if err != nil {
		return metrics.StorageStats{}, false
	}
	return metrics.StorageStats{Flushes: ps.Flushes, Compactions: ps.Compactions,
		FlushedBytes: ps.FlushedBytes, CompactedBytes: ps.CompactedBytes,
		WriteStalls: ps.WriteStalls, WriteStallTime: ps.WriteStallTime, L0Sublevels: ps.L0Sublevels,
		CompactionDebt: ps.CompactionDebt, DiskBytes: ps.DiskBytes}, true
}

// Pipelined reports the PBFT engine's pipelined work (metrics.PipelineSource).
func (s metricsSource) Pipelined() (orders, executions uint64, ok bool) {
	if s.n.pbft == nil {
		return 0, 0, false
	}
	st := s.n.pbft.Stats()
	return st.PipelinedOrders, st.PipelinedExecs, true
}

// ConsensusDrops reports the PBFT messages the engine dropped, by reason
// (metrics.ConsensusDropSource).
func (s metricsSource) ConsensusDrops() (map[string]uint64, bool) {
	if s.n.pbft == nil {
		return nil, false
	}
	return s.n.pbft.Stats().Drops.Map(), true
}

// TxFetch reports the PBFT engine's tx fetching (metrics.TxFetchSource).
func (s metricsSource) TxFetch() (metrics.TxFetchStats, bool) {
	if s.n.pbft == nil {
		return metrics.TxFetchStats{}, false
	}
	st := s.n.pbft.Stats()
	return metrics.TxFetchStats{Fetched: st.TxsFetched, Served: st.TxsServed, Failures: st.FetchFailures,
		BadBodies: st.FetchBadBodies, DroppedRequests: st.FetchDropped, BadMessages: st.FetchMalformed}, true
}

// addTx admits one tx to the pool and reports it to the metrics and the
// tx flow log.
func (n *Node) addTx(ctx context.Context, tx *types.Transaction, source string) error {
	return n.addTxs(ctx, []*types.Transaction{tx}, source)[0]
}

// addTxs is addTx for several txs, whose signatures the pool checks in
// parallel; one error per tx.
func (n *Node) addTxs(ctx context.Context, txs []*types.Transaction, source string) []error {
	errs := n.pool.Add(ctx, txs)
	accepted := make([]common.Hash, 0, len(txs))
	for i, err := range errs {
		if err != nil {
			n.metrics.TxRejected(source, txpool.Reason(err))
			continue
		}
		accepted = append(accepted, txs[i].Hash())
	}
	n.metrics.TxsAccepted(source, len(accepted))
	n.flow.arrived(accepted, source)
	return errs
}

// meter wraps a P2P handler to count what it receives.
func (n *Node) meter(module network.ModuleID, fn network.Handler) network.Handler {
	if n.metrics == nil {
		return fn
	}
	name := module.String()
	return func(from network.NodeID, m network.Message) {
		n.metrics.P2PReceived(name, len(m.Payload))
		fn(from, m)
	}
}

// send sends payload to one peer and counts it when sent.
func (n *Node) send(to network.NodeID, module network.ModuleID, payload []byte) error {
	err := n.host.Send(to, n.genesis.GroupID, module, payload)
	if err == nil {
		n.metrics.P2PSent(module.String(), len(payload))
	}
	return err
}

// blockTracer turns the engines' block traces into metrics and one flow
// log line per block.
type blockTracer struct{ n *Node }

func (t blockTracer) BlockTraced(bt consensus.BlockTrace) {
	attrs := make([]any, 0, 20)
	attrs = append(attrs, "number", bt.Number, "hash", bt.Hash, "txs", bt.Txs, "view", bt.View, "proposer", bt.Proposer)
	for _, p := range bt.Phases {
		t.n.metrics.Phase(p.Name, p.Took)
		attrs = append(attrs, p.Name, roundDur(p.Took))
	}
	attrs = append(attrs, "execute", roundDur(bt.Execute), "ledger_commit", roundDur(bt.Commit), "total", roundDur(bt.Total))
	t.n.logger.Info("block flow", attrs...)
}

// roundDur keeps flow lines short: microseconds are enough.
func roundDur(d time.Duration) time.Duration { return d.Round(time.Microsecond) }

// maxFlowTxs bounds the txs followed from arrival to commit; arrivals
// beyond it are not followed (their commit latency is not measured).
const maxFlowTxs = 100_000

// arrival is when and how a tx reached this node's pool.
type arrival struct {
	at     time.Time
	source string
}

// txFlow follows txs from their arrival in the pool to their commit: it
// measures the commit latency of each and logs one in sample (by hash).
type txFlow struct {
	log     *slog.Logger
	metrics *metrics.Metrics
	sample  uint64 // 0: log none
	// pending reports a tx still in the pool; followed txs that are
	// neither pending nor committed (expired, replaced) are forgotten.
	pending func(common.Hash) bool

	mu       sync.Mutex
	arrivals map[common.Hash]arrival
}

func newTxFlow(log *slog.Logger, m *metrics.Metrics, sample int, pending func(common.Hash) bool) *txFlow {
	return &txFlow{log: log, metrics: m, sample: uint64(sample), pending: pending, arrivals: make(map[common.Hash]arrival)}
}

// pruneEvery is how often, in blocks, txFlow forgets txs that left the
// pool uncommitted.
const pruneEvery = 64

// sampled reports whether the flow of the tx with hash h is logged.
func (f *txFlow) sampled(h common.Hash) bool {
	return f.sample > 0 && binary.BigEndian.Uint64(h[24:])%f.sample == 0
}

// followed reports whether a tx is followed at all: every tx when metrics
// are on, the sampled ones otherwise.
func (f *txFlow) followed(h common.Hash) bool { return f.metrics != nil || f.sampled(h) }

// arrived records txs admitted to the pool together, those of hs that
// are followed.
func (f *txFlow) arrived(hs []common.Hash, source string) {
	if len(hs) == 0 {
		return
	}
	now := time.Now()
	f.mu.Lock()
	for _, h := range hs {
		if len(f.arrivals) >= maxFlowTxs {
			break
		}
		if f.followed(h) {
			f.arrivals[h] = arrival{at: now, source: source}
		}
	}
	f.mu.Unlock()
}

// committed reports the followed txs of a committed block.
func (f *txFlow) committed(b *types.Block) {
	if len(b.Txs) == 0 || b.Header == nil {
		return
	}
	now := time.Now()
	type done struct {
		hash common.Hash
		arrival
		index int
	}
	var logged []done
	f.mu.Lock()
	if len(f.arrivals) > 0 {
		for i, tx := range b.Txs {
			h := tx.Hash()
			a, ok := f.arrivals[h]
			if !ok {
				continue
			}
			delete(f.arrivals, h)
			f.metrics.TxCommitLatency(now.Sub(a.at))
			if f.sampled(h) {
				logged = append(logged, done{h, a, i})
			}
		}
	}
	if b.Header.Number%pruneEvery == 0 {
		f.prune()
	}
	f.mu.Unlock()
	for _, d := range logged {
		f.log.Info("tx flow", "tx", d.hash, "source", d.source, "arrived", d.at.UTC().Format(time.RFC3339Nano),
			"block", b.Header.Number, "index", d.index, "latency", roundDur(now.Sub(d.at)))
	}
}

// prune forgets the followed txs no longer in the pool (expired or
// replaced without a commit), so the map stays bounded by what is
// pending. f.mu is held.
func (f *txFlow) prune() {
	if f.pending == nil {
		return
	}
	for h := range f.arrivals {
		if !f.pending(h) {
			delete(f.arrivals, h)
		}
	}
}
