package engine

import (
	"context"
	"fmt"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/types"
)

// TxVerifier checks the signatures of a proposal's txs in parallel and
// knows, by tx hash, those the node verified before (txverify.Verifier,
// shared with the node's txpool and executor).
type TxVerifier interface {
	// VerifyBatch returns one error per tx, in order; a tx without one
	// has its sender cached.
	VerifyBatch(ctx context.Context, txs []*types.Transaction) []error
}

// verifySigs returns one signature error per tx, in order: through the
// verifier, or one tx after the other without one.
func (e *Engine) verifySigs(txs []*types.Transaction) []error {
	if e.sigs != nil {
		return e.sigs.VerifyBatch(context.Background(), txs)
	}
	errs := make([]error, len(txs))
	for i, tx := range txs {
		_, errs[i] = tx.Verify(e.suite, e.cfg.ChainID, e.cfg.GroupID)
	}
	return errs
}

// checkTx applies the ordering rules (consensus.TxChecker) to tx proposed
// at height, with the proposal's earlier txs in seen and the decided
// ones in pending, after checking its signature when verifySig is set.
func (e *Engine) checkTx(tx *types.Transaction, height uint64, pending, seen *consensus.TxSet, verifySig bool) error {
	if verifySig {
		if _, err := tx.Verify(e.suite, e.cfg.ChainID, e.cfg.GroupID); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalidTx, tx.Hash(), err)
		}
	}
	c := consensus.TxChecker{Ledger: e.ledger, BlockLimitWindow: e.cfg.BlockLimitWindow, Invalid: ErrInvalidTx}
	return c.Check(tx, height, seen, pending)
}

// verify answers a VerifyRequest: nil if every transaction passes.
// The proposal must also keep the chain's block rules at its height
// (tx_count_limit, tx_gas_limit); a node that cannot read them (its
// binary does not support the chain's compatibility version) refuses.
func (e *Engine) verify(req pbft.VerifyRequest) error {
	txs := make([]*types.Transaction, len(req.Proposal.Txs))
	for i, raw := range req.Proposal.Txs {
		tx, err := types.DecodeTx(e.suite, raw)
		if err != nil {
			return fmt.Errorf("%w: tx %d does not decode: %v", ErrInvalidTx, i, err)
		}
		txs[i] = tx
	}
	return e.verifyTxs(req.Height, txs, e.pendingOf(req.Pending))
}

// verifyTxs checks the txs of a proposal at height (decoded or resolved)
// against the decided ones in pending.
func (e *Engine) verifyTxs(height uint64, txs []*types.Transaction, pending *consensus.TxSet) error {
	seen := consensus.NewTxSet()
	sigErrs := e.verifySigs(txs) // in parallel; known txs are not checked again
	for i, tx := range txs {
		if err := sigErrs[i]; err != nil {
			return fmt.Errorf("tx %d: %w: %s: %v", i, ErrInvalidTx, tx.Hash(), err)
		}
		if err := e.checkTx(tx, height, pending, seen, false); err != nil {
			return fmt.Errorf("tx %d: %w", i, err)
		}
	}
	return e.checkRules(height, txs)
}

// candidates picks, for a proposal at height, up to max pool txs that pass
// the same checks as verify: their bodies, or (Rules.TxHashProposals)
// their hashes, the bodies kept in the cache for serving and execution.
// At most tx_count_limit of them, none over tx_gas_limit; none at all
// when the rules of the height cannot be read.
func (e *Engine) candidates(req pbft.ProposalRequest) [][]byte {
	rules, err := e.rulesAt(req.Height)
	if err != nil {
		e.log.Debug("not proposing", "height", req.Height, "err", err)
		return nil
	}
	limit := rules.BlockTxLimit(req.MaxTxs)
	pending := e.pendingOf(req.Pending)
	seen := consensus.NewTxSet()
	var out [][]byte
	for _, tx := range e.pool.Pending(limit + pending.Len()) {
		if len(out) == limit {
			break
		}
		if !rules.Sealable(tx) {
			continue
		}
		_, verified := tx.CachedSender()
		if err := e.checkTx(tx, req.Height, pending, seen, !verified); err != nil {
			continue
		}
		if rules.TxHashProposals {
			e.fetch.cache.put(tx)
			out = append(out, tx.Hash().Bytes())
		} else {
			out = append(out, tx.Bytes())
		}
	}
	return out
}
