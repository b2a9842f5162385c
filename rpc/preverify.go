package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/gobcos/gobcos/types"
)

// TxPreverifier is an optional capability of a Backend: checking the
// signatures of several transactions at once, in parallel, remembering
// their senders so that the SendTx calls that follow do not check them
// again. The node implements it with its txverify.Verifier.
type TxPreverifier interface {
	// PreverifyTxs checks txs' signatures. It reports nothing: invalid
	// txs are refused, with their error, by SendTx.
	PreverifyTxs(ctx context.Context, txs []*types.Transaction)
}

// predecode decodes, as decodeTxArg does, the txs sent by the
// eth_sendRawTransaction and bcos_sendTransaction requests of a batch, so
// that each is decoded once, and has the backend check their signatures
// together, spread over its workers, before the requests run one after
// the other. It returns the decoded tx of each request (nil for other
// requests and for txs that do not decode: their requests answer the
// error as usual).
func (s *Server) predecode(ctx context.Context, reqs []*request) []*types.Transaction {
	txs := make([]*types.Transaction, len(reqs))
	var all []*types.Transaction
	for i, req := range reqs {
		if req == nil || len(req.params) == 0 {
			continue
		}
		if req.method != "eth_sendRawTransaction" && req.method != "bcos_sendTransaction" {
			continue
		}
		tx, err := s.decodeTxArg(&call{ctx: ctx, method: req.method, params: req.params}, 0)
		if err != nil {
			continue
		}
		txs[i] = tx
		all = append(all, tx)
	}
	if pv, ok := s.b.(TxPreverifier); ok && len(all) > 1 {
		pv.PreverifyTxs(ctx, all)
	}
	return txs
}

// TxBatchSender is an optional capability of a Backend: sending several
// txs at once, as SendTx does one after the other, so that the pool
// takes its locks and reads the chain's per-block values once for all of
// them. The node implements it with one admission to its pool.
type TxBatchSender interface {
	// SendTxs does what SendTx does for each of txs, in order, and
	// returns one error per tx: the error SendTx returns for it.
	SendTxs(ctx context.Context, txs []*types.Transaction) []error
}

// sent is the outcome of a send request whose tx a batch sent ahead of
// the request (sendRun).
type sent struct {
	done  bool
	err   error
	share time.Duration // the request's share of the time sending took
}

// sendAnswerBound bounds the answer to a send request beyond its id: a
// hash, or an error message of a few hundred bytes.
const sendAnswerBound = 4 << 10

// sendable reports whether request i of a batch would hand its tx (txs[i],
// as predecode decoded it) to SendTx with nothing else to check first:
// eth_sendRawTransaction of an Ethereum tx, or bcos_sendTransaction of a
// tx without waiting for its receipt.
func sendable(req *request, tx *types.Transaction) bool {
	if req == nil || tx == nil {
		return false
	}
	switch req.method {
	case "eth_sendRawTransaction":
		return len(req.params) == 1 && tx.IsEthereum()
	case "bcos_sendTransaction":
		return len(req.params) == 1
	}
	return false
}

// sendRun sends, the backend being a TxBatchSender, the txs of the run
// of consecutive sendable requests starting at i, recording each outcome
// in out, and returns the index after the run; the requests then answer
// with the outcome instead of sending. A run stops where the batch's
// answer could pass MaxBatchResponseBytes (size is the answer so far),
// so that no tx is sent whose request would be answered that the batch
// is too large. It returns i when there is nothing to send together.
func (s *Server) sendRun(ctx context.Context, items []json.RawMessage, reqs []*request, txs []*types.Transaction, i, size int, out []sent) int {
	bs, ok := s.b.(TxBatchSender)
	if !ok || s.isClosed() {
		return i
	}
	j := i
	for j < len(reqs) && sendable(reqs[j], txs[j]) {
		size += len(items[j]) + sendAnswerBound
		if size > s.cfg.MaxBatchResponseBytes {
			break
		}
		j++
	}
	if j-i < 2 {
		return i
	}
	start := time.Now()
	errs := s.sendTxs(ctx, bs, reqs[i].method, txs[i:j])
	share := time.Since(start) / time.Duration(j-i)
	for k, err := range errs {
		out[i+k] = sent{done: true, err: err, share: share}
	}
	return j
}

// sendTxs calls SendTxs, turning a panic into the error a panic in
// SendTx would answer (dispatch) for every tx.
func (s *Server) sendTxs(ctx context.Context, bs TxBatchSender, method string, txs []*types.Transaction) (errs []error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in rpc method", "method", method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			errs = make([]error, len(txs))
			for k := range errs {
				errs[k] = &Error{Code: CodeInternal, Message: "internal error while handling " + method}
			}
		}
	}()
	errs = bs.SendTxs(ctx, txs)
	if len(errs) != len(txs) {
		panic(fmt.Sprintf("SendTxs returned %d errors for %d txs", len(errs), len(txs)))
	}
	return errs
}

// sendTx sends c's tx, or returns the outcome of its sending by the batch.
func (s *Server) sendTx(c *call, tx *types.Transaction) error {
	if c.sent.done {
		return c.sent.err
	}
	return s.b.SendTx(c.ctx, tx)
}
