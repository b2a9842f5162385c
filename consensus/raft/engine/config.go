package engine

import "github.com/gobcos/gobcos/consensus"

// Config tunes the driver (the fields the PBFT driver has too). The
// core's own parameters are in Params.Core.
type Config struct {
	consensus.DriverConfig
}

// DefaultConfig returns a 100 ms tick and production bounds; ChainID,
// GroupID and BlockGasLimit must still be set.
func DefaultConfig() Config {
	return Config{DriverConfig: consensus.DefaultDriverConfig()}
}

// Validate reports the first field out of range.
func (c Config) Validate() error { return c.DriverConfig.Validate(ErrInvalidConfig) }
