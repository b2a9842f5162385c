package txpool

import (
	"fmt"
	"runtime"

	"github.com/gobcos/gobcos/types"
)

// Config bounds the pool and sets the chain's admission parameters.
type Config struct {
	// MaxTxs is the most transactions the pool holds.
	MaxTxs int
	// MaxBytes is the most encoded bytes the pool holds.
	MaxBytes int
	// MaxPerSender is the most transactions one sender may have in the pool,
	// executable and queued together.
	MaxPerSender int
	// MaxNonceGap is how far ahead of its sender's next committed nonce an
	// Ethereum tx may be: nonce - committedNonce <= MaxNonceGap.
	MaxNonceGap uint64
	// BlockLimitWindow is how far ahead of the chain height a native tx's
	// block limit may be: height < BlockLimit <= height + BlockLimitWindow.
	BlockLimitWindow uint64
	// Workers is the number of goroutines verifying signatures, across all
	// concurrent Add calls, when the pool makes its own Verifier. 0 means
	// runtime.NumCPU().
	Workers int
	// Verifier checks signatures and remembers senders; nil makes one for
	// the pool alone. A node passes the one its engine and executor use.
	Verifier SigVerifier
	// TxGasLimit is the most gas one transaction may ask for (the chain's
	// per-transaction gas limit).
	TxGasLimit uint64
	// MaxTxSize is the largest encoded transaction accepted, in bytes.
	MaxTxSize int
}

// DefaultConfig is a configuration suited to a production node.
func DefaultConfig() Config {
	return Config{
		MaxTxs:           100_000,
		MaxBytes:         256 << 20,
		MaxPerSender:     4096,
		MaxNonceGap:      64,
		BlockLimitWindow: 1000,
		Workers:          0,
		TxGasLimit:       300_000_000,
		MaxTxSize:        types.MaxTxSize,
	}
}

// Validate reports the first field out of range.
func (c Config) Validate() error {
	switch {
	case c.MaxTxs <= 0:
		return fmt.Errorf("%w: MaxTxs is %d, must be positive", ErrInvalidConfig, c.MaxTxs)
	case c.MaxBytes <= 0:
		return fmt.Errorf("%w: MaxBytes is %d, must be positive", ErrInvalidConfig, c.MaxBytes)
	case c.MaxPerSender <= 0:
		return fmt.Errorf("%w: MaxPerSender is %d, must be positive", ErrInvalidConfig, c.MaxPerSender)
	case c.BlockLimitWindow == 0:
		return fmt.Errorf("%w: BlockLimitWindow is 0, must be positive", ErrInvalidConfig)
	case c.Workers < 0:
		return fmt.Errorf("%w: Workers is %d, must be 0 (one per CPU) or positive", ErrInvalidConfig, c.Workers)
	case c.TxGasLimit == 0:
		return fmt.Errorf("%w: TxGasLimit is 0, must be positive", ErrInvalidConfig)
	case c.MaxTxSize <= 0:
		return fmt.Errorf("%w: MaxTxSize is %d, must be positive", ErrInvalidConfig, c.MaxTxSize)
	}
	return nil
}

func (c Config) workers() int {
	if c.Workers == 0 {
		return runtime.NumCPU()
	}
	return c.Workers
}
