package certs

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// Revocation is one entry of a CRL.
type Revocation struct {
	Serial *big.Int
	Time   time.Time
	// Reason is an RFC 5280 CRLReason code (0 unspecified, 1 keyCompromise...).
	Reason int
}

// IssueCRL creates a DER certificate revocation list signed by the
// authority (the CA or an organisation). number must grow with every new
// list the authority issues.
func (a *Authority) IssueCRL(number int64, thisUpdate, nextUpdate time.Time, revoked ...Revocation) ([]byte, error) {
	alg, err := a.checkIssuer()
	if err != nil {
		return nil, err
	}
	if a.Cert.KeyUsage&x509.KeyUsageCRLSign == 0 {
		return nil, fmt.Errorf("%w: %q lacks cRLSign", ErrNotAuthority, a.Cert.Subject.CommonName)
	}
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(number),
		ThisUpdate: thisUpdate,
		NextUpdate: nextUpdate,
	}
	if alg == SM2 {
		tmpl.SignatureAlgorithm = smx509.SM2WithSM3
	} else {
		tmpl.SignatureAlgorithm = x509.ECDSAWithSHA256
	}
	for _, r := range revoked {
		if r.Serial == nil {
			return nil, fmt.Errorf("certs: revocation without a serial number")
		}
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{
			SerialNumber: r.Serial, RevocationTime: r.Time, ReasonCode: r.Reason,
		})
	}
	der, err := smx509.CreateRevocationList(rand.Reader, tmpl, a.Cert, a.Key)
	if err != nil {
		return nil, fmt.Errorf("certs: creating CRL: %w", err)
	}
	return der, nil
}

// EncodeCRLPEM wraps a DER CRL in a PEM block.
func EncodeCRLPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: pemCRL, Bytes: der})
}

// ParseCRL parses a CRL in PEM ("X509 CRL") or DER form. It does not check
// the signature: admission checks it against the issuer found in a peer's
// verified chain.
func ParseCRL(data []byte) (*smx509.RevocationList, error) {
	if b, _ := pem.Decode(data); b != nil {
		if b.Type != pemCRL {
			return nil, fmt.Errorf("%w: want %s, found %s", ErrPEM, pemCRL, b.Type)
		}
		data = b.Bytes
	} else if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----")) {
		return nil, fmt.Errorf("%w: malformed PEM", ErrPEM)
	}
	rl, err := smx509.ParseRevocationList(data)
	if err != nil {
		return nil, fmt.Errorf("certs: CRL: %w", err)
	}
	return rl, nil
}

// WriteCRLFile writes a DER CRL as a PEM file (mode 0644).
func WriteCRLFile(path string, der []byte) error {
	return writeFile(path, EncodeCRLPEM(der), 0o644)
}

// ReadCRLFile reads a PEM or DER CRL file.
func ReadCRLFile(path string) (*smx509.RevocationList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rl, err := ParseCRL(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rl, nil
}
