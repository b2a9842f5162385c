package raft

import "time"

// SetMinSealTicks changes the least number of ticks between two blocks
// this node seals as leader: local timing, which the driver sets from the
// chain's min_seal_interval_ms when a block makes a new value take effect.
func (c *Core) SetMinSealTicks(ticks uint64) { c.cfg.MinSealTicks = ticks }

// SetSyncTicks changes how often a node waiting for blocks below a
// snapshot asks for them again (at least every tick). The driver keeps
// this interval's length when it changes the length of a tick.
func (c *Core) SetSyncTicks(ticks uint64) { c.cfg.SyncTicks = max(1, ticks) }

// SetMinSealInterval changes the least time between two blocks this node
// seals as leader, counted by the clock (Config.MinSealInterval).
func (c *Core) SetMinSealInterval(d time.Duration) { c.cfg.MinSealInterval = max(0, d) }

// SealWait is how long the minimum seal interval still holds back a block
// this node wants to seal (0: none waits on it). The driver calls
// TrySeal and Process when it has passed.
func (c *Core) SealWait() time.Duration {
	if !c.sealWanted {
		return 0
	}
	return c.sealIntervalLeft()
}

// sealIntervalLeft is what is left of MinSealInterval since the last
// block this node sealed.
func (c *Core) sealIntervalLeft() time.Duration {
	if c.cfg.MinSealInterval <= 0 || c.lastSealAt.IsZero() {
		return 0
	}
	return max(0, c.cfg.MinSealInterval-c.now().Sub(c.lastSealAt))
}

func (c *Core) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}
