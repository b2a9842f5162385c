package network

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/network/certs"
)

// SecureConn is an encrypted, mutually authenticated and admitted
// connection.
type SecureConn struct {
	net.Conn
	// Peer is the admitted identity of the other side.
	Peer Identity
}

// Transport secures raw connections: it runs the handshake of its TLS
// stack, with this node's certificate, and admission on the other side's
// certificate chain. Implementations are chosen by the chain's suite
// (NewTransport) so the GM stack can be replaced without touching callers.
type Transport interface {
	// LocalID is this node's id, as bound in its certificate.
	LocalID() NodeID
	// Client runs the client side of the handshake on raw. On error raw is
	// closed.
	Client(ctx context.Context, raw net.Conn) (*SecureConn, error)
	// Server runs the server side of the handshake on raw. On error raw is
	// closed.
	Server(ctx context.Context, raw net.Conn) (*SecureConn, error)
}

// TransportConfig configures NewTransport.
type TransportConfig struct {
	// Node is this node's TLS identity (certs.LoadNodeCert).
	Node *certs.NodeCert
	// Admission checks the other side of every handshake.
	Admission *Admission
	// Logger; nil discards.
	Logger *slog.Logger
}

// NewTransport returns the transport for the admission's suite: TLS 1.3
// (crypto/tls) for ecdsa chains, GM TLS (TLCP) for sm chains.
func NewTransport(cfg TransportConfig) (Transport, error) {
	if cfg.Node == nil || cfg.Node.Cert == nil || cfg.Node.Key == nil || cfg.Node.Issuer == nil {
		return nil, fmt.Errorf("%w: transport needs the node certificate, key and organisation certificate", ErrConfig)
	}
	if cfg.Admission == nil {
		return nil, fmt.Errorf("%w: transport needs an Admission", ErrConfig)
	}
	suite := cfg.Admission.Suite()
	rawID, err := certs.VerifyBinding(cfg.Node.Cert, suite)
	if err != nil {
		return nil, fmt.Errorf("%w: own node certificate: %v", ErrConfig, err)
	}
	id, err := ParseNodeID(rawID)
	if err != nil {
		return nil, err
	}
	switch suite.Name() {
	case crypto.NameECDSA:
		return newStdTransport(cfg, id)
	case crypto.NameSM:
		return newGMTransport(cfg, id)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupportedSuite, suite.Name())
}

// handshakeError wraps a stack's handshake failure: admission refusals
// keep their sentinel (errors.Is works), everything else gets ErrHandshake.
func handshakeError(side string, err error) error {
	if ReasonOf(err) != "" {
		return fmt.Errorf("%s handshake: %w", side, err)
	}
	return fmt.Errorf("%w (%s): %v", ErrHandshake, side, err)
}
