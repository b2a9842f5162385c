package network

import (
	"errors"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/network/certs"
)

func chainOf(n *testNode) [][]byte {
	return [][]byte{n.cert.Cert.Raw, n.cert.Issuer.Raw}
}

func forSuites(t *testing.T, f func(t *testing.T, s crypto.Suite)) {
	for _, s := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(s.Name(), func(t *testing.T) { f(t, s) })
	}
}

func TestAdmissionRefusals(t *testing.T) {
	forSuites(t, func(t *testing.T, s crypto.Suite) {
		p := newPKI(t, s)
		org := p.org(t, "org1")
		good := p.node(t, org, "good", validAround(testNow))
		allowed := p.node(t, org, "allowed", validAround(testNow))
		outsider := p.node(t, org, "outsider", validAround(testNow))
		denied := p.node(t, org, "denied", validAround(testNow))
		expired := p.node(t, org, "expired", certs.ValidFor(testNow.Add(-48*time.Hour), time.Hour))
		future := p.node(t, org, "future", certs.ValidFor(testNow.Add(time.Hour), time.Hour))
		revoked := p.node(t, org, "revoked", validAround(testNow))
		other := newPKI(t, s)
		foreign := other.node(t, other.org(t, "org1"), "foreign", validAround(testNow))

		// An organisation whose own certificate expired.
		oldOrg, err := p.ca.IssueOrg("oldorg", certs.ValidFor(testNow.Add(-72*time.Hour), time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		underOld := p.node(t, oldOrg, "underold", certs.ValidFor(testNow.Add(-72*time.Hour), 200*time.Hour))

		// A revoked organisation: the CA's CRL lists it.
		badOrg := p.org(t, "badorg")
		underBad := p.node(t, badOrg, "underbad", validAround(testNow))

		orgCRL, err := org.IssueCRL(1, testNow, testNow.Add(time.Hour), certs.Revocation{Serial: revoked.cert.Cert.SerialNumber, Time: testNow})
		if err != nil {
			t.Fatal(err)
		}
		caCRL, err := p.ca.IssueCRL(1, testNow, testNow.Add(time.Hour), certs.Revocation{Serial: badOrg.Cert.SerialNumber, Time: testNow})
		if err != nil {
			t.Fatal(err)
		}
		// A CRL naming org1 but signed by another tree's org1: its entries
		// must be ignored.
		forgedCRL, err := other.org(t, "org1").IssueCRL(1, testNow, testNow.Add(time.Hour), certs.Revocation{Serial: good.cert.Cert.SerialNumber, Time: testNow})
		if err != nil {
			t.Fatal(err)
		}
		var crls []*smx509.RevocationList
		for _, der := range [][]byte{orgCRL, caCRL, forgedCRL} {
			rl, err := certs.ParseCRL(der)
			if err != nil {
				t.Fatal(err)
			}
			crls = append(crls, rl)
		}
		list := newMemberList(good, denied, expired, future, revoked, foreign, underOld, underBad)
		adm := newAdmission(t, p, list, func(c *AdmissionConfig) {
			c.CRLs = crls
			c.Allow = []NodeID{allowed.id, denied.id}
			c.Deny = []NodeID{denied.id}
		})

		for _, tc := range []struct {
			node   *testNode
			chain  [][]byte
			err    error
			reason RefusalReason
		}{
			{good, nil, nil, ""},
			{allowed, nil, nil, ""},
			{outsider, nil, ErrNotInNodeList, ReasonNotInNodeList},
			{denied, nil, ErrDenied, ReasonDenied},
			{expired, nil, ErrCertExpired, ReasonExpired},
			{future, nil, ErrCertExpired, ReasonExpired},
			{underOld, nil, ErrCertExpired, ReasonExpired},
			{revoked, nil, ErrCertRevoked, ReasonRevoked},
			{underBad, nil, ErrCertRevoked, ReasonRevoked},
			{foreign, nil, ErrUntrustedCA, ReasonUntrustedCA},
			{good, [][]byte{good.cert.Cert.Raw}, ErrUntrustedCA, ReasonUntrustedCA}, // organisation cert missing
			{good, [][]byte{}, ErrNoCertificate, ReasonNoCertificate},
			{good, [][]byte{{1, 2, 3}}, ErrBadCertificate, ReasonBadCertificate},
			{good, [][]byte{org.Cert.Raw}, ErrBadCertificate, ReasonBadCertificate}, // an authority, no binding
		} {
			chain := tc.chain
			if chain == nil {
				chain = chainOf(tc.node)
			}
			id, err := adm.Admit(chain)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Errorf("%s: got %v, want %v", tc.node.name, err, tc.err)
				continue
			}
			if got := ReasonOf(err); got != tc.reason {
				t.Errorf("%s: reason %q, want %q", tc.node.name, got, tc.reason)
			}
			if err == nil && (id.NodeID != tc.node.id || id.Name != tc.node.name || id.Org != "org1") {
				t.Errorf("%s: identity %+v", tc.node.name, id)
			}
		}
		want := map[RefusalReason]uint64{
			ReasonNotInNodeList: 1, ReasonDenied: 1, ReasonExpired: 3, ReasonRevoked: 2,
			ReasonUntrustedCA: 2, ReasonNoCertificate: 1, ReasonBadCertificate: 2,
		}
		got := adm.Refusals()
		for r, n := range want {
			if got[r] != n {
				t.Errorf("refusals[%s] = %d, want %d (all: %v)", r, got[r], n, got)
			}
		}
		if len(got) != len(want) {
			t.Errorf("refusals %v", got)
		}

		// Lists change at run time; the deny-list still wins.
		adm.SetDenyList(nil)
		if _, err := adm.Admit(chainOf(denied)); err != nil {
			t.Errorf("after removing the deny entry: %v", err)
		}
		adm.SetDenyList([]NodeID{good.id})
		if _, err := adm.Admit(chainOf(good)); !errors.Is(err, ErrDenied) {
			t.Errorf("deny over node list: %v", err)
		}
		adm.SetCRLs(nil)
		if _, err := adm.Admit(chainOf(revoked)); err != nil {
			t.Errorf("after dropping CRLs: %v", err)
		}
	})
}

// Several CAs may be trusted at once.
func TestAdmissionSeveralCAs(t *testing.T) {
	s := crypto.ECDSA()
	p1, p2 := newPKI(t, s), newPKI(t, s)
	n1 := p1.node(t, p1.org(t, "a"), "n1", validAround(testNow))
	n2 := p2.node(t, p2.org(t, "b"), "n2", validAround(testNow))
	adm := newAdmission(t, p1, newMemberList(n1, n2), func(c *AdmissionConfig) {
		c.TrustedCAs = append(c.TrustedCAs, p2.ca.Cert)
	})
	for _, n := range []*testNode{n1, n2} {
		if _, err := adm.Admit(chainOf(n)); err != nil {
			t.Errorf("%s: %v", n.name, err)
		}
	}
}

// A certificate of the other suite's tree is refused even under a trusted
// CA of the right algorithm: node ids must be of the chain's suite.
func TestAdmissionWrongSuite(t *testing.T) {
	p := newPKI(t, crypto.SM())
	n := p.node(t, p.org(t, "o"), "n", validAround(testNow))
	if _, err := NewAdmission(AdmissionConfig{Suite: crypto.ECDSA(), TrustedCAs: []*smx509.Certificate{p.ca.Cert}}); !errors.Is(err, ErrConfig) {
		t.Fatalf("SM2 CA for an ecdsa chain: %v", err)
	}
	adm := newAdmission(t, p, newMemberList(n), nil)
	if _, err := adm.Admit(chainOf(n)); err != nil {
		t.Fatal(err)
	}
	pe := newPKI(t, crypto.ECDSA())
	ne := pe.node(t, pe.org(t, "o"), "e", validAround(testNow))
	if _, err := adm.Admit(chainOf(ne)); !errors.Is(err, ErrBadCertificate) {
		t.Fatalf("P-256 node on an SM chain: %v", err)
	}
}

func TestAdmissionConfigErrors(t *testing.T) {
	p := newPKI(t, crypto.ECDSA())
	n := p.node(t, p.org(t, "o"), "n", validAround(testNow))
	for _, cfg := range []AdmissionConfig{
		{TrustedCAs: []*smx509.Certificate{p.ca.Cert}},
		{Suite: crypto.ECDSA()},
		{Suite: crypto.ECDSA(), TrustedCAs: []*smx509.Certificate{n.cert.Cert}},
	} {
		if _, err := NewAdmission(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	if _, err := ParseNodeID(make([]byte, 64)); !errors.Is(err, ErrConfig) {
		t.Error(err)
	}
	id, err := NodeIDFromHex("0x" + n.id.String())
	if err != nil || id != n.id {
		t.Errorf("NodeIDFromHex: %v", err)
	}
}
