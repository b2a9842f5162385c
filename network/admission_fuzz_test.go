package network

import (
	"errors"
	"testing"

	"github.com/gobcos/gobcos/crypto"
)

// FuzzAdmit feeds admission the certificates a peer presents in its TLS
// handshake, before anything about the peer is known: a leaf, an optional
// intermediate and, on SM chains, the TLCP encryption certificate, each any
// bytes. Admission must never panic, must refuse with one of its refusal
// reasons, and may admit only the one node of its node list, whose real
// certificates the seeds hold (with truncated, swapped and mixed-suite
// variants).
//
//	go test ./network -run '^$' -fuzz FuzzAdmit -fuzztime 60s
func FuzzAdmit(f *testing.F) {
	type side struct {
		adm    *Admission
		member *testNode
	}
	sides := map[bool]side{}
	for _, sm := range []bool{false, true} {
		suite := crypto.ECDSA()
		if sm {
			suite = crypto.SM()
		}
		p := newPKI(f, suite)
		org := p.org(f, "org1")
		member := p.node(f, org, "node0", validAround(testNow))
		outsider := p.node(f, org, "node1", validAround(testNow))
		sides[sm] = side{adm: newAdmission(f, p, newMemberList(member), nil), member: member}

		leaf, inter := member.cert.Cert.Raw, member.cert.Issuer.Raw
		var enc []byte
		if member.cert.EncCert != nil {
			enc = member.cert.EncCert.Raw
		}
		f.Add(sm, leaf, inter, enc)                                // admitted
		f.Add(sm, outsider.cert.Cert.Raw, inter, enc)              // not in the node list
		f.Add(sm, leaf, []byte(nil), enc)                          // no intermediate
		f.Add(sm, inter, leaf, enc)                                // swapped
		f.Add(sm, leaf[:len(leaf)/2], inter, enc)                  // truncated leaf
		f.Add(sm, leaf, inter[:len(inter)-1], enc)                 // truncated intermediate
		f.Add(sm, leaf, inter, outsider.cert.Cert.Raw)             // another node's companion
		f.Add(!sm, leaf, inter, enc)                               // the other suite's chain
		f.Add(sm, p.ca.Cert.Raw, []byte(nil), []byte(nil))         // the CA itself
		f.Add(sm, []byte{0x30, 0x82, 0xff, 0xff}, inter, []byte{}) // a DER header and nothing
	}
	f.Fuzz(func(t *testing.T, sm bool, leaf, inter, companion []byte) {
		s := sides[sm]
		chain := [][]byte{leaf}
		if len(inter) > 0 {
			chain = append(chain, inter)
		}
		var id Identity
		var err error
		if sm && companion != nil {
			id, err = s.adm.admit(chain, companion)
		} else {
			id, err = s.adm.Admit(chain)
		}
		if err != nil {
			if ReasonOf(err) == "" {
				t.Fatalf("refused without a refusal reason: %v", err)
			}
			return
		}
		if id.NodeID != s.member.id {
			t.Fatalf("admitted node %s, but only %s is in the node list", id.NodeID.Short(), s.member.id.Short())
		}
	})
}

// TestFuzzAdmitSeedAdmits checks that FuzzAdmit's first seed of each suite
// is admitted, so the fuzz target reaches the admitting path.
func TestFuzzAdmitSeedAdmits(t *testing.T) {
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		p := newPKI(t, suite)
		member := p.node(t, p.org(t, "org1"), "node0", validAround(testNow))
		adm := newAdmission(t, p, newMemberList(member), nil)
		chain := [][]byte{member.cert.Cert.Raw, member.cert.Issuer.Raw}
		var id Identity
		var err error
		if member.cert.EncCert != nil {
			id, err = adm.admit(chain, member.cert.EncCert.Raw)
		} else {
			id, err = adm.Admit(chain)
		}
		if err != nil || id.NodeID != member.id {
			t.Fatalf("%s: the member's own chain: id %v, err %v", suite.Name(), id.NodeID, err)
		}
		if _, err := adm.Admit([][]byte{member.cert.Cert.Raw[:10]}); !errors.Is(err, ErrBadCertificate) {
			t.Fatalf("%s: a truncated leaf: err %v, want ErrBadCertificate", suite.Name(), err)
		}
	}
}
