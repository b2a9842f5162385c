package engine

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

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

// pendingSet is what the proposals decided below a height already hold.
type pendingSet struct {
	hashes map[common.Hash]bool
	nonces map[string]bool // native nonces
}

func (e *Engine) pendingOf(props []*pbft.Proposal) pendingSet {
	ps := pendingSet{hashes: make(map[common.Hash]bool), nonces: make(map[string]bool)}
	for _, p := range props {
		for _, raw := range p.Txs {
			tx, err := types.DecodeTx(e.suite, raw)
			if err != nil {
				continue // a decided proposal was verified; cannot happen
			}
			ps.hashes[tx.Hash()] = true
			if n := tx.Native(); n != nil && n.Nonce != nil {
				ps.nonces[nonceKey(n.Nonce)] = true
			}
		}
	}
	return ps
}

func nonceKey(n *big.Int) string { return string(n.Bytes()) + "/" + fmt.Sprint(n.Sign()) }

// checkTx applies the deterministic rules to tx proposed at height: valid
// signature for this chain and group (skipped when verified already), not
// committed, not in pending or seen (the proposal's earlier txs), and for
// native txs a block limit in the txpool's window relative to height-1 and
// an unused nonce. It records tx in seen.
func (e *Engine) checkTx(tx *types.Transaction, height uint64, pending, seen pendingSet, verifySig bool) error {
	if verifySig {
		if _, err := tx.Verify(e.suite, e.cfg.ChainID, e.cfg.GroupID); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalidTx, tx.Hash(), err)
		}
	}
	h := tx.Hash()
	if pending.hashes[h] || seen.hashes[h] {
		return fmt.Errorf("%w: %s appears twice in the chain being ordered", ErrInvalidTx, h)
	}
	if ok, err := e.ledger.TxCommitted(h); err != nil {
		return fmt.Errorf("checking tx %s: %w", h, err)
	} else if ok {
		return fmt.Errorf("%w: %s is already committed", ErrInvalidTx, h)
	}
	if n := tx.Native(); n != nil {
		parent := height - 1
		if n.BlockLimit <= parent || n.BlockLimit-parent > e.cfg.BlockLimitWindow {
			return fmt.Errorf("%w: %s has block limit %d, outside (%d, %d]", ErrInvalidTx, h, n.BlockLimit, parent, parent+e.cfg.BlockLimitWindow)
		}
		if n.Nonce == nil || n.Nonce.Sign() < 0 {
			return fmt.Errorf("%w: %s has no valid nonce", ErrInvalidTx, h)
		}
		k := nonceKey(n.Nonce)
		if pending.nonces[k] || seen.nonces[k] {
			return fmt.Errorf("%w: %s repeats native nonce %v", ErrInvalidTx, h, n.Nonce)
		}
		if used, err := e.ledger.NativeNonceUsed(n.Nonce); err != nil {
			return fmt.Errorf("checking native nonce of %s: %w", h, err)
		} else if used {
			return fmt.Errorf("%w: %s repeats committed native nonce %v", ErrInvalidTx, h, n.Nonce)
		}
		seen.nonces[k] = true
	}
	seen.hashes[h] = true
	return nil
}

// verify answers a VerifyRequest: nil if every transaction passes.
// The proposal must also keep the chain's block rules at its height
// (tx_count_limit, tx_gas_limit); a node that cannot read them (its
// binary does not support the chain's compatibility version) refuses.
func (e *Engine) verify(req pbft.VerifyRequest) error {
	pending := e.pendingOf(req.Pending)
	seen := pendingSet{hashes: make(map[common.Hash]bool), nonces: make(map[string]bool)}
	txs := make([]*types.Transaction, len(req.Proposal.Txs))
	for i, raw := range req.Proposal.Txs {
		tx, err := types.DecodeTx(e.suite, raw)
		if err != nil {
			return fmt.Errorf("%w: tx %d does not decode: %v", ErrInvalidTx, i, err)
		}
		txs[i] = tx
	}
	sigErrs := e.verifySigs(txs) // in parallel; known txs are not checked again
	for i, tx := range txs {
		if err := sigErrs[i]; err != nil {
			return fmt.Errorf("tx %d: %w: %s: %v", i, ErrInvalidTx, tx.Hash(), err)
		}
		if err := e.checkTx(tx, req.Height, pending, seen, false); err != nil {
			return fmt.Errorf("tx %d: %w", i, err)
		}
		txs[i] = tx
	}
	return e.checkRules(req.Height, txs)
}

// candidates picks, for a proposal at height, up to max pool txs that pass
// the same checks as verify.
// At most tx_count_limit of them, none over tx_gas_limit; none at all
// when the rules of the height cannot be read.
func (e *Engine) candidates(req pbft.ProposalRequest) [][]byte {
	rules, err := e.rulesAt(req.Height)
	if err != nil {
		e.log.Debug("not proposing", "height", req.Height, "err", err)
		return nil
	}
	limit := req.MaxTxs
	if rules.MaxTxs > 0 {
		limit = min(limit, rules.MaxTxs)
	}
	pending := e.pendingOf(req.Pending)
	seen := pendingSet{hashes: make(map[common.Hash]bool), nonces: make(map[string]bool)}
	var out [][]byte
	for _, tx := range e.pool.Pending(limit + len(pending.hashes)) {
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
		out = append(out, tx.Bytes())
	}
	return out
}
