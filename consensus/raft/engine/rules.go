package engine

import (
	"errors"
	"fmt"
	"time"

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

// minTick is the shortest tick the driver runs: a consensus timeout
// under ElectionTicks of it gets this tick (a longer timeout than asked).
const minTick = 5 * time.Millisecond

// applyTiming sets the local timing in force at height (the next block):
// the election timeout from consensus_timeout_ms and the minimum seal
// interval. Raft's election and heartbeat timeouts are counted in ticks
// fixed for the life of the core (Core.ElectionTicks, HeartbeatTicks), so
// the driver follows a new timeout by changing the length of its tick to
// timeout/ElectionTicks: elections then happen after timeout to
// 2*timeout without a heartbeat, and heartbeats every
// HeartbeatTicks/ElectionTicks of it. A zero timeout (no rules, or a
// source that does not give one) keeps Config.TickInterval. The sync
// retry, counted in ticks but not raft's, is converted to the new tick so
// it keeps its length; the seal interval is counted by the clock.
func (e *Engine) applyTiming(height uint64) {
	if e.rules == nil || e.core == nil {
		return
	}
	r, err := e.rules.RulesAt(height)
	if err != nil {
		return // sealing and applying at height say why
	}
	tick := e.tickFor(r.ConsensusTimeout)
	if tick != e.tickInterval() {
		e.tick.Store(int64(tick))
		base := time.Duration(e.baseSyncTicks) * e.cfg.TickInterval
		e.ccfg.SyncTicks = max(1, uint64(base/tick))
		e.core.SetSyncTicks(e.ccfg.SyncTicks)
		e.log.Info("election timeout follows the chain's config", "height", height,
			"electionTimeout", e.electionTimeout(), "heartbeat", tick*time.Duration(e.ccfg.HeartbeatTicks), "tick", tick)
	}
	if r.MinSealInterval != e.ccfg.MinSealInterval || e.ccfg.MinSealTicks != 0 {
		// By the clock, not in ticks (which rounded it down): the driver
		// wakes the core when it ends (run, SealWait).
		e.ccfg.MinSealInterval, e.ccfg.MinSealTicks = r.MinSealInterval, 0
		e.core.SetMinSealInterval(r.MinSealInterval)
		e.core.SetMinSealTicks(0)
		e.log.Info("minimum seal interval follows the chain's config", "height", height, "interval", r.MinSealInterval)
	}
}

// tickFor is the tick length making ElectionTicks last timeout.
func (e *Engine) tickFor(timeout time.Duration) time.Duration {
	if timeout <= 0 {
		return e.cfg.TickInterval
	}
	return max(minTick, timeout/time.Duration(e.ccfg.ElectionTicks))
}

// tickInterval is the length of the driver's tick now in effect.
func (e *Engine) tickInterval() time.Duration { return time.Duration(e.tick.Load()) }

// electionTimeout is the least time without a leader's heartbeat before
// this node calls an election (raft randomises it up to twice that).
func (e *Engine) electionTimeout() time.Duration {
	return e.tickInterval() * time.Duration(e.ccfg.ElectionTicks)
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
