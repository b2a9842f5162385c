package certs

import (
	"bytes"
	"crypto/x509"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/gobcos/gobcos/crypto"
)

var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

type tree struct {
	suite crypto.Suite
	ca    *Authority
	org   *Authority
	node  *NodeCert
	ckey  crypto.PrivateKey
}

func newTree(t *testing.T, suite crypto.Suite) *tree {
	t.Helper()
	alg, err := AlgorithmForSuite(suite.Name())
	if err != nil {
		t.Fatal(err)
	}
	v := ValidFor(testNow.Add(-time.Hour), 24*time.Hour)
	ca, err := GenerateCA(alg, "test chain CA", v)
	if err != nil {
		t.Fatal(err)
	}
	org, err := ca.IssueOrg("org1", v)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	n, err := org.IssueNode(NodeRequest{Name: "node0", ConsensusKey: ck, Validity: v})
	if err != nil {
		t.Fatal(err)
	}
	return &tree{suite: suite, ca: ca, org: org, node: n, ckey: ck}
}

func forSuites(t *testing.T, f func(t *testing.T, s crypto.Suite)) {
	for _, s := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(s.Name(), func(t *testing.T) { f(t, s) })
	}
}

func TestIssueAndVerifyChain(t *testing.T) {
	forSuites(t, func(t *testing.T, s crypto.Suite) {
		tr := newTree(t, s)
		wantAlg, _ := AlgorithmForSuite(s.Name())
		for _, c := range []*smx509.Certificate{tr.ca.Cert, tr.org.Cert, tr.node.Cert} {
			if alg, err := AlgorithmOf(c.PublicKey); err != nil || alg != wantAlg {
				t.Fatalf("%s: algorithm %v, %v; want %v", c.Subject.CommonName, alg, err, wantAlg)
			}
		}
		roots := smx509.NewCertPool()
		roots.AddCert(tr.ca.Cert)
		inter := smx509.NewCertPool()
		inter.AddCert(tr.org.Cert)
		opts := smx509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: testNow,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		if _, err := tr.node.Cert.Verify(opts); err != nil {
			t.Fatalf("node chain: %v", err)
		}
		if s.Name() == crypto.NameSM {
			if tr.node.EncCert == nil || tr.node.EncKey == nil {
				t.Fatal("SM node without encryption pair")
			}
			if _, err := tr.node.EncCert.Verify(opts); err != nil {
				t.Fatalf("enc chain: %v", err)
			}
			if tr.node.EncCert.KeyUsage&x509.KeyUsageKeyEncipherment == 0 || tr.node.EncCert.SignatureAlgorithm != smx509.SM2WithSM3 {
				t.Fatalf("enc cert profile: usage %v alg %v", tr.node.EncCert.KeyUsage, tr.node.EncCert.SignatureAlgorithm)
			}
		} else if tr.node.EncCert != nil {
			t.Fatal("P-256 node with an encryption pair")
		}
		// The CA is self-signed and may sign one level of authorities;
		// an organisation, signed by it, none, but it signs CRLs and data.
		if ca := tr.ca.Cert; ca.CheckSignatureFrom(ca) != nil || !ca.IsCA || ca.MaxPathLen != 1 ||
			ca.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign || ca.Subject.Organization[0] != "test chain CA" {
			t.Fatalf("CA profile: %+v", ca)
		}
		if org := tr.org.Cert; org.CheckSignatureFrom(tr.ca.Cert) != nil || !org.IsCA || org.MaxPathLen != 0 || !org.MaxPathLenZero ||
			org.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign|x509.KeyUsageDigitalSignature || org.Subject.CommonName != "org1" {
			t.Fatalf("organisation profile: %+v", org)
		}
		// An organisation may not sign authorities (MaxPathLen 0): a node
		// under a sub-organisation must not verify.
		sub, err := tr.org.IssueOrg("sub", ValidFor(testNow.Add(-time.Hour), 2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		subNode, err := sub.IssueNode(NodeRequest{Name: "n", ConsensusKey: tr.ckey, Validity: ValidFor(testNow.Add(-time.Hour), 2*time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		inter2 := smx509.NewCertPool()
		inter2.AddCert(tr.org.Cert)
		inter2.AddCert(sub.Cert)
		opts2 := opts
		opts2.Intermediates = inter2
		if _, err := subNode.Cert.Verify(opts2); err == nil {
			t.Fatal("node under a sub-organisation verified despite the org's path length 0")
		}
		id, err := VerifyBinding(tr.node.Cert, s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(id, tr.ckey.PublicKey()) {
			t.Fatal("bound node id is not the consensus public key")
		}
		if s.Name() == crypto.NameSM {
			if eid, err := VerifyBinding(tr.node.EncCert, s); err != nil || !bytes.Equal(eid, id) {
				t.Fatalf("enc binding: %v", err)
			}
		}
		other := crypto.ECDSA()
		if s.Name() == crypto.NameECDSA {
			other = crypto.SM()
		}
		if _, err := VerifyBinding(tr.node.Cert, other); !errors.Is(err, ErrBadBinding) {
			t.Fatalf("binding under the wrong suite: %v", err)
		}
		if _, err := VerifyBinding(tr.org.Cert, s); !errors.Is(err, ErrNoBinding) {
			t.Fatalf("org cert binding: %v", err)
		}
	})
}

// A binding copied onto another TLS key must not verify: the proof covers
// the TLS public key.
func TestBindingProofCoversTLSKey(t *testing.T) {
	forSuites(t, func(t *testing.T, s crypto.Suite) {
		tr := newTree(t, s)
		b, err := ParseBinding(tr.node.Cert)
		if err != nil {
			t.Fatal(err)
		}
		// Issue a second node cert for another consensus key, then graft
		// the first node's binding into a cert for the second TLS key.
		alg, _ := AlgorithmForSuite(s.Name())
		key, _ := GenerateKey(alg)
		tmpl := tr.node.Cert.ToX509()
		tmpl2 := *tmpl
		tmpl2.ExtraExtensions = nil
		for _, e := range tmpl.Extensions {
			if e.Id.Equal(OIDNodeBinding) {
				tmpl2.ExtraExtensions = append(tmpl2.ExtraExtensions, e)
			}
		}
		tmpl2.Extensions = nil
		forged, err := create(alg, &tmpl2, tr.org.Cert.ToX509(), key.Public(), tr.org.Key)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := ParseBinding(forged)
		if err != nil || !bytes.Equal(b2.NodeID, b.NodeID) {
			t.Fatalf("forged binding not grafted: %v", err)
		}
		if _, err := VerifyBinding(forged, s); !errors.Is(err, ErrBadBinding) {
			t.Fatalf("grafted binding verified: %v", err)
		}
	})
}

func TestIssueNodeSuiteMismatch(t *testing.T) {
	tr := newTree(t, crypto.ECDSA())
	smKey, _ := crypto.SM().GenerateKey()
	_, err := tr.org.IssueNode(NodeRequest{Name: "x", ConsensusKey: smKey, Validity: ValidFor(testNow, time.Hour)})
	if !errors.Is(err, ErrSuiteMismatch) {
		t.Fatalf("got %v, want ErrSuiteMismatch", err)
	}
	ck, _ := crypto.ECDSA().GenerateKey()
	if _, err := tr.org.IssueNode(NodeRequest{Name: "x", ConsensusKey: ck, Validity: Validity{testNow, testNow}}); !errors.Is(err, ErrValidity) {
		t.Fatalf("empty validity: %v", err)
	}
	leaf := &Authority{Cert: tr.node.Cert, Key: tr.node.Key}
	if _, err := leaf.IssueNode(NodeRequest{Name: "x", ConsensusKey: ck, Validity: ValidFor(testNow, time.Hour)}); !errors.Is(err, ErrNotAuthority) {
		t.Fatalf("node cert used as issuer: %v", err)
	}
}

func TestFilesRoundTrip(t *testing.T) {
	forSuites(t, func(t *testing.T, s crypto.Suite) {
		tr := newTree(t, s)
		dir := t.TempDir()
		if err := tr.ca.WriteFiles(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")); err != nil {
			t.Fatal(err)
		}
		ca, err := LoadAuthority(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"))
		if err != nil {
			t.Fatal(err)
		}
		if !ca.Cert.Equal(tr.ca.Cert) {
			t.Fatal("CA certificate changed")
		}
		// The loaded CA can still issue.
		if _, err := ca.IssueOrg("org2", ValidFor(testNow, time.Hour)); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(filepath.Join(dir, "ca.key")); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file mode: %v %v", fi.Mode(), err)
		}
		nd := filepath.Join(dir, "node0")
		if err := tr.node.WriteFiles(nd); err != nil {
			t.Fatal(err)
		}
		n, err := LoadNodeCert(nd)
		if err != nil {
			t.Fatal(err)
		}
		if !n.Cert.Equal(tr.node.Cert) || !n.Issuer.Equal(tr.org.Cert) {
			t.Fatal("node certificates changed")
		}
		if s.Name() == crypto.NameSM && (n.EncCert == nil || !n.EncCert.Equal(tr.node.EncCert)) {
			t.Fatal("enc certificate lost")
		}
		id, err := n.NodeID()
		if err != nil || !bytes.Equal(id, tr.ckey.PublicKey()) {
			t.Fatalf("node id after reload: %v", err)
		}
		// Mismatched key is refused.
		other, _ := GenerateKey(P256)
		if s.Name() == crypto.NameSM {
			other, _ = GenerateKey(SM2)
		}
		if err := WriteKeyFile(filepath.Join(nd, NodeKeyFile), other); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadNodeCert(nd); !errors.Is(err, ErrKeyAlgorithm) {
			t.Fatalf("mismatched key: %v", err)
		}
	})
}

func TestParseErrors(t *testing.T) {
	if _, err := ParseCertsPEM([]byte("nothing")); !errors.Is(err, ErrPEM) {
		t.Fatal(err)
	}
	if _, err := ParseKeyPEM([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")); !errors.Is(err, ErrPEM) {
		t.Fatal(err)
	}
	if _, err := ParseCRL([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")); !errors.Is(err, ErrPEM) {
		t.Fatal(err)
	}
	if _, err := ParseCRL([]byte{0x30, 0x03, 1, 2, 3}); err == nil {
		t.Fatal("garbage CRL parsed")
	}
}

func TestCRL(t *testing.T) {
	forSuites(t, func(t *testing.T, s crypto.Suite) {
		tr := newTree(t, s)
		for _, issuer := range []*Authority{tr.ca, tr.org} {
			der, err := issuer.IssueCRL(1, testNow, testNow.Add(24*time.Hour),
				Revocation{Serial: tr.node.Cert.SerialNumber, Time: testNow, Reason: 1},
				Revocation{Serial: big.NewInt(7), Time: testNow})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "revoked.crl")
			if err := WriteCRLFile(path, der); err != nil {
				t.Fatal(err)
			}
			rl, err := ReadCRLFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := rl.CheckSignatureFrom(issuer.Cert); err != nil {
				t.Fatalf("CRL signature: %v", err)
			}
			if !bytes.Equal(rl.RawIssuer, issuer.Cert.RawSubject) {
				t.Fatal("CRL issuer name")
			}
			if len(rl.RevokedCertificateEntries) != 2 || rl.RevokedCertificateEntries[0].SerialNumber.Cmp(tr.node.Cert.SerialNumber) != 0 {
				t.Fatalf("entries: %+v", rl.RevokedCertificateEntries)
			}
			// DER form parses too.
			if _, err := ParseCRL(der); err != nil {
				t.Fatal(err)
			}
		}
		// A node certificate cannot sign CRLs.
		leaf := &Authority{Cert: tr.node.Cert, Key: tr.node.Key}
		if _, err := leaf.IssueCRL(1, testNow, testNow.Add(time.Hour)); !errors.Is(err, ErrNotAuthority) {
			t.Fatalf("leaf CRL: %v", err)
		}
	})
}
