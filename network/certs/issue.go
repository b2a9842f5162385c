package certs

import (
	gocrypto "crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/gobcos/gobcos/crypto"
)

// Validity is the period a certificate is valid in.
type Validity struct {
	NotBefore, NotAfter time.Time
}

// ValidFor returns the validity starting at from and lasting d.
func ValidFor(from time.Time, d time.Duration) Validity {
	return Validity{NotBefore: from, NotAfter: from.Add(d)}
}

func (v Validity) check() error {
	if !v.NotAfter.After(v.NotBefore) {
		return fmt.Errorf("%w: %s .. %s", ErrValidity, v.NotBefore.Format(time.RFC3339), v.NotAfter.Format(time.RFC3339))
	}
	return nil
}

// Authority is a certificate that signs others (the chain CA or an
// organisation) with its private key.
type Authority struct {
	Cert *smx509.Certificate
	Key  gocrypto.Signer
}

// Algorithm is the key algorithm of the authority.
func (a *Authority) Algorithm() (KeyAlgorithm, error) { return AlgorithmOf(a.Cert.PublicKey) }

// NodeCert is a node's TLS identity: its certificate (carrying the node-id
// binding), the TLS private key, the issuing organisation's certificate and,
// on SM2 trees, the TLCP encryption certificate and key.
type NodeCert struct {
	Cert    *smx509.Certificate
	Key     gocrypto.Signer
	EncCert *smx509.Certificate // SM2 only
	EncKey  gocrypto.Signer     // SM2 only
	Issuer  *smx509.Certificate // the organisation certificate
}

// Chain is the certificate chain a node presents: its certificate, then
// its organisation's.
func (n *NodeCert) Chain() []*smx509.Certificate {
	return []*smx509.Certificate{n.Cert, n.Issuer}
}

// NodeID returns the node id bound in the certificate (without verifying
// the proof).
func (n *NodeCert) NodeID() ([]byte, error) {
	b, err := ParseBinding(n.Cert)
	if err != nil {
		return nil, err
	}
	return b.NodeID, nil
}

// GenerateKey makes a new certificate key of the algorithm.
func GenerateKey(alg KeyAlgorithm) (gocrypto.Signer, error) {
	switch alg {
	case P256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case SM2:
		return sm2.GenerateKey(rand.Reader)
	}
	return nil, fmt.Errorf("%w: %v", ErrKeyAlgorithm, alg)
}

func randomSerial() (*big.Int, error) {
	// 127 random bits: positive and well under the 20-octet limit.
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	s, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, err
	}
	return s.Add(s, big.NewInt(1)), nil
}

// create signs template with the issuer key and parses the result.
func create(alg KeyAlgorithm, template, parent *x509.Certificate, pub any, signer gocrypto.Signer) (*smx509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	template.SerialNumber = serial
	if alg == SM2 {
		// Explicit, as some GM TLS stacks fail to verify otherwise.
		template.SignatureAlgorithm = smx509.SM2WithSM3
	} else {
		template.SignatureAlgorithm = x509.ECDSAWithSHA256
	}
	der, err := smx509.CreateCertificate(rand.Reader, template, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("certs: creating certificate %q: %w", template.Subject.CommonName, err)
	}
	return smx509.ParseCertificate(der)
}

// GenerateCA creates a self-signed chain CA with a new key.
func GenerateCA(alg KeyAlgorithm, commonName string, v Validity) (*Authority, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	return newAuthority(alg, authorityTemplate(commonName, v, x509.KeyUsageCertSign|x509.KeyUsageCRLSign, 1), nil)
}

// authorityTemplate is the certificate of an authority named name that
// may sign maxPathLen levels of authorities below it: 1 for the chain CA
// (organisations), 0 for an organisation.
func authorityTemplate(name string, v Validity, usage x509.KeyUsage, maxPathLen int) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: name, Organization: []string{name}},
		NotBefore:             v.NotBefore,
		NotAfter:              v.NotAfter,
		KeyUsage:              usage,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            maxPathLen,
		MaxPathLenZero:        maxPathLen == 0,
	}
}

// newAuthority creates a key of alg and the certificate tmpl for it, signed
// by parent, or self-signed when parent is nil.
func newAuthority(alg KeyAlgorithm, tmpl *x509.Certificate, parent *Authority) (*Authority, error) {
	key, err := GenerateKey(alg)
	if err != nil {
		return nil, err
	}
	issuer, signer := tmpl, key
	if parent != nil {
		issuer, signer = parent.Cert.ToX509(), parent.Key
	}
	cert, err := create(alg, tmpl, issuer, key.Public(), signer)
	if err != nil {
		return nil, err
	}
	return &Authority{Cert: cert, Key: key}, nil
}

// checkIssuer verifies a can sign certificates and returns its algorithm.
func (a *Authority) checkIssuer() (KeyAlgorithm, error) {
	if a == nil || a.Cert == nil || a.Key == nil {
		return 0, fmt.Errorf("%w: missing certificate or key", ErrNotAuthority)
	}
	if !a.Cert.IsCA || a.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return 0, fmt.Errorf("%w: %q", ErrNotAuthority, a.Cert.Subject.CommonName)
	}
	alg, err := AlgorithmOf(a.Cert.PublicKey)
	if err != nil {
		return 0, err
	}
	if !samePublicKey(a.Cert, a.Key.Public()) {
		return 0, fmt.Errorf("%w: the private key does not match certificate %q", ErrKeyAlgorithm, a.Cert.Subject.CommonName)
	}
	return alg, nil
}

// IssueOrg creates an organisation certificate signed by the CA a, with a
// new key of the CA's algorithm. Organisations may sign node certificates
// and CRLs but no further authorities.
func (a *Authority) IssueOrg(org string, v Validity) (*Authority, error) {
	alg, err := a.checkIssuer()
	if err != nil {
		return nil, err
	}
	if err := v.check(); err != nil {
		return nil, err
	}
	return newAuthority(alg, authorityTemplate(org, v, x509.KeyUsageCertSign|x509.KeyUsageCRLSign|x509.KeyUsageDigitalSignature, 0), a)
}

// NodeRequest describes a node certificate to issue.
type NodeRequest struct {
	// Name is the node's name, the certificate's common name (e.g. "node0").
	Name string
	// ConsensusKey is the node's consensus key; its public key becomes the
	// node id and it signs the binding proof. It must belong to the suite
	// matching the organisation's key algorithm.
	ConsensusKey crypto.PrivateKey
	// Validity of the certificate.
	Validity Validity
}

// IssueNode creates a node's TLS key and certificate signed by the
// organisation a, binding req.ConsensusKey's public key as the node id.
// On SM2 trees it also creates the TLCP encryption key and certificate.
func (a *Authority) IssueNode(req NodeRequest) (*NodeCert, error) {
	alg, err := a.checkIssuer()
	if err != nil {
		return nil, err
	}
	if err := req.Validity.check(); err != nil {
		return nil, err
	}
	if req.ConsensusKey == nil || req.ConsensusKey.SuiteName() != alg.SuiteName() {
		got := "none"
		if req.ConsensusKey != nil {
			got = req.ConsensusKey.SuiteName()
		}
		return nil, fmt.Errorf("%w: %s tree needs a %q consensus key, got %s", ErrSuiteMismatch, alg, alg.SuiteName(), got)
	}
	org := a.Cert.Subject.CommonName
	n := &NodeCert{Issuer: a.Cert}
	n.Cert, n.Key, err = a.issueNodeCert(alg, req, org, "node", x509.KeyUsageDigitalSignature,
		[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth})
	if err != nil {
		return nil, err
	}
	if alg == SM2 {
		n.EncCert, n.EncKey, err = a.issueNodeCert(alg, req, org, "node-enc",
			x509.KeyUsageKeyEncipherment|x509.KeyUsageDataEncipherment|x509.KeyUsageKeyAgreement,
			[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth})
		if err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (a *Authority) issueNodeCert(alg KeyAlgorithm, req NodeRequest, org, unit string, ku x509.KeyUsage, eku []x509.ExtKeyUsage) (*smx509.Certificate, gocrypto.Signer, error) {
	key, err := GenerateKey(alg)
	if err != nil {
		return nil, nil, err
	}
	spki, err := smx509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, nil, err
	}
	binding, err := makeBinding(req.ConsensusKey, spki)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		Subject: pkix.Name{
			CommonName:         req.Name,
			Organization:       []string{org},
			OrganizationalUnit: []string{unit},
		},
		NotBefore:             req.Validity.NotBefore,
		NotAfter:              req.Validity.NotAfter,
		KeyUsage:              ku,
		ExtKeyUsage:           eku,
		BasicConstraintsValid: true,
		ExtraExtensions:       []pkix.Extension{{Id: OIDNodeBinding, Value: binding}},
	}
	cert, err := create(alg, tmpl, a.Cert.ToX509(), key.Public(), a.Key)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}
