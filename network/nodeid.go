package network

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
)

// NodeID identifies a node: its 65-byte uncompressed consensus public key
// (secp256k1 or SM2), as bound in its certificate.
type NodeID [65]byte

// ParseNodeID copies a 65-byte uncompressed public key into a NodeID.
func ParseNodeID(b []byte) (NodeID, error) {
	var id NodeID
	if len(b) != len(id) || b[0] != 4 {
		return id, fmt.Errorf("%w: node id must be a 65-byte uncompressed public key, got %d bytes", ErrConfig, len(b))
	}
	copy(id[:], b)
	return id, nil
}

// NodeIDFromHex parses a node id in hex, with or without 0x, with or
// without the leading 04 byte (the 128-hex-digit form FISCO BCOS prints).
func NodeIDFromHex(s string) (NodeID, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	if len(s) == 128 {
		s = "04" + s
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return NodeID{}, fmt.Errorf("%w: node id: %v", ErrConfig, err)
	}
	return ParseNodeID(b)
}

// Bytes returns a copy of the public key.
func (id NodeID) Bytes() []byte { return bytes.Clone(id[:]) }

// String is the 128-hex-digit key without the 04 prefix.
func (id NodeID) String() string { return hex.EncodeToString(id[1:]) }

// Short is the first 8 bytes of the key in hex, for logs.
func (id NodeID) Short() string { return hex.EncodeToString(id[1:9]) }

// Compare orders node ids bytewise.
func (id NodeID) Compare(o NodeID) int { return bytes.Compare(id[:], o[:]) }
