package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// sendSigned signs chunk (at most setupChunk txs) from key, whose next
// nonce is nonce, sends it over rc in one JSON-RPC batch and waits for it
// to commit; it returns the hashes of the committed txs.
//
// A native tx is signed for the current head and is valid up to its
// block limit, the head plus the chain's window: one that expired before
// a block took it (refused, or left in the pool, when the chain moves
// faster than the window allows) is signed again for the new head, with
// a new nonce, a few times.
func (r *runner) sendSigned(ctx context.Context, what string, rc *rpc.Client, key crypto.PrivateKey, nonce uint64, chunk []setupTx) ([]common.Hash, error) {
	sg := *r.sg
	hashes := make([]common.Hash, len(chunk))
	todo := make([]int, len(chunk))
	for i := range todo {
		todo[i] = i
	}
	for try := 0; ; try++ {
		var limit uint64
		if sg.format == FormatNative {
			var head hexutil.Uint64
			if err := rc.CallContext(ctx, &head, "eth_blockNumber"); err != nil {
				return nil, fmt.Errorf("%w: %s: eth_blockNumber: %v", ErrSetup, what, err)
			}
			sg.blockLimit = uint64(head) + r.chain.BlockLimitWindow
			limit = sg.blockLimit
		}
		txs := make([]*types.Transaction, len(todo))
		sent := make([]common.Hash, len(todo))
		for j, i := range todo {
			t := chunk[i]
			tx, err := sg.sign(key, nonce+uint64(i), t.to, t.value, t.data, t.gas)
			if err != nil {
				return nil, err
			}
			txs[j], sent[j] = tx, tx.Hash()
			hashes[i] = tx.Hash()
		}
		expired, err := r.commitSetup(ctx, what, sent, limit, func() error { return r.sendSetup(ctx, rc, txs) })
		if err != nil {
			return nil, err
		}
		if len(expired) == 0 {
			return hashes, nil
		}
		if try == setupResigns {
			return nil, fmt.Errorf("%w: %s: %d txs expired (block limit) %d times: the chain's block-limit window of %d blocks is too small for the setup",
				ErrSetup, what, len(expired), try+1, r.chain.BlockLimitWindow)
		}
		next := make([]int, len(expired))
		for j, e := range expired {
			next[j] = todo[e]
		}
		todo = next
	}
}

// sendSetup sends txs in one JSON-RPC batch. A pool that has not caught up
// with the block funding their sender yet refuses them for insufficient
// funds (go-ethereum's pool follows the head in its own goroutine): those
// are sent again, a few times.
func (r *runner) sendSetup(ctx context.Context, rc *rpc.Client, txs []*types.Transaction) error {
	for try := 0; ; try++ {
		var again []*types.Transaction
		for j, err := range r.sendBatch(ctx, rc, txs) {
			switch {
			case err == nil:
			case try < setupRetries && strings.Contains(strings.ToLower(err.Error()), "insufficient funds"):
				again = append(again, txs[j])
			case !txs[j].IsEthereum() && strings.Contains(strings.ToLower(err.Error()), "block limit"):
				// Expired before it arrived: commitSetup finds it missing
				// once the chain is past its block limit.
			default:
				return err
			}
		}
		if len(again) == 0 {
			return nil
		}
		txs = again
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(setupRetryDelay):
		}
	}
}

// commitSetup follows the setup txs hashes to their receipts and requires
// status 1 of all. send, if not nil, sends them once they are watched;
// nil means they were sent already, so the receipts of those the tracker
// saw before the watch began are asked for at once. The tracker reports
// each tx as its block arrives; the node is asked for the receipts still
// missing every setupPoll, and the wait ends with an error after --wait.
//
// limit, if not 0, is the native txs' block limit: once the tracker has
// scanned block limit, the txs still missing can no longer commit, and
// commitSetup returns their indexes.
func (r *runner) commitSetup(ctx context.Context, what string, hashes []common.Hash, limit uint64, send func() error) ([]int, error) {
	w := newWatch(hashes)
	r.tr.add(w)
	defer r.tr.remove(w)
	if send != nil {
		if err := send(); err != nil {
			return nil, fmt.Errorf("%w: %s: sending: %v", ErrSetup, what, err)
		}
	} else if err := r.pollSetup(ctx, w); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSetup, what, err)
	}
	deadline := time.NewTimer(r.cfg.Wait)
	defer deadline.Stop()
	poll := time.NewTicker(setupPoll)
	defer poll.Stop()
	var expiry <-chan time.Time
	if limit > 0 {
		tick := time.NewTicker(headPollInterval)
		defer tick.Stop()
		expiry = tick.C
	}
	var expired []int
wait:
	for w.committed() < len(hashes) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return nil, fmt.Errorf("%w: %s: %d of %d txs not committed within %v", ErrSetup, what, len(hashes)-w.committed(), len(hashes), r.cfg.Wait)
		case <-w.notify:
		case <-poll.C:
			if err := r.pollSetup(ctx, w); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrSetup, what, err)
			}
		case <-expiry:
			if r.tr.scanned() < limit {
				continue
			}
			// The watch may have missed none of the blocks up to limit:
			// what it lacks now is not on the chain.
			w.mu.Lock()
			for i, at := range w.commit {
				if at.IsZero() {
					expired = append(expired, i)
				}
			}
			w.mu.Unlock()
			break wait
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, st := range w.status {
		if st != 1 && !w.commit[i].IsZero() {
			return nil, fmt.Errorf("%w: %s: tx %s failed (status %d)", ErrSetup, what, hashes[i], st)
		}
	}
	return expired, nil
}

// pollSetup asks for the receipts of the txs of w not committed yet and
// records those found.
func (r *runner) pollSetup(ctx context.Context, w *watch) error {
	var (
		batch []rpc.BatchElem
		idx   []int
	)
	w.mu.Lock()
	for i, at := range w.commit {
		if at.IsZero() {
			batch = append(batch, rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{w.hashes[i]}, Result: new(*setupReceipt)})
			idx = append(idx, i)
		}
	}
	w.mu.Unlock()
	for start := 0; start < len(batch); start += setupChunk {
		part := batch[start:min(start+setupChunk, len(batch))]
		if err := r.conns[0].BatchCallContext(ctx, part); err != nil {
			return err
		}
		for j, b := range part {
			if res := *(b.Result.(**setupReceipt)); b.Error == nil && res != nil {
				r.tr.resolve(w, idx[start+j], uint64(res.Status))
			}
		}
	}
	return nil
}

// waitReceipts polls for the receipts of hashes (setup only: the timed
// phase follows blocks instead) until all are in or --wait passes.
func (r *runner) waitReceipts(ctx context.Context, hashes []common.Hash) ([]setupReceipt, error) {
	rs := make([]*setupReceipt, len(hashes))
	deadline := time.Now().Add(r.cfg.Wait)
	for {
		var batch []rpc.BatchElem
		var idx []int
		for i, rc := range rs {
			if rc == nil {
				var res *setupReceipt
				batch = append(batch, rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{hashes[i]}, Result: &res})
				idx = append(idx, i)
			}
		}
		if len(batch) == 0 {
			break
		}
		if err := r.conns[0].BatchCallContext(ctx, batch); err != nil {
			return nil, err
		}
		for j, b := range batch {
			if res := *(b.Result.(**setupReceipt)); b.Error == nil && res != nil {
				rs[idx[j]] = res
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d txs not committed within %v", len(batch), len(hashes), r.cfg.Wait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	out := make([]setupReceipt, len(rs))
	for i, rc := range rs {
		out[i] = *rc
	}
	return out, nil
}
