package raft

// SetMinSealTicks changes the least number of ticks between two blocks
// this node seals as leader: local timing, which the driver sets from the
// chain's min_seal_interval_ms when a block makes a new value take effect.
func (c *Core) SetMinSealTicks(ticks uint64) { c.cfg.MinSealTicks = ticks }
