package network

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
)

// ModuleID names the subsystem a message belongs to.
type ModuleID uint16

// Modules. ModuleHello is reserved for connection set-up.
const (
	ModuleHello     ModuleID = 0
	ModuleConsensus ModuleID = 1
	ModuleSync      ModuleID = 2
	ModuleTxGossip  ModuleID = 3
	ModuleAMOP      ModuleID = 4
	// ModuleTxFetch carries PBFT sealers' requests for the tx bodies of
	// proposals that carry tx hashes, and the answers.
	ModuleTxFetch ModuleID = 5
)

func (m ModuleID) String() string {
	switch m {
	case ModuleHello:
		return "hello"
	case ModuleConsensus:
		return "consensus"
	case ModuleSync:
		return "sync"
	case ModuleTxGossip:
		return "txgossip"
	case ModuleAMOP:
		return "amop"
	case ModuleTxFetch:
		return "txfetch"
	}
	return "module-" + strconv.Itoa(int(m))
}

// Message is one framed message.
type Message struct {
	Group   string // group id; "" for node-level messages
	Module  ModuleID
	Payload []byte
}

// Frame layout constants (see doc.go for the wire format).
const (
	frameVersion   = 1
	lengthSize     = 4
	frameFixedSize = 1 + 2 + 1 // version, module, group length
	// MaxGroupIDLen bounds the group id.
	MaxGroupIDLen = 64
	// DefaultMaxFrameSize is the default bound on a frame body.
	DefaultMaxFrameSize = 16 << 20
	// MinMaxFrameSize is the smallest maximum frame size accepted.
	MinMaxFrameSize = 1 << 10
)

// ValidGroupID checks a group id: at most MaxGroupIDLen characters from
// A-Z a-z 0-9 . _ -, or empty.
func ValidGroupID(g string) error {
	if len(g) > MaxGroupIDLen {
		return fmt.Errorf("%w: %d bytes", ErrBadGroupID, len(g))
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: byte %#x at %d", ErrBadGroupID, c, i)
		}
	}
	return nil
}

// bodySize is the size of m's frame body (everything after the length).
func bodySize(m Message) int { return frameFixedSize + len(m.Group) + len(m.Payload) }

// EncodeFrame encodes m as a complete frame: length prefix and body. The
// body may not exceed maxSize bytes.
func EncodeFrame(m Message, maxSize int) ([]byte, error) {
	if err := ValidGroupID(m.Group); err != nil {
		return nil, err
	}
	n := bodySize(m)
	if n > maxSize {
		return nil, fmt.Errorf("%w: %d bytes, maximum %d", ErrFrameTooLarge, n, maxSize)
	}
	buf := make([]byte, lengthSize+n)
	binary.BigEndian.PutUint32(buf, uint32(n))
	buf[4] = frameVersion
	binary.BigEndian.PutUint16(buf[5:], uint16(m.Module))
	buf[7] = byte(len(m.Group))
	copy(buf[8:], m.Group)
	copy(buf[8+len(m.Group):], m.Payload)
	return buf, nil
}

// DecodeFrame decodes a frame body (the bytes after the length prefix).
// The payload aliases body.
func DecodeFrame(body []byte) (Message, error) {
	if len(body) < frameFixedSize {
		return Message{}, fmt.Errorf("%w: body of %d bytes is shorter than the %d-byte header", ErrBadFrame, len(body), frameFixedSize)
	}
	if body[0] != frameVersion {
		return Message{}, fmt.Errorf("%w: frame version %d, want %d", ErrProtocol, body[0], frameVersion)
	}
	module := ModuleID(binary.BigEndian.Uint16(body[1:]))
	gl := int(body[3])
	if gl > len(body)-frameFixedSize {
		return Message{}, fmt.Errorf("%w: group id length %d exceeds the frame", ErrBadFrame, gl)
	}
	group := string(body[frameFixedSize : frameFixedSize+gl])
	if err := ValidGroupID(group); err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	return Message{Group: group, Module: module, Payload: body[frameFixedSize+gl:]}, nil
}

// ReadFrame reads one frame from r. A length above maxSize is refused
// before anything is allocated. It reads with io.ReadFull, so records
// split by the TLS stack are reassembled.
func ReadFrame(r io.Reader, maxSize int) (Message, error) {
	var hdr [lengthSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Message{}, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(maxSize) {
		return Message{}, fmt.Errorf("%w: %d bytes announced, maximum %d", ErrFrameTooLarge, n, maxSize)
	}
	if n < frameFixedSize {
		return Message{}, fmt.Errorf("%w: length %d is shorter than the header", ErrBadFrame, n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Message{}, err
	}
	return DecodeFrame(body)
}

// hello is the first message each side sends on a new connection, after
// the secure handshake: it confirms that the other side admitted us (TLS
// 1.3 lets a client finish before the server has checked its certificate)
// and carries the dialer's connection nonce for duplicate resolution.
type hello struct {
	Version uint16
	Nonce   uint64 // chosen by the dialing side; 0 from the accepting side
}

const (
	helloMagic      = "GBCS"
	protocolVersion = 1
	helloSize       = len(helloMagic) + 2 + 8
)

func (h hello) encode() []byte {
	b := make([]byte, helloSize)
	copy(b, helloMagic)
	binary.BigEndian.PutUint16(b[4:], h.Version)
	binary.BigEndian.PutUint64(b[6:], h.Nonce)
	return b
}

func decodeHello(b []byte) (hello, error) {
	if len(b) != helloSize || string(b[:4]) != helloMagic {
		return hello{}, fmt.Errorf("%w: malformed hello (%d bytes)", ErrProtocol, len(b))
	}
	h := hello{Version: binary.BigEndian.Uint16(b[4:]), Nonce: binary.BigEndian.Uint64(b[6:])}
	if h.Version != protocolVersion {
		return h, fmt.Errorf("%w: peer speaks version %d, this node %d", ErrProtocol, h.Version, protocolVersion)
	}
	return h, nil
}
