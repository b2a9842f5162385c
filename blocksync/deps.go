package blocksync

import (
	"context"
	"encoding/hex"
	"time"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/types"
)

// PeerID names a peer on the transport. The node uses the bytes of the
// peer's network node id (string(id[:])); tests may use any string.
type PeerID string

// short is a loggable form: the string itself when it is printable, else
// the first 8 bytes in hex.
func (p PeerID) short() string {
	if utf8.ValidString(string(p)) && len(p) <= 32 {
		printable := true
		for _, r := range string(p) {
			if r < 0x20 || r == 0x7f {
				printable = false
				break
			}
		}
		if printable {
			return string(p)
		}
	}
	b := []byte(p)
	if len(b) == 65 && b[0] == 4 {
		b = b[1:] // an uncompressed public key: skip the 04 prefix
	}
	return hex.EncodeToString(b[:min(len(b), 8)])
}

// Ledger is what the syncer needs of the group's ledger.
type Ledger interface {
	// Head is the latest committed header (genesis at first); nil before
	// the genesis block is committed. Callers do not modify it.
	Head() *types.Header
	// BlockByNumber returns committed block n with its header's commit
	// certificate, for serving peers.
	BlockByNumber(n uint64) (*types.Block, error)
	// Commit stores b with its receipts, the senders of its txs and the
	// executor's write set (consensus.Result.State) atomically and durably.
	// It refuses a block that does not extend the head.
	Commit(b *types.Block, receipts []*types.Receipt, senders []common.Address, state any) error
}

// Executor runs a block's transactions on the state at parentRoot, as
// consensus engines do. It must verify each transaction and cache its
// sender (types.Transaction.Verify), as executor.Executor.ExecuteBlock
// does: the syncer commits the cached senders.
type Executor interface {
	ExecuteBlock(ctx context.Context, env consensus.BlockEnv, parentRoot common.Hash, txs []*types.Transaction) (*consensus.Result, error)
}

// Transport sends sync messages to peers of the group. Send must not
// block for long (network.Host.Send queues or drops). Inbound messages
// reach the syncer through Syncer.HandleMessage.
type Transport interface {
	// Send queues payload to peer to.
	Send(to PeerID, payload []byte) error
	// Peers lists the connected peers of the group.
	Peers() []PeerID
}

// SealerSet gives the sealers whose signatures certify a block.
type SealerSet interface {
	// SealersAt returns the uncompressed public keys of the sealers, by
	// index, that certify block number. When the set depends on blocks
	// not committed locally yet (a governance change in block number-1)
	// it returns an error wrapping ErrSealersPending; the syncer asks
	// again once block number-1 is committed.
	SealersAt(number uint64) ([][]byte, error)
}

// WeightedSealerSet is a SealerSet whose sealers' signatures count by
// vote weight (PBFT from compatibility version 0.3.0): a certificate
// needs signers weighing at least consensus.QuorumWeight of the total.
type WeightedSealerSet interface {
	SealerSet
	// WeightedSealersAt is SealersAt with the sealers' weights, by index;
	// nil weights mean every sealer counts 1 (then Params.Quorum applies).
	WeightedSealersAt(number uint64) (sealers [][]byte, weights []uint64, err error)
}

// StaticSealers is a sealer set that never changes (the genesis sealers,
// until governance can change them).
type StaticSealers [][]byte

// SealersAt returns the set, whatever the height.
func (s StaticSealers) SealersAt(uint64) ([][]byte, error) {
	if len(s) == 0 {
		return nil, ErrNoSealers
	}
	return s, nil
}

// BFTQuorum is the number of sealer signatures a certificate needs among n
// sealers: the least q with 2q - n >= f + 1 where f = (n-1)/3, so that two
// quorums share an honest sealer. It is 2f+1 when n = 3f+1 and equals the
// quorum of consensus/pbft; it is 1 for a single (Solo) sealer.
func BFTQuorum(n int) int {
	if n <= 0 {
		return 1
	}
	f := (n - 1) / 3
	return (n+f)/2 + 1
}

// Clock makes the syncer's tick source.
type Clock interface {
	// NewTicker returns a channel ticking every d and a function stopping it.
	NewTicker(d time.Duration) (<-chan time.Time, func())
}

// realClock ticks with time.Ticker.
type realClock struct{}

func (realClock) NewTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}
