package engine

import (
	"github.com/gobcos/gobcos/consensus"
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

// applyTiming sets the core's local timers to the consensus timeout and
// minimum seal interval in force at height (the next to order). The
// values are kept in the core's configuration too, for rebuilds.
func (e *Engine) applyTiming(height uint64) {
	if e.rules == nil {
		return
	}
	r, err := e.rules.RulesAt(height)
	if err != nil {
		return // this node cannot take part at height; verify and propose say why
	}
	tick := e.cfg.TickInterval
	timeout := e.ccfg.TimeoutTicks
	if r.ConsensusTimeout > 0 {
		timeout = max(2, uint64(r.ConsensusTimeout/tick))
	}
	timeout = max(2, timeout) // as Core.SetTiming
	if e.ccfg.TimeoutTicks == timeout && e.minSeal == r.MinSealInterval {
		return
	}
	// The configuration keeps the timeout for the cores built later (a new
	// epoch, a rebuild after sync); a running core takes it at once. The
	// minimum seal interval is the driver's (seal.go): the core's stays 0.
	e.ccfg.TimeoutTicks, e.minSeal = timeout, r.MinSealInterval
	e.ccfg.HeartbeatTicks = max(1, min(e.ccfg.HeartbeatTicks, e.ccfg.TimeoutTicks/3))
	if e.core != nil {
		e.core.SetTiming(timeout, 0)
	}
	e.log.Info("consensus timing follows the chain's config", "height", height, "timeoutTicks", timeout, "minSealInterval", r.MinSealInterval)
}

// checkRules applies the block rules of height to a proposal's txs.
func (e *Engine) checkRules(height uint64, txs []*types.Transaction) error {
	r, err := e.rulesAt(height)
	if err != nil {
		return err
	}
	return r.CheckBlock(height, txs)
}
