package solo

import (
	"fmt"
	"time"
)

// Config tunes block production.
type Config struct {
	// MaxTxsPerBlock is the most transactions a block holds.
	MaxTxsPerBlock int
	// MinSealInterval is the least time between two blocks unless the pool
	// holds a full block (0: seal as soon as transactions are pending).
	MinSealInterval time.Duration
	// BlockGasLimit is the block's gas limit: the header's GasLimit, and a
	// bound on the gas the sealed txs declare together (a tx declaring more
	// than the limit is sealed alone).
	BlockGasLimit uint64
	// Serial commits each block before executing the next. Unset, an
	// Executor implementing consensus.PendingExecutor executes the next
	// block on top of the one being committed (the commits stay in
	// order, and a block is announced only once committed).
	Serial bool
}

// DefaultConfig suits a production single-sealer group.
func DefaultConfig() Config {
	return Config{MaxTxsPerBlock: 1000, MinSealInterval: 500 * time.Millisecond, BlockGasLimit: 3_000_000_000}
}

// DevConfig seals as fast as transactions arrive.
func DevConfig() Config {
	c := DefaultConfig()
	c.MinSealInterval = 0
	return c
}

// Validate reports the first field out of range.
func (c Config) Validate() error {
	switch {
	case c.MaxTxsPerBlock <= 0:
		return fmt.Errorf("%w: MaxTxsPerBlock is %d, must be positive", ErrInvalidConfig, c.MaxTxsPerBlock)
	case c.MinSealInterval < 0:
		return fmt.Errorf("%w: MinSealInterval is %v, must not be negative", ErrInvalidConfig, c.MinSealInterval)
	case c.BlockGasLimit == 0:
		return fmt.Errorf("%w: BlockGasLimit is 0, must be positive", ErrInvalidConfig)
	}
	return nil
}
