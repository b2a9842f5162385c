package certs

import (
	"bytes"
	gocrypto "crypto"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/emmansun/gmsm/smx509"

	"github.com/gobcos/gobcos/internal/fileutil"
)

// PEM block types.
const (
	pemCertificate = "CERTIFICATE"
	pemPrivateKey  = "PRIVATE KEY"
	pemCRL         = "X509 CRL"
)

// File names of a node's TLS material inside its directory, as written by
// NodeCert.WriteFiles.
const (
	NodeCertFile = "node.crt" // node certificate followed by its organisation's
	NodeKeyFile  = "node.key" // PKCS#8 TLS key
	EncCertFile  = "enc.crt"  // SM2 only: TLCP encryption certificate + organisation's
	EncKeyFile   = "enc.key"  // SM2 only: PKCS#8 encryption key
)

// EncodeCertsPEM encodes certificates as consecutive PEM blocks.
func EncodeCertsPEM(certs ...*smx509.Certificate) []byte {
	var buf bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&buf, &pem.Block{Type: pemCertificate, Bytes: c.Raw})
	}
	return buf.Bytes()
}

// ParseCertsPEM decodes every CERTIFICATE block of data, in order. Other
// block types are skipped; no certificate at all is an error.
func ParseCertsPEM(data []byte) ([]*smx509.Certificate, error) {
	var out []*smx509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != pemCertificate {
			continue
		}
		c, err := smx509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certs: certificate %d: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: want %s", ErrPEM, pemCertificate)
	}
	return out, nil
}

// EncodeKeyPEM encodes a P-256 or SM2 private key as a PKCS#8 PEM block.
func EncodeKeyPEM(key gocrypto.Signer) ([]byte, error) {
	if _, err := AlgorithmOf(key.Public()); err != nil {
		return nil, err
	}
	der, err := smx509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("certs: encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// ParseKeyPEM decodes the first PKCS#8 PRIVATE KEY block of data.
func ParseKeyPEM(data []byte) (gocrypto.Signer, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("%w: want %s (PKCS#8)", ErrPEM, pemPrivateKey)
		}
		if b.Type != pemPrivateKey {
			continue
		}
		k, err := smx509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certs: private key: %w", err)
		}
		s, ok := k.(gocrypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%w: key type %T", ErrKeyAlgorithm, k)
		}
		if _, err := AlgorithmOf(s.Public()); err != nil {
			return nil, err
		}
		return s, nil
	}
}

// writeFile writes data to path through a temporary file and a rename, so
// a crash never leaves a half-written certificate or key.
func writeFile(path string, data []byte, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return fileutil.WriteAtomic(path, data, perm)
}

// WriteCertsFile writes certificates to a PEM file (mode 0644).
func WriteCertsFile(path string, certs ...*smx509.Certificate) error {
	return writeFile(path, EncodeCertsPEM(certs...), 0o644)
}

// ReadCertsFile reads all certificates of a PEM file.
func ReadCertsFile(path string) ([]*smx509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cs, err := ParseCertsPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cs, nil
}

// WriteKeyFile writes a private key to a PKCS#8 PEM file (mode 0600).
func WriteKeyFile(path string, key gocrypto.Signer) error {
	data, err := EncodeKeyPEM(key)
	if err != nil {
		return err
	}
	return writeFile(path, data, 0o600)
}

// ReadKeyFile reads a PKCS#8 PEM private key file.
func ReadKeyFile(path string) (gocrypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParseKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// WriteFiles writes the authority's certificate and key.
func (a *Authority) WriteFiles(certPath, keyPath string) error {
	if err := WriteCertsFile(certPath, a.Cert); err != nil {
		return err
	}
	return WriteKeyFile(keyPath, a.Key)
}

// LoadAuthority reads an authority written by WriteFiles (or an operator's
// own CA: a PEM certificate and a PKCS#8 key) and checks that the key
// matches the certificate and that it may sign certificates.
func LoadAuthority(certPath, keyPath string) (*Authority, error) {
	cs, err := ReadCertsFile(certPath)
	if err != nil {
		return nil, err
	}
	key, err := ReadKeyFile(keyPath)
	if err != nil {
		return nil, err
	}
	a := &Authority{Cert: cs[0], Key: key}
	if _, err := a.checkIssuer(); err != nil {
		return nil, fmt.Errorf("%s: %w", certPath, err)
	}
	return a, nil
}

// WriteFiles writes the node's material into dir under NodeCertFile,
// NodeKeyFile and, on SM2 trees, EncCertFile and EncKeyFile.
func (n *NodeCert) WriteFiles(dir string) error {
	if err := WriteCertsFile(filepath.Join(dir, NodeCertFile), n.Cert, n.Issuer); err != nil {
		return err
	}
	if err := WriteKeyFile(filepath.Join(dir, NodeKeyFile), n.Key); err != nil {
		return err
	}
	if n.EncCert == nil {
		return nil
	}
	if err := WriteCertsFile(filepath.Join(dir, EncCertFile), n.EncCert, n.Issuer); err != nil {
		return err
	}
	return WriteKeyFile(filepath.Join(dir, EncKeyFile), n.EncKey)
}

// LoadNodeCert reads a node's material written by WriteFiles from dir and
// checks that keys match certificates, that the node certificate carries a
// binding, and that SM2 nodes have their encryption pair.
func LoadNodeCert(dir string) (*NodeCert, error) {
	cs, err := ReadCertsFile(filepath.Join(dir, NodeCertFile))
	if err != nil {
		return nil, err
	}
	if len(cs) < 2 {
		return nil, fmt.Errorf("%s: want the node certificate followed by its organisation's, found %d certificate(s)", filepath.Join(dir, NodeCertFile), len(cs))
	}
	key, err := ReadKeyFile(filepath.Join(dir, NodeKeyFile))
	if err != nil {
		return nil, err
	}
	n := &NodeCert{Cert: cs[0], Key: key, Issuer: cs[1]}
	if !samePublicKey(n.Cert, key.Public()) {
		return nil, fmt.Errorf("%s: %w: key does not match the node certificate", dir, ErrKeyAlgorithm)
	}
	if _, err := ParseBinding(n.Cert); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, NodeCertFile), err)
	}
	alg, err := AlgorithmOf(n.Cert.PublicKey)
	if err != nil {
		return nil, err
	}
	if alg != SM2 {
		return n, nil
	}
	ecs, err := ReadCertsFile(filepath.Join(dir, EncCertFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: SM2 nodes need %s and %s for GM TLS: %w", dir, EncCertFile, EncKeyFile, err)
	}
	if err != nil {
		return nil, err
	}
	ekey, err := ReadKeyFile(filepath.Join(dir, EncKeyFile))
	if err != nil {
		return nil, err
	}
	n.EncCert, n.EncKey = ecs[0], ekey
	if !samePublicKey(n.EncCert, ekey.Public()) {
		return nil, fmt.Errorf("%s: %w: key does not match the encryption certificate", dir, ErrKeyAlgorithm)
	}
	return n, nil
}
