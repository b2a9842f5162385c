package engine

import (
	"fmt"
	"time"

	"github.com/gobcos/gobcos/consensus"
)

// Config tunes the driver. The core's own parameters are in Params.Core.
type Config struct {
	consensus.DriverConfig
	// ProposeEveryTicks is how often, at most, the driver asks the pool for
	// transactions while the core wants a proposal and no notification came.
	ProposeEveryTicks uint64
	// MinSealInterval is the least time between the start of a round (the
	// height before decided, or a view change) and this node's proposal
	// as its leader, until the chain's rules (Params.Rules) say otherwise;
	// it does not hold back a full block (seal.go).
	// A Core.MinSealTicks above it counts instead, in TickInterval units.
	MinSealInterval time.Duration
	// FetchTimeout is how long a replica waits for a peer's answer to a
	// tx fetch request before it asks the next sealer.
	FetchTimeout time.Duration
	// FetchCacheSize bounds the tx bodies kept by hash for resolving and
	// serving proposals with tx hashes (proposed, resolved, fetched).
	FetchCacheSize int
	// FetchRequestsPerSecond is the rate of fetch requests a peer may make
	// (burst: two seconds' worth); more are dropped and counted.
	FetchRequestsPerSecond int
	// FetchBytesPerSecond is the rate of tx body bytes this node sends one
	// peer in answers (burst: two seconds' worth); an answer is cut short
	// when the peer's budget runs out.
	FetchBytesPerSecond int
}

// DefaultConfig returns a 100 ms tick and production bounds; ChainID,
// GroupID and BlockGasLimit must still be set.
func DefaultConfig() Config {
	return Config{DriverConfig: consensus.DefaultDriverConfig(), ProposeEveryTicks: 5,
		FetchTimeout: time.Second, FetchCacheSize: 50_000, FetchRequestsPerSecond: 50,
		FetchBytesPerSecond: 16 << 20}
}

// Validate reports the first field out of range.
func (c Config) Validate() error {
	if err := c.DriverConfig.Validate(ErrInvalidConfig); err != nil {
		return err
	}
	switch {
	case c.ProposeEveryTicks == 0:
		return fmt.Errorf("%w: ProposeEveryTicks is 0, must be positive", ErrInvalidConfig)
	case c.MinSealInterval < 0:
		return fmt.Errorf("%w: MinSealInterval is %v, must not be negative", ErrInvalidConfig, c.MinSealInterval)
	case c.FetchTimeout <= 0:
		return fmt.Errorf("%w: FetchTimeout is %v, must be positive", ErrInvalidConfig, c.FetchTimeout)
	case c.FetchCacheSize <= 0:
		return fmt.Errorf("%w: FetchCacheSize is %d, must be positive", ErrInvalidConfig, c.FetchCacheSize)
	case c.FetchRequestsPerSecond <= 0:
		return fmt.Errorf("%w: FetchRequestsPerSecond is %d, must be positive", ErrInvalidConfig, c.FetchRequestsPerSecond)
	case c.FetchBytesPerSecond <= 0:
		return fmt.Errorf("%w: FetchBytesPerSecond is %d, must be positive", ErrInvalidConfig, c.FetchBytesPerSecond)
	}
	return nil
}
