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

// SetWindow changes the pipelining bound (Config.Window, clamped to
// 1..64): a sealer votes at height h only while h - finalized <= window.
// It is this sealer's own voting restriction, not a protocol rule, so
// sealers may apply a change at different moments; the driver narrows it
// to 1 where the next height may not be worked on before its parent is
// committed. Messages for heights beyond the new bound that are already
// buffered stay buffered. Like SetTiming it takes effect at the next
// input (Tick, Step, Advance...).
func (c *Core) SetWindow(window uint64) {
	c.cfg.Window = min(max(1, window), maxWindow)
}

// Window returns the pipelining bound in force.
func (c *Core) Window() uint64 { return c.cfg.Window }
