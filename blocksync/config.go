package blocksync

import (
	"fmt"
	"time"
)

// Config tunes the syncer. Durations are rounded up to whole ticks of
// TickInterval; every timer of the syncer is a count of ticks.
type Config struct {
	// TickInterval is the period of the syncer's clock.
	TickInterval time.Duration
	// StatusInterval is how often the node announces its head to every
	// peer (it also announces on the tick after a commit).
	StatusInterval time.Duration
	// RequestTimeout is how long a block request may stay unanswered
	// before its range is asked of another peer.
	RequestTimeout time.Duration
	// TimeoutBackoff is how long a peer that let a request time out (or
	// whose send queue refused one) gets no new requests.
	TimeoutBackoff time.Duration
	// PenaltyDuration is how long a peer that served an invalid block or a
	// malformed response is ignored.
	PenaltyDuration time.Duration
	// RetryInterval is the wait before retrying a block whose local
	// execution or commit failed.
	RetryInterval time.Duration
	// CatchUpDelay and CatchUpGap keep the syncer out of the consensus
	// engine's way: while no peer is CatchUpGap or more blocks ahead,
	// blocks are requested only once no head committed by someone else
	// (the consensus engine) has been seen for CatchUpDelay (or for twice
	// the interval between the engine's last two commits, if longer, at
	// most 4 x CatchUpDelay). A sealer
	// hears of a block from a peer that committed it a moment earlier,
	// and commits it itself shortly after; fetching it as well costs the
	// server a read and an encoding of the block and this node its
	// decoding and checks, for nothing. A node that does not take part in
	// consensus (an observer, a stalled sealer) sees no such commit and
	// fetches as soon as CatchUpDelay has passed. A sealer a few heights
	// behind also catches up within consensus (PBFT sends it decided
	// proofs for up to four heights; a Raft leader resends its log), and a
	// block the syncer commits under a running engine makes the PBFT
	// engine rebuild its core. 0 requests at once.
	CatchUpDelay time.Duration
	CatchUpGap   int

	// MaxBlocksPerRequest bounds the blocks asked in one request, and the
	// blocks served for one request. At most MaxRequestBlocks.
	MaxBlocksPerRequest int
	// MaxInflightPerPeer bounds the unanswered requests to one peer.
	MaxInflightPerPeer int
	// MaxBufferedBlocks bounds how far beyond the head blocks are fetched:
	// blocks received out of order wait in a buffer of at most this many.
	MaxBufferedBlocks int
	// MaxBufferedBytes bounds the encoded size of the buffered blocks; over
	// it, only the block right after the head is still fetched.
	MaxBufferedBytes int
	// MaxResponseBytes is the target encoded size of the blocks in one
	// response: a response holds as many blocks as fit, and at least one.
	MaxResponseBytes int
	// MaxMessageSize bounds any sync message, inbound and outbound. It must
	// fit in the network's frame limit. A block too large for it cannot be
	// synced.
	MaxMessageSize int
	// MaxInboxBytes bounds the size of received messages waiting for the
	// syncer's loop; messages over it are dropped (and counted).
	MaxInboxBytes int
	// MaxServeQueue bounds the block requests from peers waiting to be
	// served; MaxServePerPeer bounds those from one peer. Requests over
	// either bound are dropped (and counted).
	MaxServeQueue   int
	MaxServePerPeer int
	// MaxPeers bounds the peer table.
	MaxPeers int
}

// DefaultConfig suits production nodes.
func DefaultConfig() Config {
	return Config{
		TickInterval:        100 * time.Millisecond,
		StatusInterval:      2 * time.Second,
		RequestTimeout:      10 * time.Second,
		TimeoutBackoff:      10 * time.Second,
		PenaltyDuration:     5 * time.Minute,
		RetryInterval:       2 * time.Second,
		CatchUpDelay:        500 * time.Millisecond,
		CatchUpGap:          3,
		MaxBlocksPerRequest: 32,
		MaxInflightPerPeer:  2,
		MaxBufferedBlocks:   512,
		MaxBufferedBytes:    256 << 20,
		MaxResponseBytes:    4 << 20,
		MaxMessageSize:      DefaultMaxMessageSize,
		MaxInboxBytes:       64 << 20,
		MaxServeQueue:       64,
		MaxServePerPeer:     4,
		MaxPeers:            1024,
	}
}

// DefaultMaxMessageSize is the default bound on a sync message: the
// network's default frame limit (16 MiB) less room for the frame header.
const DefaultMaxMessageSize = 16<<20 - 1024

// minMessageSize is the least MaxMessageSize accepted: a status message
// and a small block must fit.
const minMessageSize = 4 << 10

// Validate reports the first field out of range.
func (c Config) Validate() error {
	durations := []struct {
		name string
		d    time.Duration
	}{
		{"TickInterval", c.TickInterval}, {"StatusInterval", c.StatusInterval},
		{"RequestTimeout", c.RequestTimeout}, {"TimeoutBackoff", c.TimeoutBackoff},
		{"PenaltyDuration", c.PenaltyDuration}, {"RetryInterval", c.RetryInterval},
	}
	for _, d := range durations {
		if d.d <= 0 {
			return fmt.Errorf("%w: %s is %v, must be positive", ErrInvalidConfig, d.name, d.d)
		}
	}
	ints := []struct {
		name string
		v    int
	}{
		{"MaxBlocksPerRequest", c.MaxBlocksPerRequest}, {"MaxInflightPerPeer", c.MaxInflightPerPeer},
		{"MaxBufferedBlocks", c.MaxBufferedBlocks}, {"MaxBufferedBytes", c.MaxBufferedBytes},
		{"MaxResponseBytes", c.MaxResponseBytes}, {"MaxMessageSize", c.MaxMessageSize},
		{"MaxInboxBytes", c.MaxInboxBytes}, {"MaxServeQueue", c.MaxServeQueue},
		{"MaxServePerPeer", c.MaxServePerPeer}, {"MaxPeers", c.MaxPeers},
	}
	for _, f := range ints {
		if f.v <= 0 {
			return fmt.Errorf("%w: %s is %d, must be positive", ErrInvalidConfig, f.name, f.v)
		}
	}
	switch {
	case c.CatchUpDelay < 0:
		return fmt.Errorf("%w: CatchUpDelay is %v, must not be negative", ErrInvalidConfig, c.CatchUpDelay)
	case c.CatchUpDelay > 0 && c.CatchUpGap < 1:
		return fmt.Errorf("%w: CatchUpGap is %d, must be positive with a CatchUpDelay", ErrInvalidConfig, c.CatchUpGap)
	case c.MaxBlocksPerRequest > MaxRequestBlocks:
		return fmt.Errorf("%w: MaxBlocksPerRequest is %d, at most %d", ErrInvalidConfig, c.MaxBlocksPerRequest, MaxRequestBlocks)
	case c.MaxBufferedBlocks < c.MaxBlocksPerRequest:
		return fmt.Errorf("%w: MaxBufferedBlocks (%d) is below MaxBlocksPerRequest (%d)", ErrInvalidConfig, c.MaxBufferedBlocks, c.MaxBlocksPerRequest)
	case c.MaxMessageSize < minMessageSize:
		return fmt.Errorf("%w: MaxMessageSize is %d, at least %d", ErrInvalidConfig, c.MaxMessageSize, minMessageSize)
	case c.MaxResponseBytes > c.MaxMessageSize:
		return fmt.Errorf("%w: MaxResponseBytes (%d) exceeds MaxMessageSize (%d)", ErrInvalidConfig, c.MaxResponseBytes, c.MaxMessageSize)
	case c.MaxInboxBytes < c.MaxMessageSize:
		return fmt.Errorf("%w: MaxInboxBytes (%d) is below MaxMessageSize (%d)", ErrInvalidConfig, c.MaxInboxBytes, c.MaxMessageSize)
	case c.MaxServePerPeer > c.MaxServeQueue:
		return fmt.Errorf("%w: MaxServePerPeer (%d) exceeds MaxServeQueue (%d)", ErrInvalidConfig, c.MaxServePerPeer, c.MaxServeQueue)
	}
	return nil
}

// ticks converts a duration to a whole number of ticks, at least one.
func (c Config) ticks(d time.Duration) int64 {
	n := int64((d + c.TickInterval - 1) / c.TickInterval)
	return max(n, 1)
}
