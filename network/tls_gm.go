package network

import (
	"context"
	gocrypto "crypto"
	"fmt"
	"log/slog"
	"net"

	"github.com/emmansun/gmsm/sm2"
	"github.com/tjfoc/gmsm/gmtls"
	tjsm2 "github.com/tjfoc/gmsm/sm2"
	tjx509 "github.com/tjfoc/gmsm/x509"

	"github.com/gobcos/gobcos/network/certs"
)

// gmTransport is mutual GM TLS (TLCP, GM/T 0024) from tjfoc/gmsm's gmtls,
// for sm chains: ECC_SM4_CBC_SM3 with a signing and an encryption
// certificate. That stack panics on some inputs in its defaults, so the
// settings here are deliberate (see doc.go and DEPENDENCIES.md):
//   - the cipher suite is pinned to GMTLS_SM2_WITH_SM4_SM3 on both sides
//     (its ECDHE suite is a stub that panics);
//   - session tickets are disabled and no client session cache is set
//     (resumption panics);
//   - every handshake runs under recover();
//   - the server sends [sign, enc, org]: the client takes the second
//     certificate as the encryption certificate, so the organisation
//     certificate comes last; chain verification is ours (admission),
//     not the stack's, which cannot use intermediates for the sign cert;
//   - certificates are signed with SM2WithSM3 explicitly (package certs).
//
// gmtls prints failed handshakes to standard output; keep the process's
// stdout out of structured logs.
type gmTransport struct {
	id     NodeID
	client gmtls.Certificate // [sign, org]
	sign   gmtls.Certificate // [sign]
	enc    gmtls.Certificate // [enc, org]
	adm    *Admission
	log    *slog.Logger
}

// toTjfocKey converts an emmansun SM2 key to the tjfoc type gmtls needs
// (its Sign and Decrypt must match what the other tjfoc end verifies).
func toTjfocKey(k gocrypto.Signer) (*tjsm2.PrivateKey, error) {
	ek, ok := k.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: GM TLS needs SM2 keys, got %T", ErrConfig, k)
	}
	return &tjsm2.PrivateKey{
		PublicKey: tjsm2.PublicKey{Curve: tjsm2.P256Sm2(), X: ek.X, Y: ek.Y},
		D:         ek.D,
	}, nil
}

func newGMTransport(cfg TransportConfig, id NodeID) (Transport, error) {
	n := cfg.Node
	if alg, err := certs.AlgorithmOf(n.Cert.PublicKey); err != nil || alg != certs.SM2 {
		return nil, fmt.Errorf("%w: sm chains need an SM2 node certificate", ErrConfig)
	}
	if n.EncCert == nil || n.EncKey == nil {
		return nil, fmt.Errorf("%w: GM TLS needs the node's encryption certificate and key (%s, %s)", ErrConfig, certs.EncCertFile, certs.EncKeyFile)
	}
	signKey, err := toTjfocKey(n.Key)
	if err != nil {
		return nil, err
	}
	encKey, err := toTjfocKey(n.EncKey)
	if err != nil {
		return nil, err
	}
	// gmtls parses certificates with its own x509: check it can, here,
	// rather than in every handshake.
	for _, c := range []*certs.NodeCert{n} {
		for _, raw := range [][]byte{c.Cert.Raw, c.EncCert.Raw, c.Issuer.Raw} {
			if _, err := tjx509.ParseCertificate(raw); err != nil {
				return nil, fmt.Errorf("%w: GM TLS cannot parse a node certificate: %v", ErrConfig, err)
			}
		}
	}
	return &gmTransport{
		id:     id,
		client: gmtls.Certificate{Certificate: [][]byte{n.Cert.Raw, n.Issuer.Raw}, PrivateKey: signKey},
		sign:   gmtls.Certificate{Certificate: [][]byte{n.Cert.Raw}, PrivateKey: signKey},
		enc:    gmtls.Certificate{Certificate: [][]byte{n.EncCert.Raw, n.Issuer.Raw}, PrivateKey: encKey},
		adm:    cfg.Admission,
		log:    orDiscard(cfg.Logger),
	}, nil
}

func (t *gmTransport) LocalID() NodeID { return t.id }

func (t *gmTransport) config(isClient bool, peer *Identity) *gmtls.Config {
	c := &gmtls.Config{
		GMSupport:              gmtls.NewGMSupport(),
		CipherSuites:           []uint16{gmtls.GMTLS_SM2_WITH_SM4_SM3},
		SessionTicketsDisabled: true,
		ClientAuth:             gmtls.RequireAnyClientCert,
		InsecureSkipVerify:     true, // admission verifies, in VerifyPeerCertificate
		ServerName:             "gobcos-node",
	}
	if isClient {
		c.Certificates = []gmtls.Certificate{t.client}
		c.VerifyPeerCertificate = func(raw [][]byte, _ [][]*tjx509.Certificate) error {
			// The server sent [sign, enc, intermediates...].
			if len(raw) < 2 {
				_, err := t.adm.Admit(raw)
				return err
			}
			chain := append([][]byte{raw[0]}, raw[2:]...)
			id, err := t.adm.admit(chain, raw[1])
			if err != nil {
				return err
			}
			*peer = id
			return nil
		}
	} else {
		c.Certificates = []gmtls.Certificate{t.sign, t.enc}
		c.VerifyPeerCertificate = func(raw [][]byte, _ [][]*tjx509.Certificate) error {
			id, err := t.adm.Admit(raw)
			if err != nil {
				return err
			}
			*peer = id
			return nil
		}
	}
	return c
}

// handshake runs one side under recover(): gmtls has known panics on
// hostile input.
func (t *gmTransport) handshake(raw net.Conn, isClient bool) (sc *SecureConn, err error) {
	side := "server"
	if isClient {
		side = "client"
	}
	defer func() {
		if r := recover(); r != nil {
			raw.Close()
			t.log.Warn("GM TLS stack panicked in a handshake", "side", side, "panic", fmt.Sprint(r))
			sc, err = nil, fmt.Errorf("%w (%s): panic in the GM TLS stack: %v", ErrHandshake, side, r)
		}
	}()
	var peer Identity
	var c *gmtls.Conn
	if isClient {
		c = gmtls.Client(raw, t.config(true, &peer))
	} else {
		c = gmtls.Server(raw, t.config(false, &peer))
	}
	if err := c.Handshake(); err != nil {
		raw.Close()
		return nil, handshakeError(side, err)
	}
	if peer.NodeID == (NodeID{}) {
		// Never happens with VerifyPeerCertificate set; refuse rather than
		// admit an unverified peer if the stack ever skips it.
		raw.Close()
		return nil, fmt.Errorf("%w (%s): peer certificate was not verified", ErrHandshake, side)
	}
	return &SecureConn{Conn: c, Peer: peer}, nil
}

// Client runs the client side. gmtls has no context support: the caller
// aborts a stuck handshake by closing raw (Host does, on its timeout).
func (t *gmTransport) Client(ctx context.Context, raw net.Conn) (*SecureConn, error) {
	if err := ctx.Err(); err != nil {
		raw.Close()
		return nil, err
	}
	return t.handshake(raw, true)
}

// Server runs the server side; see Client about cancellation.
func (t *gmTransport) Server(ctx context.Context, raw net.Conn) (*SecureConn, error) {
	if err := ctx.Err(); err != nil {
		raw.Close()
		return nil, err
	}
	return t.handshake(raw, false)
}
