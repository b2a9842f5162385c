package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/gobcos/gobcos/crypto"
)

// OIDNodeBinding identifies the node-id binding extension of node
// certificates. It is a private OID in the 2.25 (UUID) arc, fixed for the
// lifetime of the certificate profile; changing it invalidates every issued
// node certificate.
var OIDNodeBinding = asn1.ObjectIdentifier{2, 25, 1964311471, 1, 1}

// bindingVersion is the version field of the binding extension.
const bindingVersion = 1

// bindingDomain separates binding proofs from every other signature a
// consensus key makes (transactions, consensus messages).
const bindingDomain = "gobcos/node-certificate-binding/v1"

// NodeIDSize is the size of a node id: an uncompressed public key.
const NodeIDSize = 65

// Binding is the content of the node-id binding extension: the node's
// consensus public key (its node id) and the suite it belongs to, with a
// proof that the holder of the consensus key asked for this TLS key.
type Binding struct {
	Suite  string // crypto.NameECDSA or crypto.NameSM
	NodeID []byte // 65-byte uncompressed consensus public key
	Proof  []byte // consensus-key signature over Hash(domain, TLS SubjectPublicKeyInfo)
}

type bindingASN1 struct {
	Version int
	Suite   string `asn1:"utf8"`
	NodeID  []byte
	Proof   []byte
}

// bindingDigest is what the consensus key signs: the suite's hash of the
// domain string and the DER SubjectPublicKeyInfo of the TLS key.
func bindingDigest(suite crypto.Suite, spki []byte) []byte {
	return suite.Hash([]byte(bindingDomain), spki).Bytes()
}

// makeBinding signs spki with the consensus key and encodes the extension.
func makeBinding(key crypto.PrivateKey, spki []byte) ([]byte, error) {
	suite, err := crypto.ByName(key.SuiteName())
	if err != nil {
		return nil, err
	}
	proof, err := key.Sign(bindingDigest(suite, spki))
	if err != nil {
		return nil, fmt.Errorf("certs: signing the node id binding: %w", err)
	}
	return asn1.Marshal(bindingASN1{Version: bindingVersion, Suite: suite.Name(), NodeID: key.PublicKey(), Proof: proof})
}

// ParseBinding extracts the binding extension of cert without checking its
// proof. Use VerifyBinding to check it.
func ParseBinding(cert *smx509.Certificate) (*Binding, error) {
	var raw []byte
	found := 0
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(OIDNodeBinding) {
			raw = ext.Value
			found++
		}
	}
	if found == 0 {
		return nil, ErrNoBinding
	}
	if found > 1 {
		return nil, fmt.Errorf("%w: extension present %d times", ErrBadBinding, found)
	}
	var b bindingASN1
	rest, err := asn1.Unmarshal(raw, &b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadBinding, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBadBinding, len(rest))
	}
	if b.Version != bindingVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBadBinding, b.Version, bindingVersion)
	}
	if len(b.NodeID) != NodeIDSize {
		return nil, fmt.Errorf("%w: node id is %d bytes, want %d", ErrBadBinding, len(b.NodeID), NodeIDSize)
	}
	return &Binding{Suite: b.Suite, NodeID: b.NodeID, Proof: b.Proof}, nil
}

// VerifyBinding parses the binding of cert and checks that it names suite,
// that the node id is a valid public key of that suite and that the proof
// is its signature over cert's public key. It returns the node id.
func VerifyBinding(cert *smx509.Certificate, suite crypto.Suite) ([]byte, error) {
	b, err := ParseBinding(cert)
	if err != nil {
		return nil, err
	}
	if b.Suite != suite.Name() {
		return nil, fmt.Errorf("%w: node id of suite %q, chain uses %q", ErrBadBinding, b.Suite, suite.Name())
	}
	if err := suite.ValidatePublicKey(b.NodeID); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadBinding, err)
	}
	if err := suite.Verify(b.NodeID, bindingDigest(suite, cert.RawSubjectPublicKeyInfo), b.Proof); err != nil {
		return nil, fmt.Errorf("%w: proof does not verify: %v", ErrBadBinding, err)
	}
	return b.NodeID, nil
}

// KeyAlgorithm is the algorithm of certificate (TLS) keys.
type KeyAlgorithm int

// Key algorithms. P-256 serves ecdsa chains (Go's TLS cannot use
// secp256k1); SM2 serves sm chains.
const (
	P256 KeyAlgorithm = iota + 1
	SM2
)

func (a KeyAlgorithm) String() string {
	switch a {
	case P256:
		return "P-256"
	case SM2:
		return "SM2"
	}
	return fmt.Sprintf("KeyAlgorithm(%d)", int(a))
}

// AlgorithmForSuite returns the certificate key algorithm of a chain whose
// consensus suite is named suite.
func AlgorithmForSuite(suite string) (KeyAlgorithm, error) {
	switch suite {
	case crypto.NameECDSA:
		return P256, nil
	case crypto.NameSM:
		return SM2, nil
	}
	return 0, fmt.Errorf("%w: suite %q", ErrKeyAlgorithm, suite)
}

// SuiteName is the consensus suite paired with the algorithm.
func (a KeyAlgorithm) SuiteName() string {
	if a == SM2 {
		return crypto.NameSM
	}
	return crypto.NameECDSA
}

// AlgorithmOf returns the algorithm of a public key (as found in a parsed
// certificate or returned by a private key's Public method).
func AlgorithmOf(pub any) (KeyAlgorithm, error) {
	if k, ok := pub.(*ecdsa.PublicKey); ok && k != nil {
		switch k.Curve {
		case elliptic.P256():
			return P256, nil
		case sm2.P256():
			return SM2, nil
		}
		return 0, fmt.Errorf("%w: curve %s", ErrKeyAlgorithm, k.Curve.Params().Name)
	}
	return 0, fmt.Errorf("%w: key type %T", ErrKeyAlgorithm, pub)
}

// samePublicKey reports whether a certificate's key equals pub.
func samePublicKey(cert *smx509.Certificate, pub any) bool {
	der, err := smx509.MarshalPKIXPublicKey(pub)
	return err == nil && bytes.Equal(der, cert.RawSubjectPublicKeyInfo)
}
