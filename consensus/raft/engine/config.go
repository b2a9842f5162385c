package engine

import (
	"fmt"
	"time"
)

// Config tunes the driver. The core's own parameters are in Params.Core.
type Config struct {
	// ChainID and GroupID are what transactions must be signed for.
	ChainID uint64
	GroupID string
	// TickInterval is the length of one core tick (100 ms in production).
	TickInterval time.Duration
	// InboxSize bounds the inbound messages waiting for the driver; more
	// are dropped and counted (raft retransmits).
	InboxSize int
	// BlockGasLimit is the header's GasLimit.
	BlockGasLimit uint64
	// BlockLimitWindow is the txpool's window for native transactions'
	// block limits; blocks are checked with the same rule.
	BlockLimitWindow uint64
}

// DefaultConfig returns a 100 ms tick and production bounds; ChainID,
// GroupID and BlockGasLimit must still be set.
func DefaultConfig() Config {
	return Config{TickInterval: 100 * time.Millisecond, InboxSize: 4096, BlockLimitWindow: 1000}
}

// Validate reports the first field out of range.
func (c Config) Validate() error {
	switch {
	case c.TickInterval <= 0:
		return fmt.Errorf("%w: TickInterval is %v, must be positive", ErrInvalidConfig, c.TickInterval)
	case c.InboxSize <= 0:
		return fmt.Errorf("%w: InboxSize is %d, must be positive", ErrInvalidConfig, c.InboxSize)
	case c.BlockGasLimit == 0:
		return fmt.Errorf("%w: BlockGasLimit is 0, must be positive", ErrInvalidConfig)
	case c.BlockLimitWindow == 0:
		return fmt.Errorf("%w: BlockLimitWindow is 0, must be positive", ErrInvalidConfig)
	case c.GroupID == "":
		return fmt.Errorf("%w: GroupID is empty", ErrInvalidConfig)
	}
	return nil
}
