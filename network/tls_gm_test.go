package network

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/tjfoc/gmsm/gmtls"

	"github.com/gobcos/gobcos/crypto"
)

// gmServer accepts one connection on a loopback listener and runs the GM
// server handshake on it, returning its result.
func gmServer(t *testing.T, tr Transport) (addr string, result <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan error, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			ch <- err
			return
		}
		_ = raw.SetDeadline(time.Now().Add(20 * time.Second))
		sc, err := tr.Server(context.Background(), raw)
		if err == nil {
			sc.Close()
		}
		ch <- err
	}()
	return ln.Addr().String(), ch
}

func TestGMHandshake(t *testing.T) {
	_, a, b, admA, admB := pair(t, crypto.SM())
	trA, err := NewTransport(TransportConfig{Node: a.cert, Admission: admA})
	if err != nil {
		t.Fatal(err)
	}
	trB, err := NewTransport(TransportConfig{Node: b.cert, Admission: admB})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := trA.(*gmTransport); !ok {
		t.Fatalf("sm chain got %T", trA)
	}
	addr, res := gmServer(t, trA)
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := trB.Client(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if sc.Peer.NodeID != a.id || sc.Peer.Name != "a" {
		t.Fatalf("client sees %+v", sc.Peer)
	}
	if err := <-res; err != nil {
		t.Fatalf("server: %v", err)
	}
}

// Hostile or foreign clients against the GM server: a client offering only
// the ECDHE suite (a panic in the stack's defaults), a client without a
// certificate, a standard TLS 1.3 client and garbage bytes. Each fails
// cleanly; none panics.
func TestGMServerHostileClients(t *testing.T) {
	_, a, _, admA, _ := pair(t, crypto.SM())
	tr, err := NewTransport(TransportConfig{Node: a.cert, Admission: admA})
	if err != nil {
		t.Fatal(err)
	}
	for name, client := range map[string]func(net.Conn) error{
		"ecdhe suite": func(c net.Conn) error {
			return gmtls.Client(c, &gmtls.Config{GMSupport: gmtls.NewGMSupport(), InsecureSkipVerify: true,
				CipherSuites: []uint16{gmtls.GMTLS_ECDHE_SM2_WITH_SM4_SM3}}).Handshake()
		},
		"no certificate": func(c net.Conn) error {
			return gmtls.Client(c, &gmtls.Config{GMSupport: gmtls.NewGMSupport(), InsecureSkipVerify: true,
				CipherSuites: []uint16{gmtls.GMTLS_SM2_WITH_SM4_SM3}}).Handshake()
		},
		"tls 1.3": func(c net.Conn) error {
			return tls.Client(c, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}).Handshake()
		},
		"garbage": func(c net.Conn) error {
			_, err := c.Write([]byte("\x16\x01\x01\x00\x05hello, not a handshake at all"))
			if err == nil {
				_, err = c.Read(make([]byte, 16))
			}
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			addr, res := gmServer(t, tr)
			raw, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			_ = raw.SetDeadline(time.Now().Add(20 * time.Second))
			_ = client(raw) // the client may or may not notice before the server closes
			raw.Close()
			serr := <-res
			if serr == nil {
				t.Fatal("server admitted a hostile client")
			}
			if !errors.Is(serr, ErrHandshake) && ReasonOf(serr) == "" {
				t.Fatalf("server error %v is neither a handshake failure nor a refusal", serr)
			}
		})
	}
}

func TestNewTransportErrors(t *testing.T) {
	p := newPKI(t, crypto.SM())
	n := p.node(t, p.org(t, "o"), "n", validAround(testNow))
	adm := newAdmission(t, p, nil, nil)
	noEnc := *n.cert
	noEnc.EncCert, noEnc.EncKey = nil, nil
	if _, err := NewTransport(TransportConfig{Node: &noEnc, Admission: adm}); !errors.Is(err, ErrConfig) {
		t.Fatalf("SM node without enc pair: %v", err)
	}
	if _, err := NewTransport(TransportConfig{Node: n.cert}); !errors.Is(err, ErrConfig) {
		t.Fatalf("no admission: %v", err)
	}
	// A P-256 node certificate on an ecdsa chain whose binding is for
	// another suite is refused up front.
	pe := newPKI(t, crypto.ECDSA())
	if _, err := NewTransport(TransportConfig{Node: n.cert, Admission: newAdmission(t, pe, nil, nil)}); !errors.Is(err, ErrConfig) {
		t.Fatalf("SM node on an ecdsa chain: %v", err)
	}
}
