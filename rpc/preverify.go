package rpc

import (
	"context"

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
