package engine

import (
	"fmt"

	"github.com/gobcos/gobcos/consensus"
)

// Config tunes the driver. The core's own parameters are in Params.Core.
type Config struct {
	consensus.DriverConfig
	// ProposeEveryTicks is how often, at most, the driver asks the pool for
	// transactions while the core wants a proposal and no notification came.
	ProposeEveryTicks uint64
}

// DefaultConfig returns a 100 ms tick and production bounds; ChainID,
// GroupID and BlockGasLimit must still be set.
func DefaultConfig() Config {
	return Config{DriverConfig: consensus.DefaultDriverConfig(), ProposeEveryTicks: 5}
}

// Validate reports the first field out of range.
func (c Config) Validate() error {
	if err := c.DriverConfig.Validate(ErrInvalidConfig); err != nil {
		return err
	}
	if c.ProposeEveryTicks == 0 {
		return fmt.Errorf("%w: ProposeEveryTicks is 0, must be positive", ErrInvalidConfig)
	}
	return nil
}
