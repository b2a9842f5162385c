package pbft

// SetTiming changes the core's local timers: the base view-change
// timeout and the least number of ticks between deciding a height and
// proposing the next. They are this sealer's own timing, not a protocol
// rule, so sealers may apply a change at slightly different moments (the
// driver applies the chain's consensus_timeout_ms and
// min_seal_interval_ms when a block makes new values take effect). The
// timeout is at least 2 ticks; the heartbeat interval is shortened to a
// third of it if needed.
func (c *Core) SetTiming(timeoutTicks, minSealTicks uint64) {
	c.cfg.TimeoutTicks = max(2, timeoutTicks)
	c.cfg.HeartbeatTicks = max(1, min(c.cfg.HeartbeatTicks, c.cfg.TimeoutTicks/3))
	c.cfg.MinSealTicks = minSealTicks
}

// Timing returns the base view-change timeout and the minimum seal
// interval in force, in ticks.
func (c *Core) Timing() (timeoutTicks, minSealTicks uint64) {
	return c.cfg.TimeoutTicks, c.cfg.MinSealTicks
}
