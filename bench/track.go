package bench

import (
	"bytes"
	"context"
	"encoding/json"
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
// receipts once (eth_getBlockReceipts, several blocks per batch request when
// it is behind, or the block's tx hashes and a batch of
// eth_getTransactionReceipt) and records the txs of its watches.
//
// A tx's commit time is when the first head at or above its block arrived
// at the client. Heads are stamped as they arrive, by a goroutine that only
// receives them; receipts are fetched by another, so a slow fetch (many
// small blocks, a busy node) delays when a tx is recorded, never the time
// recorded for it.
type tracker struct {
	rc  *rpc.Client
	log *slog.Logger

	mu       sync.Mutex
	index    map[common.Hash]watchRef
	next     uint64     // next block to scan
	arrivals []headSeen // heads at or above next, in arrival order
	blocks   int        // blocks scanned with at least one watched tx
	subErr   error      // why subscriptions are not used, if they are not
	perTxRx  bool       // eth_getBlockReceipts is missing: fetch per block by hash batch
	// raw, when set, fetches blocks' receipts over plain HTTP, reading
	// only what the tracker needs; rxBuf holds its answers (only the
	// scanning goroutine uses it).
	raw   *rawClient
	rxBuf bytes.Buffer
	wake  chan struct{}
}

// headSeen is a head's number and the time it arrived.
type headSeen struct {
	n  uint64
	at time.Time
}

// receiptBatch is the most blocks whose receipts one request fetches.
const receiptBatch = 16

type watchRef struct {
	w *watch
	i int
}

func newTracker(rc *rpc.Client, from uint64, log *slog.Logger) *tracker {
	return &tracker{rc: rc, log: log, index: make(map[common.Hash]watchRef), next: from,
		wake: make(chan struct{}, 1)}
}

// add starts following the txs of w; their blocks must be above the
// tracker's start.
func (t *tracker) add(w *watch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.index) == 0 {
		t.index = make(map[common.Hash]watchRef, len(w.hashes))
	}
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
	go t.scanLoop(ctx)
	heads := make(chan *headMsg, 256)
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
			t.seenHead(uint64(h.Number), time.Now())
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
				t.seenHead(uint64(n), time.Now())
			}
		}
	}
}

// seenHead records that head n arrived at at and wakes the scanner. A head
// no higher than the last one seen adds nothing.
func (t *tracker) seenHead(n uint64, at time.Time) {
	t.mu.Lock()
	if n >= t.next && (len(t.arrivals) == 0 || n > t.arrivals[len(t.arrivals)-1].n) {
		t.arrivals = append(t.arrivals, headSeen{n, at})
	}
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// scanLoop scans the blocks of the heads seen until ctx ends.
func (t *tracker) scanLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
			t.scan(ctx)
		}
	}
}

type receiptMsg struct {
	TxHash common.Hash    `json:"transactionHash"`
	Status hexutil.Uint64 `json:"status"`
}

// scan fetches the receipts of the blocks up to the highest head seen and
// records them, each with the arrival of the first head at or above it. A
// failed fetch is retried at the next head.
func (t *tracker) scan(ctx context.Context) {
	for {
		t.mu.Lock()
		n := t.next
		var head uint64
		if len(t.arrivals) > 0 {
			head = t.arrivals[len(t.arrivals)-1].n
		}
		t.mu.Unlock()
		if n > head {
			return
		}
		blocks, err := t.fetchReceipts(ctx, n, min(head, n+receiptBatch-1))
		if err != nil {
			if ctx.Err() == nil {
				t.log.Warn("fetching block receipts", "block", n, "err", err)
			}
			return
		}
		for i, rs := range blocks {
			t.record(n+uint64(i), rs)
		}
	}
}

// record records the watched txs of block n, whose receipts are rs, and
// moves the scan past it.
func (t *tracker) record(n uint64, rs []receiptMsg) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next = n + 1
	var seen time.Time
	for len(t.arrivals) > 0 && t.arrivals[0].n < n {
		t.arrivals = t.arrivals[1:]
	}
	if len(t.arrivals) > 0 {
		seen = t.arrivals[0].at
	}
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

// scanned is the highest block whose receipts are recorded (0 before any).
func (t *tracker) scanned() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return max(t.next, 1) - 1
}

// resolve records tx i of w as committed with status, as a receipt asked
// for apart from the blocks' scan found it, unless the scan has already.
func (t *tracker) resolve(w *watch, i int, status uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ref, ok := t.index[w.hashes[i]]; !ok || ref.w != w {
		return
	}
	delete(t.index, w.hashes[i])
	w.mu.Lock()
	w.commit[i], w.status[i] = time.Now(), status
	w.count++
	w.mu.Unlock()
}

// fetchReceipts returns the receipts of blocks from to to, in order: one
// batch of eth_getBlockReceipts, or block by block when the node lacks it.
func (t *tracker) fetchReceipts(ctx context.Context, from, to uint64) ([][]receiptMsg, error) {
	t.mu.Lock()
	perTx := t.perTxRx
	t.mu.Unlock()
	out := make([][]receiptMsg, to-from+1)
	if !perTx {
		var err error
		if t.raw != nil {
			err = t.rawBlockReceipts(ctx, from, out)
		} else {
			err = t.rpcBlockReceipts(ctx, from, out)
		}
		if err == nil {
			return out, nil
		}
		if !isMethodNotFound(err) {
			return nil, fmt.Errorf("eth_getBlockReceipts %d..%d: %w", from, to, err)
		}
		t.mu.Lock()
		t.perTxRx = true
		t.mu.Unlock()
	}
	for i := range out {
		rs, err := t.txReceipts(ctx, from+uint64(i))
		if err != nil {
			return nil, err
		}
		out[i] = rs
	}
	return out, nil
}

// rpcBlockReceipts fetches the receipts of blocks from.. into out with one
// batch of eth_getBlockReceipts over the generic client; the error is the
// first request's error, if any.
func (t *tracker) rpcBlockReceipts(ctx context.Context, from uint64, out [][]receiptMsg) error {
	batch := make([]rpc.BatchElem, len(out))
	for i := range batch {
		batch[i] = rpc.BatchElem{Method: "eth_getBlockReceipts", Args: []any{hexutil.Uint64(from + uint64(i))}, Result: &out[i]}
	}
	err := t.rc.BatchCallContext(ctx, batch)
	for i := 0; err == nil && i < len(batch); i++ {
		err = batch[i].Error
	}
	return err
}

// rawBlockReceipts is rpcBlockReceipts over the tracker's raw client,
// reading of each receipt only its tx hash and status.
func (t *tracker) rawBlockReceipts(ctx context.Context, from uint64, out [][]receiptMsg) error {
	body := []byte{'['}
	for i := range out {
		if i > 0 {
			body = append(body, ',')
		}
		params := append(append([]byte(`["`), hexutil.EncodeUint64(from+uint64(i))...), `"]`...)
		body = appendRequest(body, i, "eth_getBlockReceipts", params)
	}
	body = append(body, ']')
	answer, err := t.raw.post(ctx, body, &t.rxBuf)
	if err != nil {
		return err
	}
	errs, err := batchResults(answer, len(out), nil, func(i int, result []byte) error {
		rs, ok := scanReceipts(result)
		if !ok {
			rs = nil
			if err := json.Unmarshal(result, &rs); err != nil {
				return err
			}
		}
		out[i] = rs
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// txReceipts fetches block n's tx hashes, then their receipts in batches.
func (t *tracker) txReceipts(ctx context.Context, n uint64) ([]receiptMsg, error) {
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
// or the deadline passes; or, when over is not nil, once it reports that
// the txs still missing can no longer commit (asked every
// headPollInterval).
func (w *watch) wait(ctx context.Context, want int, deadline time.Time, over func() bool) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var check <-chan time.Time
	if over != nil {
		tick := time.NewTicker(headPollInterval)
		defer tick.Stop()
		check = tick.C
	}
	for w.committed() < want {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		case <-w.notify:
		case <-check:
			if over() {
				return
			}
		}
	}
}
