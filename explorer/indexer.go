package explorer

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// seriesLen is how many recent blocks the txs-per-block chart shows.
const seriesLen = 120

// indexBatch is how many blocks one JSON-RPC batch fetches.
const indexBatch = 100

// BlockPoint is one block of the txs-per-block series.
type BlockPoint struct {
	Number uint64 `json:"number"`
	Txs    int    `json:"txs"`
	Time   uint64 `json:"time"` // seconds
}

// Stats are the chain totals the overview shows.
type Stats struct {
	Height   uint64 `json:"height"`   // latest block the indexer has read
	Head     uint64 `json:"head"`     // latest block the node reported
	TotalTxs uint64 `json:"totalTxs"` // txs in blocks 0..Height
	// Complete is false while the indexer is still reading old blocks.
	Complete bool         `json:"complete"`
	Series   []BlockPoint `json:"series"`
	Error    string       `json:"error,omitempty"`
}

// indexer follows the chain to count its txs.
type indexer struct {
	rpc *rpcClient
	log *slog.Logger

	mu       sync.Mutex
	next     uint64 // next block to read
	head     uint64
	total    uint64
	series   []BlockPoint
	lastHash common.Hash
	err      string
}

func newIndexer(c *rpcClient, log *slog.Logger) *indexer {
	return &indexer{rpc: c, log: log}
}

func (x *indexer) snapshot() Stats {
	x.mu.Lock()
	defer x.mu.Unlock()
	st := Stats{Head: x.head, TotalTxs: x.total, Series: append([]BlockPoint{}, x.series...), Error: x.err}
	if x.next > 0 {
		st.Height = x.next - 1
		st.Complete = st.Height >= x.head
	}
	return st
}

// run follows the chain every interval and whenever kick fires.
func (x *indexer) run(ctx context.Context, every time.Duration, kick <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		err := x.step(ctx)
		x.mu.Lock()
		if err != nil && ctx.Err() == nil {
			if x.err == "" {
				x.log.Warn("explorer cannot follow the chain", "err", err)
			}
			x.err = err.Error()
		} else {
			x.err = ""
		}
		x.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
		}
	}
}

type blockSummary struct {
	Number       hexutil.Uint64 `json:"number"`
	Hash         common.Hash    `json:"hash"`
	ParentHash   common.Hash    `json:"parentHash"`
	Timestamp    hexutil.Uint64 `json:"timestamp"`
	Transactions []common.Hash  `json:"transactions"`
}

// step reads the blocks committed since the last step.
func (x *indexer) step(ctx context.Context) error {
	var head hexutil.Uint64
	if err := x.rpc.call(ctx, &head, "eth_blockNumber"); err != nil {
		return err
	}
	x.mu.Lock()
	x.head = uint64(head)
	next := x.next
	x.mu.Unlock()
	for next <= uint64(head) && ctx.Err() == nil {
		end := min(uint64(head), next+indexBatch-1)
		params := make([][]any, 0, end-next+1)
		outs := make([]any, 0, end-next+1)
		blocks := make([]blockSummary, end-next+1)
		for n := next; n <= end; n++ {
			params = append(params, []any{hexutil.EncodeUint64(n), false})
			outs = append(outs, &blocks[n-next])
		}
		if err := x.rpc.batch(ctx, "eth_getBlockByNumber", params, outs); err != nil {
			return err
		}
		x.mu.Lock()
		for _, b := range blocks {
			x.total += uint64(len(b.Transactions))
			x.series = append(x.series, BlockPoint{Number: uint64(b.Number), Txs: len(b.Transactions), Time: uint64(b.Timestamp)})
			x.lastHash = b.Hash
		}
		if over := len(x.series) - seriesLen; over > 0 {
			x.series = append(x.series[:0], x.series[over:]...)
		}
		x.next = end + 1
		x.mu.Unlock()
		next = end + 1
	}
	return nil
}
