package pbft

import (
	"fmt"
	"log/slog"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// Config is what a Core needs: the group's sealers, this node's key and
// the protocol parameters. Durations are counted in ticks; the driver
// chooses the tick length (100 ms in DefaultConfig's comments).
type Config struct {
	Suite crypto.Suite
	Key   crypto.PrivateKey // this sealer's consensus key
	// Sealers are the uncompressed public keys of the group's sealers; a
	// sealer's index in this list is its id in messages and certificates.
	Sealers [][]byte
	// Weights are the sealers' vote weights, by index: a vote counts by
	// its sender's weight (consensus.QuorumWeight). Nil means every
	// sealer weighs 1; otherwise one weight per sealer, each in
	// 1..consensus.MaxSealerWeight.
	Weights []uint64
	// Domain separates the signatures of different chains and groups (for
	// example the chain id and group id); every sealer must use the same.
	Domain []byte
	// Incarnation distinguishes this run of the node from earlier ones (for
	// example the start time in nanoseconds); it goes into heartbeats so
	// that they are never mistaken for replays after a restart.
	Incarnation uint64

	// LeaderPeriod is the number of consecutive heights a leader proposes:
	// leader(height, view) = (view + height/LeaderPeriod) mod n.
	LeaderPeriod uint64
	// Window is the pipelining bound: how many heights may be decided
	// (ordered) but not yet finalized (executed and certified). 1 means no
	// pipelining: height h+1 is voted on only after h is finalized.
	Window uint64
	// MaxBlockTxs bounds the transactions of a proposal.
	MaxBlockTxs int
	// MaxProposalBytes bounds the encoded size of a proposal.
	MaxProposalBytes int
	// MaxMessageSize bounds an inbound message; larger ones are dropped
	// before decoding.
	MaxMessageSize int

	// MinSealTicks is the least number of ticks between deciding a height
	// and proposing the next (0: propose as soon as transactions wait).
	MinSealTicks uint64
	// TimeoutTicks is the base view-change timeout. Each consecutive
	// timeout at one height doubles it, up to 2^MaxTimeoutShift times.
	TimeoutTicks    uint64
	MaxTimeoutShift uint
	// HeartbeatTicks is how often an idle leader sends a heartbeat.
	HeartbeatTicks uint64
	// ResendTicks is how often the messages of the current round are sent
	// again, so that a lost message does not stall a height.
	ResendTicks uint64
	// SyncTicks is how long the core waits without finality progress,
	// while f+1 sealers report higher finalized heights, before it asks
	// the driver to sync blocks (and the least interval between such asks).
	SyncTicks uint64
	// RetainBlocks is how many finalized blocks the core keeps in memory
	// to help lagging sealers catch up without a block sync.
	RetainBlocks int

	// Logger receives the core's logs; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns production parameters for a 100 ms tick. Suite,
// Key, Sealers and Domain must still be filled in.
func DefaultConfig() Config {
	return Config{
		LeaderPeriod:     1,
		Window:           2,
		MaxBlockTxs:      1000,
		MaxProposalBytes: types.MaxBlockSize / 2,
		MaxMessageSize:   types.MaxBlockSize + 1<<20,
		MinSealTicks:     0,
		TimeoutTicks:     30, // 3 s
		MaxTimeoutShift:  4,  // up to 48 s
		HeartbeatTicks:   10, // 1 s
		ResendTicks:      20, // 2 s
		SyncTicks:        50, // 5 s
		RetainBlocks:     16,
	}
}

// Validate reports the first field out of range and finds this node's
// index in the sealer list.
func (c *Config) Validate() (self int, err error) {
	switch {
	case c.Suite == nil:
		return 0, fmt.Errorf("%w: no crypto suite", ErrInvalidConfig)
	case c.Key == nil:
		return 0, fmt.Errorf("%w: no consensus key", ErrInvalidConfig)
	case c.Key.SuiteName() != c.Suite.Name():
		return 0, fmt.Errorf("%w: key is %s, chain is %s", ErrInvalidConfig, c.Key.SuiteName(), c.Suite.Name())
	case len(c.Sealers) == 0:
		return 0, fmt.Errorf("%w: empty sealer list", ErrInvalidConfig)
	case len(c.Sealers) > maxSealers:
		return 0, fmt.Errorf("%w: %d sealers, at most %d", ErrInvalidConfig, len(c.Sealers), maxSealers)
	case c.LeaderPeriod == 0:
		return 0, fmt.Errorf("%w: LeaderPeriod is 0, must be at least 1", ErrInvalidConfig)
	case c.Window == 0 || c.Window > maxWindow:
		return 0, fmt.Errorf("%w: Window is %d, must be in 1..%d", ErrInvalidConfig, c.Window, maxWindow)
	case c.MaxBlockTxs <= 0:
		return 0, fmt.Errorf("%w: MaxBlockTxs is %d, must be positive", ErrInvalidConfig, c.MaxBlockTxs)
	case c.MaxProposalBytes <= 0:
		return 0, fmt.Errorf("%w: MaxProposalBytes is %d, must be positive", ErrInvalidConfig, c.MaxProposalBytes)
	case c.MaxMessageSize < c.MaxProposalBytes+1024:
		return 0, fmt.Errorf("%w: MaxMessageSize %d must exceed MaxProposalBytes %d by at least 1 KiB",
			ErrInvalidConfig, c.MaxMessageSize, c.MaxProposalBytes)
	case c.TimeoutTicks < 2:
		return 0, fmt.Errorf("%w: TimeoutTicks is %d, must be at least 2", ErrInvalidConfig, c.TimeoutTicks)
	case c.MaxTimeoutShift > 16:
		return 0, fmt.Errorf("%w: MaxTimeoutShift is %d, at most 16", ErrInvalidConfig, c.MaxTimeoutShift)
	case c.HeartbeatTicks == 0 || c.HeartbeatTicks >= c.TimeoutTicks:
		return 0, fmt.Errorf("%w: HeartbeatTicks is %d, must be in 1..TimeoutTicks-1 (%d)",
			ErrInvalidConfig, c.HeartbeatTicks, c.TimeoutTicks-1)
	case c.ResendTicks == 0:
		return 0, fmt.Errorf("%w: ResendTicks is 0, must be positive", ErrInvalidConfig)
	case c.SyncTicks == 0:
		return 0, fmt.Errorf("%w: SyncTicks is 0, must be positive", ErrInvalidConfig)
	case c.RetainBlocks < 0:
		return 0, fmt.Errorf("%w: RetainBlocks is %d, must not be negative", ErrInvalidConfig, c.RetainBlocks)
	}
	if _, err := consensus.TotalWeight(len(c.Sealers), c.Weights); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	self = -1
	pub := c.Key.PublicKey()
	seen := make(map[string]int, len(c.Sealers))
	for i, s := range c.Sealers {
		if err := c.Suite.ValidatePublicKey(s); err != nil {
			return 0, fmt.Errorf("%w: sealer %d: %v", ErrInvalidConfig, i, err)
		}
		if j, dup := seen[string(s)]; dup {
			return 0, fmt.Errorf("%w: sealers %d and %d have the same key", ErrInvalidConfig, j, i)
		}
		seen[string(s)] = i
		if string(s) == string(pub) {
			self = i
		}
	}
	if self < 0 {
		return 0, ErrNotSealer
	}
	return self, nil
}

// Limits of the protocol independent of configuration.
const (
	maxSealers = 1024 // bounds decoded lists of signatures
	maxWindow  = 64
)

// MaxFaulty is f, the number of byzantine sealers n sealers of weight 1
// tolerate: floor((n-1)/3).
func MaxFaulty(n int) int { return int(consensus.MaxFaultyWeight(uint64(max(n, 0)))) }

// Quorum is the number of matching votes of n sealers of weight 1 that
// decide: the least q with 2q - n >= f + 1, so two quorums share an honest
// sealer. It is 2f+1 for n = 3f+1. With weights, votes are summed by
// weight and compared with consensus.QuorumWeight of the total weight.
func Quorum(n int) int { return int(consensus.QuorumWeight(uint64(max(n, 0)))) }
