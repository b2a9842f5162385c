package rpc

import (
	"context"
	"encoding/json"

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

// preverify decodes the txs sent by the eth_sendRawTransaction and
// bcos_sendTransaction requests of a batch and has the backend check their
// signatures together, spread over its workers, before the requests run
// one after the other. Requests that do not parse are skipped here:
// handleRequest answers them as usual.
func (s *Server) preverify(ctx context.Context, items []json.RawMessage) {
	pv, ok := s.b.(TxPreverifier)
	if !ok || len(items) < 2 {
		return
	}
	var txs []*types.Transaction
	for _, item := range items {
		var req struct {
			Method string            `json:"method"`
			Params []json.RawMessage `json:"params"`
		}
		if json.Unmarshal(item, &req) != nil || len(req.Params) == 0 {
			continue
		}
		if req.Method != "eth_sendRawTransaction" && req.Method != "bcos_sendTransaction" {
			continue
		}
		var arg string
		if json.Unmarshal(req.Params[0], &arg) != nil {
			continue
		}
		raw, err := parseHexBytes(arg)
		if err != nil {
			continue
		}
		if tx, err := types.DecodeTx(s.suite, raw); err == nil {
			txs = append(txs, tx)
		}
	}
	if len(txs) > 1 {
		pv.PreverifyTxs(ctx, txs)
	}
}
