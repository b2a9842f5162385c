package bench

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// headPollInterval is how often the tracker asks eth_blockNumber when the
// node offers no newHeads subscription.
const headPollInterval = 50 * time.Millisecond

// watch follows a set of txs to their receipts.
type watch struct {
	hashes []common.Hash
	mu     sync.Mutex
	sent   []time.Time // when the send call began; zero until sent
	commit []time.Time // when the block holding the tx was seen; zero until then
	status []uint64
	number []uint64 // block number
	count  int      // committed so far
	notify chan struct{}
}

func newWatch(hashes []common.Hash) *watch {
	n := len(hashes)
	return &watch{hashes: hashes, sent: make([]time.Time, n), commit: make([]time.Time, n),
		status: make([]uint64, n), number: make([]uint64, n), notify: make(chan struct{}, 1)}
}

// markSent records t as the send time of the txs at indexes idx.
func (w *watch) markSent(idx []int, t time.Time) {
	w.mu.Lock()
	for _, i := range idx {
		w.sent[i] = t
	}
	w.mu.Unlock()
}

func (w *watch) committed() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count
}

// tracker follows new blocks (eth_subscribe newHeads, or polling
// eth_blockNumber when the node has no subscriptions), fetches each block's
// receipts once (eth_getBlockReceipts, or the block's tx hashes and a batch
// of eth_getTransactionReceipt) and records the txs of its watches.
type tracker struct {
	rc  *rpc.Client
	log *slog.Logger

	mu      sync.Mutex
	index   map[common.Hash]watchRef
	next    uint64 // next block to scan
	blocks  int    // blocks scanned with at least one watched tx
	subErr  error  // why subscriptions are not used, if they are not
	perTxRx bool   // eth_getBlockReceipts is missing: fetch per block by hash batch
}

type watchRef struct {
	w *watch
	i int
}

func newTracker(rc *rpc.Client, from uint64, log *slog.Logger) *tracker {
	return &tracker{rc: rc, log: log, index: make(map[common.Hash]watchRef), next: from}
}

// add starts following the txs of w; their blocks must be above the
// tracker's start.
func (t *tracker) add(w *watch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, h := range w.hashes {
		t.index[h] = watchRef{w, i}
	}
}

// remove stops following w.
func (t *tracker) remove(w *watch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, h := range w.hashes {
		if r, ok := t.index[h]; ok && r.w == w {
			delete(t.index, h)
		}
	}
}

type headMsg struct {
	Number hexutil.Uint64 `json:"number"`
}

// run follows heads until ctx ends.
func (t *tracker) run(ctx context.Context) {
	heads := make(chan *headMsg, 64)
	sub, err := t.rc.EthSubscribe(ctx, heads, "newHeads")
	if err != nil {
		t.mu.Lock()
		t.subErr = err
		t.mu.Unlock()
		t.log.Warn("no newHeads subscription: polling eth_blockNumber", "err", err)
		t.poll(ctx)
		return
	}
	defer sub.Unsubscribe()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-sub.Err():
			t.log.Warn("newHeads subscription ended: polling eth_blockNumber", "err", err)
			t.poll(ctx)
			return
		case h := <-heads:
			t.scanTo(ctx, uint64(h.Number), time.Now())
		}
	}
}

func (t *tracker) poll(ctx context.Context) {
	tick := time.NewTicker(headPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			var n hexutil.Uint64
			if err := t.rc.CallContext(ctx, &n, "eth_blockNumber"); err == nil {
				t.scanTo(ctx, uint64(n), time.Now())
			}
		}
	}
}

type receiptMsg struct {
	TxHash common.Hash    `json:"transactionHash"`
	Status hexutil.Uint64 `json:"status"`
}

// scanTo fetches the receipts of the blocks up to head, seen at seen. A
// failed fetch is retried at the next head.
func (t *tracker) scanTo(ctx context.Context, head uint64, seen time.Time) {
	for {
		t.mu.Lock()
		n := t.next
		t.mu.Unlock()
		if n > head {
			return
		}
		rs, err := t.blockReceipts(ctx, n)
		if err != nil {
			if ctx.Err() == nil {
				t.log.Warn("fetching block receipts", "block", n, "err", err)
			}
			return
		}
		t.record(n, rs, seen)
	}
}

func (t *tracker) record(n uint64, rs []receiptMsg, seen time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next = n + 1
	touched := map[*watch]bool{}
	for _, r := range rs {
		ref, ok := t.index[r.TxHash]
		if !ok {
			continue
		}
		delete(t.index, r.TxHash)
		w := ref.w
		w.mu.Lock()
		w.commit[ref.i], w.status[ref.i], w.number[ref.i] = seen, uint64(r.Status), n
		w.count++
		w.mu.Unlock()
		touched[w] = true
	}
	if len(touched) > 0 {
		t.blocks++
	}
	for w := range touched {
		select {
		case w.notify <- struct{}{}:
		default:
		}
	}
}

func (t *tracker) blockReceipts(ctx context.Context, n uint64) ([]receiptMsg, error) {
	t.mu.Lock()
	perTx := t.perTxRx
	t.mu.Unlock()
	if !perTx {
		var rs []receiptMsg
		err := t.rc.CallContext(ctx, &rs, "eth_getBlockReceipts", hexutil.Uint64(n))
		if err == nil {
			return rs, nil
		}
		if !isMethodNotFound(err) {
			return nil, fmt.Errorf("eth_getBlockReceipts %d: %w", n, err)
		}
		t.mu.Lock()
		t.perTxRx = true
		t.mu.Unlock()
	}
	var blk struct {
		Transactions []common.Hash `json:"transactions"`
	}
	if err := t.rc.CallContext(ctx, &blk, "eth_getBlockByNumber", hexutil.Uint64(n), false); err != nil {
		return nil, fmt.Errorf("eth_getBlockByNumber %d: %w", n, err)
	}
	rs := make([]receiptMsg, len(blk.Transactions))
	batch := make([]rpc.BatchElem, len(blk.Transactions))
	for i, h := range blk.Transactions {
		batch[i] = rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{h}, Result: &rs[i]}
	}
	for start := 0; start < len(batch); start += 500 {
		end := min(start+500, len(batch))
		if err := t.rc.BatchCallContext(ctx, batch[start:end]); err != nil {
			return nil, fmt.Errorf("eth_getTransactionReceipt batch of block %d: %w", n, err)
		}
	}
	for _, b := range batch {
		if b.Error != nil {
			return nil, fmt.Errorf("eth_getTransactionReceipt in block %d: %w", n, b.Error)
		}
	}
	return rs, nil
}

// wait returns once every tx of w is committed, want of them are, ctx ends
// or the deadline passes.
func (w *watch) wait(ctx context.Context, want int, deadline time.Time) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for w.committed() < want {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		case <-w.notify:
		}
	}
}
