package network

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"

	"github.com/gobcos/gobcos/network/certs"
)

// stdTransport is mutual TLS 1.3 from crypto/tls with P-256 certificates,
// for ecdsa chains.
type stdTransport struct {
	id   NodeID
	cert tls.Certificate
	adm  *Admission
	log  *slog.Logger
}

func newStdTransport(cfg TransportConfig, id NodeID) (*stdTransport, error) {
	alg, err := certs.AlgorithmOf(cfg.Node.Cert.PublicKey)
	if err != nil || alg != certs.P256 {
		return nil, fmt.Errorf("%w: ecdsa chains need a P-256 node certificate", ErrConfig)
	}
	return &stdTransport{
		id: id,
		cert: tls.Certificate{
			Certificate: [][]byte{cfg.Node.Cert.Raw, cfg.Node.Issuer.Raw},
			PrivateKey:  cfg.Node.Key,
			Leaf:        cfg.Node.Cert.ToX509(),
		},
		adm: cfg.Admission,
		log: orDiscard(cfg.Logger),
	}, nil
}

func (t *stdTransport) LocalID() NodeID { return t.id }

// config builds a per-handshake configuration whose VerifyConnection runs
// admission and stores the admitted identity in *peer.
func (t *stdTransport) config(peer *Identity) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		MaxVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{t.cert},
		ClientAuth:   tls.RequireAnyClientCert,
		// The server name is not checked: peers are identified by the node
		// id bound in their certificate, and VerifyConnection runs the
		// whole chain verification through admission on both sides.
		InsecureSkipVerify:     true,
		ServerName:             "gobcos-node",
		SessionTicketsDisabled: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			raw := make([][]byte, len(cs.PeerCertificates))
			for i, c := range cs.PeerCertificates {
				raw[i] = c.Raw
			}
			id, err := t.adm.Admit(raw)
			if err != nil {
				return err
			}
			*peer = id
			return nil
		},
	}
}

func (t *stdTransport) Client(ctx context.Context, raw net.Conn) (*SecureConn, error) {
	var peer Identity
	c := tls.Client(raw, t.config(&peer))
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, handshakeError("client", err)
	}
	if peer.NodeID == (NodeID{}) {
		c.Close()
		return nil, fmt.Errorf("%w (client): peer certificate was not verified", ErrHandshake)
	}
	return &SecureConn{Conn: c, Peer: peer}, nil
}

func (t *stdTransport) Server(ctx context.Context, raw net.Conn) (sc *SecureConn, err error) {
	defer func() {
		if r := recover(); r != nil {
			raw.Close()
			sc, err = nil, fmt.Errorf("%w (server): panic in TLS stack: %v", ErrHandshake, r)
		}
	}()
	var peer Identity
	c := tls.Server(raw, t.config(&peer))
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, handshakeError("server", err)
	}
	if peer.NodeID == (NodeID{}) {
		c.Close()
		return nil, fmt.Errorf("%w (server): peer certificate was not verified", ErrHandshake)
	}
	return &SecureConn{Conn: c, Peer: peer}, nil
}
