package consensus

import (
	"fmt"
	"time"
)

// DriverConfig is what the PBFT and Raft drivers share of their
// configuration (each embeds it in its own Config).
type DriverConfig struct {
	// ChainID and GroupID are what transactions must be signed for.
	ChainID uint64
	GroupID string
	// TickInterval is the length of one core tick (100 ms in production).
	TickInterval time.Duration
	// InboxSize bounds the inbound messages waiting for the driver; more
	// are dropped and counted (the driver's Stats.InboxDropped).
	InboxSize int
	// BlockGasLimit is the header's GasLimit.
	BlockGasLimit uint64
	// BlockLimitWindow is the txpool's window for native transactions'
	// block limits; the transactions of blocks are checked with the same
	// rule.
	BlockLimitWindow uint64
}

// DefaultDriverConfig returns a 100 ms tick and production bounds;
// ChainID, GroupID and BlockGasLimit must still be set.
func DefaultDriverConfig() DriverConfig {
	return DriverConfig{TickInterval: 100 * time.Millisecond, InboxSize: 4096, BlockLimitWindow: 1000}
}

// Validate reports the first field out of range, wrapping invalid (the
// driver's ErrInvalidConfig).
func (c DriverConfig) Validate(invalid error) error {
	switch {
	case c.TickInterval <= 0:
		return fmt.Errorf("%w: TickInterval is %v, must be positive", invalid, c.TickInterval)
	case c.InboxSize <= 0:
		return fmt.Errorf("%w: InboxSize is %d, must be positive", invalid, c.InboxSize)
	case c.BlockGasLimit == 0:
		return fmt.Errorf("%w: BlockGasLimit is 0, must be positive", invalid)
	case c.BlockLimitWindow == 0:
		return fmt.Errorf("%w: BlockLimitWindow is 0, must be positive", invalid)
	case c.GroupID == "":
		return fmt.Errorf("%w: GroupID is empty", invalid)
	}
	return nil
}
