package engine

import (
	"errors"
	"fmt"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/raft"
	"github.com/gobcos/gobcos/types"
)

// rulesAt returns the rules of height: Params.Rules's, or none (the zero
// Rules limit nothing beyond the core's configuration).
func (e *Engine) rulesAt(height uint64) (consensus.Rules, error) {
	if e.rules == nil {
		return consensus.Rules{}, nil
	}
	return e.rules.RulesAt(height)
}

// applyTiming sets the core's minimum seal interval to the one in force
// at height (the next block). Raft's election timeout stays the
// configured one: consensus_timeout_ms is PBFT's view-change timeout.
func (e *Engine) applyTiming(height uint64) {
	if e.rules == nil || e.core == nil {
		return
	}
	r, err := e.rules.RulesAt(height)
	if err != nil {
		return // sealing and applying at height say why
	}
	ticks := uint64(r.MinSealInterval / e.cfg.TickInterval)
	if ticks != e.ccfg.MinSealTicks {
		e.ccfg.MinSealTicks = ticks
		e.core.SetMinSealTicks(ticks)
		e.log.Info("minimum seal interval follows the chain's config", "height", height, "ticks", ticks)
	}
}

// checkRules applies the block rules of height to a block's txs. A block
// breaking them is rejected by every replica alike (raft.ErrRejected); a
// node that cannot read them (its binary does not support the chain's
// compatibility version) gets a plain error and stops applying.
func (e *Engine) checkRules(height uint64, txs []*types.Transaction) error {
	r, err := e.rulesAt(height)
	if err != nil {
		return err
	}
	if err := r.CheckBlock(height, txs); err != nil {
		if errors.Is(err, consensus.ErrTooManyTxs) || errors.Is(err, consensus.ErrTxGasLimit) {
			return fmt.Errorf("%w: %w", raft.ErrRejected, err)
		}
		return err
	}
	return nil
}
