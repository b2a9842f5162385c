package txgossip

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/rlp"

	"github.com/gobcos/gobcos/types"
)

// BatchV1 is the first byte of a version 1 batch.
const BatchV1 byte = 0xb1

// Errors of Decode and Encode.
var (
	// ErrBadBatch is a payload that is neither a batch nor a single tx.
	ErrBadBatch = errors.New("txgossip: malformed batch")
	// ErrUnknownVersion is a batch of a version this node does not know.
	ErrUnknownVersion = errors.New("txgossip: unknown batch version")
	// ErrLimit is a batch beyond Limits.
	ErrLimit = errors.New("txgossip: batch beyond limits")
)

// Limits bound one batch.
type Limits struct {
	// MaxTxs is the most txs in one batch.
	MaxTxs int
	// MaxBytes is the largest payload (version byte and RLP included); it
	// must fit in the network's frame.
	MaxBytes int
}

// DefaultLimits are the limits of a node whose frames hold at least
// DefaultLimits().MaxBytes plus the frame header.
func DefaultLimits() Limits { return Limits{MaxTxs: 4096, MaxBytes: 8 << 20} }

// LimitsForFrame are the default limits shrunk to fit frames of
// maxFrame bytes (group id and frame header included).
func LimitsForFrame(maxFrame int) Limits {
	l := DefaultLimits()
	l.MaxBytes = min(l.MaxBytes, max(maxFrame-1024, maxFrame/2))
	return l
}

func (l Limits) check() error {
	if l.MaxTxs < 1 || l.MaxBytes < 64 {
		return fmt.Errorf("txgossip: limits %+v hold no batch", l)
	}
	return nil
}

// rlpHeaderSize is the size of the RLP header of a string (base 0x80) or
// list (base 0xc0) of n bytes.
func rlpHeaderSize(n int) int {
	if n < 56 {
		return 1
	}
	s := 1
	for ; n > 0; n >>= 8 {
		s++
	}
	return s
}

func appendRLPHeader(b []byte, base byte, n int) []byte {
	if n < 56 {
		return append(b, base+byte(n))
	}
	var be [8]byte
	k := 0
	for v := n; v > 0; v >>= 8 {
		k++
	}
	for i := range k {
		be[i] = byte(n >> (8 * (k - 1 - i)))
	}
	b = append(b, base+55+byte(k))
	return append(b, be[:k]...)
}

// txEncSize is the size of tx in a batch's list.
func txEncSize(tx []byte) int {
	if len(tx) == 1 && tx[0] < 0x80 {
		return 1
	}
	return rlpHeaderSize(len(tx)) + len(tx)
}

// batchSize is the payload size of a batch whose list content is n bytes.
func batchSize(content int) int { return 1 + rlpHeaderSize(content) + content }

// Encode makes one version 1 batch of txs; it fails if they do not fit
// the limits (Batcher splits the queue so that they do).
func Encode(txs [][]byte, l Limits) ([]byte, error) {
	if len(txs) == 0 {
		return nil, fmt.Errorf("%w: no txs", ErrBadBatch)
	}
	if len(txs) > l.MaxTxs {
		return nil, fmt.Errorf("%w: %d txs, limit %d", ErrLimit, len(txs), l.MaxTxs)
	}
	content := 0
	for _, tx := range txs {
		if len(tx) == 0 || len(tx) > types.MaxTxSize {
			return nil, fmt.Errorf("%w: a tx of %d bytes", ErrLimit, len(tx))
		}
		content += txEncSize(tx)
	}
	size := batchSize(content)
	if size > l.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrLimit, size, l.MaxBytes)
	}
	b := make([]byte, 0, size)
	b = append(b, BatchV1)
	b = appendRLPHeader(b, 0xc0, content)
	for _, tx := range txs {
		if len(tx) == 1 && tx[0] < 0x80 {
			b = append(b, tx[0])
			continue
		}
		b = appendRLPHeader(b, 0x80, len(tx))
		b = append(b, tx...)
	}
	return b, nil
}

// Decode returns the txs of a payload: a version 1 batch or a single raw
// tx from an older node. The txs are slices of payload; they are not
// decoded (types.DecodeTx does that). It never panics.
func Decode(payload []byte, l Limits) ([][]byte, error) {
	if len(payload) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrBadBatch)
	}
	if len(payload) > l.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrLimit, len(payload), l.MaxBytes)
	}
	v := payload[0]
	if v < 0x80 || v >= 0xc0 {
		// A single tx, as nodes before batching sent it.
		if len(payload) > types.MaxTxSize {
			return nil, fmt.Errorf("%w: a tx of %d bytes", ErrLimit, len(payload))
		}
		return [][]byte{payload}, nil
	}
	if v != BatchV1 {
		return nil, fmt.Errorf("%w: 0x%02x", ErrUnknownVersion, v)
	}
	content, rest, err := rlp.SplitList(payload[1:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadBatch, err)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%w: %d bytes after the list", ErrBadBatch, len(rest))
	}
	// Each tx takes at least one byte: bound the slice before counting.
	txs := make([][]byte, 0, min(len(content), l.MaxTxs, 64))
	for len(content) > 0 {
		if len(txs) == l.MaxTxs {
			return nil, fmt.Errorf("%w: more than %d txs", ErrLimit, l.MaxTxs)
		}
		kind, tx, r, err := rlp.Split(content)
		if err != nil {
			return nil, fmt.Errorf("%w: tx %d: %v", ErrBadBatch, len(txs), err)
		}
		if kind == rlp.List {
			return nil, fmt.Errorf("%w: tx %d is a list", ErrBadBatch, len(txs))
		}
		if len(tx) == 0 || len(tx) > types.MaxTxSize {
			return nil, fmt.Errorf("%w: tx %d has %d bytes", ErrBadBatch, len(txs), len(tx))
		}
		txs = append(txs, tx)
		content = r
	}
	if len(txs) == 0 {
		return nil, fmt.Errorf("%w: no txs", ErrBadBatch)
	}
	return txs, nil
}
