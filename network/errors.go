package network

import "errors"

// Admission refusals. Each is counted under its RefusalReason.
var (
	ErrNoCertificate  = errors.New("network: peer presented no certificate")
	ErrBadCertificate = errors.New("network: peer certificate is malformed or not a gobcos node certificate of this chain's suite")
	ErrUntrustedCA    = errors.New("network: peer certificate does not chain to a trusted CA (add its CA to the trusted CA list if it belongs to this chain)")
	ErrCertExpired    = errors.New("network: peer certificate is expired or not yet valid (renew it, or check the clocks)")
	ErrCertRevoked    = errors.New("network: peer certificate is revoked by a configured CRL")
	ErrNotInNodeList  = errors.New("network: peer node id is neither in the group's node list nor in the local allow-list")
	ErrDenied         = errors.New("network: peer node id is on the local deny-list")
	// ErrUnknownGroup is a group membership refusal (GroupPolicy): this
	// node does not serve the group, so no peer is a member of it here.
	ErrUnknownGroup = errors.New("network: this node does not serve the group")
)

// Framing and protocol errors.
var (
	ErrFrameTooLarge = errors.New("network: frame exceeds the maximum frame size")
	ErrBadFrame      = errors.New("network: malformed frame")
	ErrBadGroupID    = errors.New("network: invalid group id (at most 64 characters from A-Z a-z 0-9 . _ -)")
	ErrProtocol      = errors.New("network: peer does not speak this protocol version")
)

// Transport and host errors.
var (
	ErrUnsupportedSuite = errors.New("network: no transport for this crypto suite")
	ErrHandshake        = errors.New("network: secure handshake failed")
	ErrSelfConnection   = errors.New("network: connected to itself (remove this node's own address from its peer list)")
	ErrDuplicate        = errors.New("network: another connection to this peer was kept")
	ErrNotConnected     = errors.New("network: peer is not connected")
	ErrQueueFull        = errors.New("network: peer send queue is full; message dropped")
	ErrClosed           = errors.New("network: host is closed")
	ErrConfig           = errors.New("network: invalid configuration")
)
