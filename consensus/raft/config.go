package raft

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/gobcos/gobcos/crypto"
)

// Config parameterises a Core. Durations are counted in ticks of the
// driver's clock.
type Config struct {
	Suite crypto.Suite
	Key   crypto.PrivateKey
	// Sealers are the genesis voters (uncompressed public keys). Their
	// order is the start of the signer list that commit signatures index.
	Sealers [][]byte
	// ElectionTicks is the election timeout (randomised by raft within
	// [ElectionTicks, 2*ElectionTicks)); HeartbeatTicks the leader's
	// heartbeat interval. ElectionTicks must exceed HeartbeatTicks.
	ElectionTicks  int
	HeartbeatTicks int
	// MaxBlockTxs bounds the transactions of one block.
	MaxBlockTxs int
	// MinSealTicks is the least number of ticks between two blocks sealed
	// by one leader, unless its pool holds a full block (App.FullBlock).
	MinSealTicks uint64
	// MinSealInterval is the least time between two blocks sealed by one
	// leader, by Now (time.Now when nil); with MinSealTicks, both hold, and
	// neither holds back a full block. The driver wakes the core when it
	// ends (SealWait).
	MinSealInterval time.Duration
	Now             func() time.Time
	// SnapshotEntries: a snapshot is taken every SnapshotEntries applied
	// entries; the log is then compacted, keeping KeepEntries entries
	// before the snapshot for followers that are a little behind.
	SnapshotEntries uint64
	KeepEntries     uint64
	// SyncTicks is how often a node waiting for blocks below a snapshot
	// asks for them again.
	SyncTicks uint64
	// MaxMessageSize bounds inbound messages; MaxSizePerMsg bounds the
	// entries raft packs in one append message.
	MaxMessageSize int
	MaxSizePerMsg  uint64
	// MaxInflightMsgs bounds append messages in flight per follower.
	MaxInflightMsgs int
	Logger          *slog.Logger // nil discards
}

// DefaultConfig returns production values for a 100 ms tick; Suite, Key
// and Sealers must still be set.
func DefaultConfig() Config {
	return Config{
		ElectionTicks: 10, HeartbeatTicks: 1, MaxBlockTxs: 1000, MinSealTicks: 0,
		SnapshotEntries: 1000, KeepEntries: 200, SyncTicks: 20,
		MaxMessageSize: 32 << 20, MaxSizePerMsg: 4 << 20, MaxInflightMsgs: 64,
	}
}

// Validate reports the first field out of range.
func (c *Config) Validate() error {
	switch {
	case c.Suite == nil:
		return fmt.Errorf("%w: no crypto suite", ErrInvalidConfig)
	case c.Key == nil:
		return fmt.Errorf("%w: no key", ErrInvalidConfig)
	case c.Key.SuiteName() != c.Suite.Name():
		return fmt.Errorf("%w: key is %s, chain is %s", ErrInvalidConfig, c.Key.SuiteName(), c.Suite.Name())
	case len(c.Sealers) == 0:
		return fmt.Errorf("%w: no sealers", ErrInvalidConfig)
	case c.HeartbeatTicks < 1 || c.ElectionTicks <= c.HeartbeatTicks:
		return fmt.Errorf("%w: election %d and heartbeat %d ticks; need election > heartbeat >= 1", ErrInvalidConfig, c.ElectionTicks, c.HeartbeatTicks)
	case c.MaxBlockTxs < 1:
		return fmt.Errorf("%w: MaxBlockTxs is %d", ErrInvalidConfig, c.MaxBlockTxs)
	case c.MinSealInterval < 0:
		return fmt.Errorf("%w: MinSealInterval is %v", ErrInvalidConfig, c.MinSealInterval)
	case c.SnapshotEntries < 1:
		return fmt.Errorf("%w: SnapshotEntries is 0", ErrInvalidConfig)
	case c.SyncTicks < 1:
		return fmt.Errorf("%w: SyncTicks is 0", ErrInvalidConfig)
	case c.MaxMessageSize < 1024 || c.MaxSizePerMsg < 1 || c.MaxInflightMsgs < 1:
		return fmt.Errorf("%w: message bounds %d/%d/%d", ErrInvalidConfig, c.MaxMessageSize, c.MaxSizePerMsg, c.MaxInflightMsgs)
	}
	seen := make(map[uint64]bool, len(c.Sealers))
	for i, pub := range c.Sealers {
		id := NodeID(c.Suite, pub)
		if seen[id] {
			return fmt.Errorf("%w: sealer %d repeats a raft id", ErrInvalidConfig, i)
		}
		seen[id] = true
	}
	return nil
}
