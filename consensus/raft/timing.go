package raft

// SetMinSealTicks changes the least number of ticks between two blocks
// this node seals as leader: local timing, which the driver sets from the
// chain's min_seal_interval_ms when a block makes a new value take effect.
func (c *Core) SetMinSealTicks(ticks uint64) { c.cfg.MinSealTicks = ticks }

// SetSyncTicks changes how often a node waiting for blocks below a
// snapshot asks for them again (at least every tick). The driver keeps
// this interval's length when it changes the length of a tick.
func (c *Core) SetSyncTicks(ticks uint64) { c.cfg.SyncTicks = max(1, ticks) }
