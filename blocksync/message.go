package blocksync

import (
	"bytes"
	"fmt"
	"math"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// ProtocolVersion is the version of the sync messages this package speaks.
const ProtocolVersion = 1

// MaxRequestBlocks bounds the count of a block request and the blocks of a
// response, whatever the configuration.
const MaxRequestBlocks = 1024

// Kind tells the sync messages apart.
type Kind uint8

// Message kinds.
const (
	KindStatus    Kind = 1 // a node's head
	KindGetBlocks Kind = 2 // a request for a range of blocks
	KindBlocks    Kind = 3 // the answer to a request
)

func (k Kind) String() string {
	switch k {
	case KindStatus:
		return "status"
	case KindGetBlocks:
		return "get-blocks"
	case KindBlocks:
		return "blocks"
	}
	return fmt.Sprintf("kind-%d", uint8(k))
}

// StatusMsg announces a node's head and the chain it is on.
type StatusMsg struct {
	Genesis common.Hash // hash of block 0: peers on another chain are ignored
	Number  uint64      // number of the head block
	Hash    common.Hash // hash of the head block
}

// GetBlocksMsg asks for Count blocks from number From on.
type GetBlocksMsg struct {
	ID    uint64 // chosen by the requester, echoed in the response
	From  uint64
	Count uint64 // 1..MaxRequestBlocks
}

// BlocksMsg answers a GetBlocksMsg: consecutive blocks from From on, each
// encoded by types.EncodeBlock (headers carry their commit certificates).
// It may hold fewer blocks than asked (the server's limits, or its head),
// or none when the server does not have block From.
type BlocksMsg struct {
	ID     uint64
	From   uint64
	Blocks [][]byte
}

// Message is one sync message: exactly one of the bodies is set, the one
// Kind names.
type Message struct {
	Kind      Kind
	Status    *StatusMsg
	GetBlocks *GetBlocksMsg
	Blocks    *BlocksMsg
}

// envelope is the wire form: [version, kind, body].
type envelope struct {
	Version uint64
	Kind    uint64
	Body    rlp.RawValue
}

// EncodeMessage encodes m canonically. It fails on a message that
// DecodeMessage would refuse for its shape (size limits apart).
func EncodeMessage(m *Message) ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil message", ErrBadMessage)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	var body any
	switch m.Kind {
	case KindStatus:
		body = m.Status
	case KindGetBlocks:
		body = m.GetBlocks
	case KindBlocks:
		body = m.Blocks
	}
	raw, err := rlp.EncodeToBytes(body)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding %s: %v", ErrBadMessage, m.Kind, err)
	}
	out, err := rlp.EncodeToBytes(&envelope{Version: ProtocolVersion, Kind: uint64(m.Kind), Body: raw})
	if err != nil {
		return nil, fmt.Errorf("%w: encoding %s: %v", ErrBadMessage, m.Kind, err)
	}
	return out, nil
}

// DecodeMessage decodes a sync message of at most maxSize bytes. It
// accepts only the canonical encoding (the one EncodeMessage produces),
// refuses unknown versions and kinds, out-of-range counts and empty
// blocks, and never panics. Blocks stay encoded: the receiver decodes them
// with types.DecodeBlock.
func DecodeMessage(b []byte, maxSize int) (*Message, error) {
	if len(b) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, len(b), maxSize)
	}
	var env envelope
	if err := rlp.DecodeBytes(b, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	if env.Version != ProtocolVersion {
		return nil, fmt.Errorf("%w: protocol version %d, this node speaks %d", ErrBadMessage, env.Version, ProtocolVersion)
	}
	m := &Message{}
	var err error
	switch env.Kind {
	case uint64(KindStatus):
		m.Kind, m.Status = KindStatus, new(StatusMsg)
		err = rlp.DecodeBytes(env.Body, m.Status)
	case uint64(KindGetBlocks):
		m.Kind, m.GetBlocks = KindGetBlocks, new(GetBlocksMsg)
		err = rlp.DecodeBytes(env.Body, m.GetBlocks)
	case uint64(KindBlocks):
		m.Kind, m.Blocks = KindBlocks, new(BlocksMsg)
		err = rlp.DecodeBytes(env.Body, m.Blocks)
	default:
		return nil, fmt.Errorf("%w: unknown kind %d", ErrBadMessage, env.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadMessage, m.Kind, err)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	// The RLP decoder already refuses non-canonical integers and sizes;
	// re-encoding makes sure no other form slips through.
	again, err := EncodeMessage(m)
	if err != nil || !bytes.Equal(again, b) {
		return nil, fmt.Errorf("%w: %s is not in canonical encoding", ErrBadMessage, m.Kind)
	}
	return m, nil
}

// validate checks the shape rules shared by encoding and decoding.
func (m *Message) validate() error {
	set := 0
	for _, ok := range []bool{m.Status != nil, m.GetBlocks != nil, m.Blocks != nil} {
		if ok {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("%w: %d bodies set", ErrBadMessage, set)
	}
	switch m.Kind {
	case KindStatus:
		if m.Status == nil {
			return fmt.Errorf("%w: status without body", ErrBadMessage)
		}
	case KindGetBlocks:
		r := m.GetBlocks
		if r == nil {
			return fmt.Errorf("%w: get-blocks without body", ErrBadMessage)
		}
		if r.Count == 0 || r.Count > MaxRequestBlocks {
			return fmt.Errorf("%w: get-blocks count %d, must be 1..%d", ErrBadMessage, r.Count, MaxRequestBlocks)
		}
		if r.From > math.MaxUint64-(r.Count-1) {
			return fmt.Errorf("%w: get-blocks range from %d count %d overflows", ErrBadMessage, r.From, r.Count)
		}
	case KindBlocks:
		r := m.Blocks
		if r == nil {
			return fmt.Errorf("%w: blocks without body", ErrBadMessage)
		}
		if len(r.Blocks) > MaxRequestBlocks {
			return fmt.Errorf("%w: %d blocks in one response, at most %d", ErrBadMessage, len(r.Blocks), MaxRequestBlocks)
		}
		if n := uint64(len(r.Blocks)); n > 0 && r.From > math.MaxUint64-(n-1) {
			return fmt.Errorf("%w: blocks range from %d count %d overflows", ErrBadMessage, r.From, n)
		}
		for i, b := range r.Blocks {
			if len(b) == 0 {
				return fmt.Errorf("%w: block %d of the response is empty", ErrBadMessage, i)
			}
		}
	default:
		return fmt.Errorf("%w: unknown kind %d", ErrBadMessage, uint8(m.Kind))
	}
	return nil
}

// blocksOverhead bounds the bytes a BlocksMsg adds around its blocks:
// the envelope and body list headers, version, kind, id and from (each at
// most 9 bytes with their headers), plus per block its string header.
const (
	blocksFixedOverhead = 64
	blockItemOverhead   = 9
)
