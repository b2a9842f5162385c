package engine

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// Tx fetch messages (compatibility version 0.3.0 on): a replica that
// lacks bodies of a proposal's tx hashes asks a sealer for them. The wire
// format is one RLP list [Version, Kind, ID, Hashes, Bodies]; a request
// carries hashes and no bodies, a response bodies and no hashes.
const (
	// FetchVersion is the version of the fetch wire format.
	FetchVersion = 1
	// MaxFetchHashes bounds the hashes of one request and the bodies of
	// one response.
	MaxFetchHashes = 4096
)

// FetchKind tells a request from a response.
type FetchKind uint8

// Fetch message kinds.
const (
	FetchRequest  FetchKind = 1
	FetchResponse FetchKind = 2
)

// ErrMalformedFetch: a fetch message that does not decode or breaks the
// format's limits; it is dropped and counted.
var ErrMalformedFetch = errors.New("malformed tx fetch message")

// FetchMsg is one tx fetch message. ID matches a response to its request.
type FetchMsg struct {
	Version uint8
	Kind    FetchKind
	ID      uint64
	Hashes  []common.Hash // request: the txs wanted
	Bodies  [][]byte      // response: encoded txs the responder has, any order
}

// EncodeFetch encodes m; it sets the version.
func EncodeFetch(m *FetchMsg) []byte {
	m.Version = FetchVersion
	b, err := rlp.EncodeToBytes(m)
	if err != nil {
		panic(fmt.Sprintf("pbft engine: encoding a fetch message cannot fail: %v", err))
	}
	return b
}

// DecodeFetch decodes a fetch message of at most maxSize bytes and checks
// its structure. It never panics (fuzzed by FuzzDecodeFetch).
func DecodeFetch(b []byte, maxSize int) (*FetchMsg, error) {
	if len(b) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformedFetch, len(b), maxSize)
	}
	m := new(FetchMsg)
	if err := rlp.DecodeBytes(b, m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedFetch, err)
	}
	if m.Version != FetchVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrMalformedFetch, m.Version, FetchVersion)
	}
	switch m.Kind {
	case FetchRequest:
		if len(m.Hashes) == 0 || len(m.Hashes) > MaxFetchHashes || len(m.Bodies) != 0 {
			return nil, fmt.Errorf("%w: request with %d hashes and %d bodies", ErrMalformedFetch, len(m.Hashes), len(m.Bodies))
		}
	case FetchResponse:
		if len(m.Hashes) != 0 || len(m.Bodies) > MaxFetchHashes {
			return nil, fmt.Errorf("%w: response with %d hashes and %d bodies", ErrMalformedFetch, len(m.Hashes), len(m.Bodies))
		}
		for i, body := range m.Bodies {
			if len(body) == 0 {
				return nil, fmt.Errorf("%w: body %d is empty", ErrMalformedFetch, i)
			}
		}
	default:
		return nil, fmt.Errorf("%w: kind %d", ErrMalformedFetch, m.Kind)
	}
	return m, nil
}

// bodiesRecord is what the store keeps of a proposal with tx hashes: the
// bodies the node resolved for it, in proposal order.
type bodiesRecord struct {
	Height uint64
	Bodies [][]byte
}

func encodeBodies(r *bodiesRecord) []byte {
	b, err := rlp.EncodeToBytes(r)
	if err != nil {
		panic(fmt.Sprintf("pbft engine: encoding bodies cannot fail: %v", err))
	}
	return b
}

// decodeBodies decodes a stored bodies record (fuzzed by FuzzDecodeBodies).
func decodeBodies(b []byte) (*bodiesRecord, error) {
	r := new(bodiesRecord)
	if err := rlp.DecodeBytes(b, r); err != nil {
		return nil, fmt.Errorf("%w: stored proposal bodies: %v", ErrPersist, err)
	}
	return r, nil
}
