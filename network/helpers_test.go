package network

import (
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/network/certs"
)

var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("GOBCOS_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
}

// testPKI is a chain CA with organisations, issuing node identities.
type testPKI struct {
	suite crypto.Suite
	ca    *certs.Authority
	orgs  map[string]*certs.Authority
}

func validAround(now time.Time) certs.Validity {
	return certs.ValidFor(now.Add(-24*time.Hour), 48*time.Hour)
}

func newPKI(t testing.TB, suite crypto.Suite) *testPKI {
	t.Helper()
	alg, err := certs.AlgorithmForSuite(suite.Name())
	if err != nil {
		t.Fatal(err)
	}
	ca, err := certs.GenerateCA(alg, "test CA "+suite.Name(), certs.ValidFor(testNow.AddDate(-1, 0, 0), 2*365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return &testPKI{suite: suite, ca: ca, orgs: map[string]*certs.Authority{}}
}

func (p *testPKI) org(t testing.TB, name string) *certs.Authority {
	t.Helper()
	if o := p.orgs[name]; o != nil {
		return o
	}
	o, err := p.ca.IssueOrg(name, certs.ValidFor(testNow.AddDate(-1, 0, 0), 2*365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	p.orgs[name] = o
	return o
}

// testNode is a node identity: consensus key and TLS certificate.
type testNode struct {
	name string
	key  crypto.PrivateKey
	cert *certs.NodeCert
	id   NodeID
}

func (p *testPKI) node(t testing.TB, org *certs.Authority, name string, v certs.Validity) *testNode {
	t.Helper()
	k, err := p.suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	nc, err := org.IssueNode(certs.NodeRequest{Name: name, ConsensusKey: k, Validity: v})
	if err != nil {
		t.Fatal(err)
	}
	id, err := ParseNodeID(k.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return &testNode{name: name, key: k, cert: nc, id: id}
}

// memberList is a mutable node list.
type memberList struct {
	mu  sync.Mutex
	ids map[NodeID]bool
}

func newMemberList(nodes ...*testNode) *memberList {
	m := &memberList{ids: map[NodeID]bool{}}
	for _, n := range nodes {
		m.ids[n.id] = true
	}
	return m
}

func (m *memberList) Contains(id NodeID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ids[id]
}

func newAdmission(t testing.TB, p *testPKI, list NodeList, mod func(*AdmissionConfig)) *Admission {
	t.Helper()
	cfg := AdmissionConfig{Suite: p.suite, TrustedCAs: []*smx509.Certificate{p.ca.Cert}, NodeList: list, Now: fixedClock, Logger: testLogger(t)}
	if mod != nil {
		mod(&cfg)
	}
	a, err := NewAdmission(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// testHost builds and starts a host for n on 127.0.0.1 with an ephemeral
// port (or addr), closed at the end of the test.
func testHost(t testing.TB, n *testNode, adm *Admission, mod func(*Config)) *Host {
	t.Helper()
	tr, err := NewTransport(TransportConfig{Node: n.cert, Admission: adm, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Transport: tr, ListenAddr: "127.0.0.1:0",
		BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
		HandshakeTimeout: 10 * time.Second,
		Logger:           testLogger(t),
	}
	if mod != nil {
		mod(&cfg)
	}
	h, err := NewHost(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// eventually polls cond until it holds or a generous bound passes. The
// bound only stops a hung test; nothing asserts on how long it took.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
