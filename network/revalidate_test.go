package network

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/network/certs"
)

// logRecorder is a slog handler that keeps the messages it sees.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	line := rec.Level.String() + " " + rec.Message
	rec.Attrs(func(a slog.Attr) bool {
		line += " " + a.Key + "=" + a.Value.String()
		return true
	})
	r.msgs = append(r.msgs, line)
	return nil
}
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

// count is the number of recorded lines containing every part.
func (r *logRecorder) count(parts ...string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
next:
	for _, m := range r.msgs {
		for _, p := range parts {
			if !strings.Contains(m, p) {
				continue next
			}
		}
		n++
	}
	return n
}

func writeCRL(t *testing.T, path string, org *certs.Authority, number int64, revoked ...*testNode) {
	t.Helper()
	var rs []certs.Revocation
	for _, n := range revoked {
		rs = append(rs, certs.Revocation{Serial: n.cert.Cert.SerialNumber, Time: time.Now()})
	}
	der, err := org.IssueCRL(number, time.Now().Add(-time.Minute), time.Now().Add(time.Hour), rs...)
	if err != nil {
		t.Fatal(err)
	}
	writeAtomically(t, path, certs.EncodeCRLPEM(der))
}

// writeAtomically replaces path's content in one step, as an operator's
// tooling should (a torn write is covered by the bad-file case).
func writeAtomically(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// Admission.Recheck verifies an admitted identity again at the current
// time and with reloaded CRL files; a bad file keeps the previous list
// and is reported once.
func TestAdmissionRecheckAndCRLReload(t *testing.T) {
	forSuites(t, func(t *testing.T, s crypto.Suite) {
		p := newPKI(t, s)
		org := p.org(t, "org1")
		n := p.node(t, org, "n", validAround(testNow))
		other := p.node(t, org, "other", validAround(testNow))
		path := filepath.Join(t.TempDir(), "org1.crl")

		// A missing file is a configuration error.
		if _, err := NewAdmission(AdmissionConfig{Suite: s, TrustedCAs: []*smx509.Certificate{p.ca.Cert}, CRLFiles: []string{path}}); !errors.Is(err, ErrConfig) {
			t.Fatalf("missing CRL file: %v", err)
		}
		writeCRL(t, path, org, 1)
		now := testNow
		var clock sync.Mutex
		rec := &logRecorder{}
		adm := newAdmission(t, p, newMemberList(n, other), func(c *AdmissionConfig) {
			c.CRLFiles = []string{path}
			c.Logger = slog.New(rec)
			c.Now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
		})
		id, err := adm.Admit(chainOf(n))
		if err != nil {
			t.Fatal(err)
		}
		if err := adm.Recheck(id); err != nil {
			t.Fatalf("recheck of an admitted peer: %v", err)
		}

		// A rewritten file applies after Refresh, to rechecks and handshakes.
		writeCRL(t, path, org, 2, n)
		if err := adm.Recheck(id); err != nil {
			t.Fatalf("CRL applied before Refresh: %v", err)
		}
		adm.Refresh()
		if err := adm.Recheck(id); !errors.Is(err, ErrCertRevoked) {
			t.Fatalf("recheck after revocation: %v", err)
		}
		if _, err := adm.Admit(chainOf(n)); !errors.Is(err, ErrCertRevoked) {
			t.Fatalf("handshake after revocation: %v", err)
		}
		if rec.count("CRL file reloaded", "revoked=1", "number=2") != 1 {
			t.Errorf("reload not logged: %q", rec.msgs)
		}
		adm.Refresh() // unchanged: nothing to reload or log
		if rec.count("CRL file reloaded") != 1 {
			t.Errorf("unchanged file logged again: %q", rec.msgs)
		}

		// A torn or bad file keeps the previous list; the error is logged once.
		writeAtomically(t, path, []byte("-----BEGIN X509 CRL-----\ngarbage"))
		adm.Refresh()
		adm.Refresh()
		if err := adm.Recheck(id); !errors.Is(err, ErrCertRevoked) {
			t.Fatalf("a bad CRL file dropped the previous list: %v", err)
		}
		if got := rec.count("ERROR", "CRL file not reloaded", path); got != 1 {
			t.Errorf("bad file logged %d times: %q", got, rec.msgs)
		}
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		adm.Refresh()
		if err := adm.Recheck(id); !errors.Is(err, ErrCertRevoked) {
			t.Fatalf("a missing CRL file dropped the previous list: %v", err)
		}
		if got := rec.count("ERROR", "CRL file not reloaded"); got != 2 {
			t.Errorf("missing file not logged: %q", rec.msgs)
		}

		// A good list again lifts the revocation.
		writeCRL(t, path, org, 3)
		adm.Refresh()
		if err := adm.Recheck(id); err != nil {
			t.Fatalf("after the revocation was lifted: %v", err)
		}
		// SetCRLs replaces the static lists only; the file's list stays.
		adm.SetCRLs(nil)
		if err := adm.Recheck(id); err != nil {
			t.Fatal(err)
		}

		// Time passing beyond NotAfter expires an admitted identity.
		clock.Lock()
		now = n.cert.Cert.NotAfter.Add(time.Second)
		clock.Unlock()
		if err := adm.Recheck(id); !errors.Is(err, ErrCertExpired) {
			t.Fatalf("recheck after NotAfter: %v", err)
		}
		clock.Lock()
		now = testNow
		clock.Unlock()
		// The policy applies too.
		adm.SetDenyList([]NodeID{n.id})
		if err := adm.Recheck(id); !errors.Is(err, ErrDenied) {
			t.Fatalf("recheck of a denied peer: %v", err)
		}
		// An identity without certificates gets the policy alone.
		if err := adm.Recheck(Identity{NodeID: other.id}); err != nil {
			t.Fatal(err)
		}
	})
}

// A peer whose certificate expires while it is connected is disconnected,
// and its reconnects are refused. The host that rechecks dialed the peer
// (on sm chains this checks the encryption certificate path of TLCP).
func TestDropPeerWhenCertificateExpires(t *testing.T) { forSuites(t, testDropExpired) }

func testDropExpired(t *testing.T, s crypto.Suite) {
	p := newPKI(t, s)
	o := p.org(t, "o")
	start := time.Now()
	a := p.node(t, o, "a", validAround(start))
	// X.509 times have whole seconds: NotAfter lands 3 to 4 s ahead.
	b := p.node(t, o, "b", certs.ValidFor(start.Add(-time.Hour), time.Hour+4*time.Second))
	list := newMemberList(a, b)
	admA := newAdmission(t, p, list, func(c *AdmissionConfig) { c.Now = nil })
	admB := newAdmission(t, p, list, func(c *AdmissionConfig) { c.Now = nil })
	hb := testHost(t, b, admB, nil)
	ha := testHost(t, a, admA, func(c *Config) {
		c.ListenAddr = ""
		c.Peers = []string{addrOf(hb)}
		c.Recheck, c.RecheckInterval = admA, 20*time.Millisecond
	})
	notAfter := b.cert.Cert.NotAfter
	eventually(t, "connection", func() bool {
		if !ha.Connected(b.id) && time.Now().After(notAfter) {
			t.Skip("the connection took longer than the certificate's validity; machine too slow")
		}
		return ha.Connected(b.id) && hb.Connected(a.id)
	})
	eventually(t, "the expired peer dropped", func() bool {
		return !ha.Connected(b.id) && ha.Stats().DropReasons[ReasonExpired] == 1
	})
	if time.Now().Before(notAfter) {
		t.Fatalf("dropped before the certificate expired (%s)", notAfter)
	}
	eventually(t, "a refused reconnect", func() bool { return admA.Refusals()[ReasonExpired] > 0 })
	if ha.Connected(b.id) {
		t.Fatal("an expired peer reconnected")
	}
}

// Rewriting the configured CRL file to list a connected peer disconnects
// it; a bad file in between changes nothing. The revoked peer dialed the
// host that rechecks (the server side of the handshake kept its chain).
func TestDropPeerWhenCRLFileRevokesIt(t *testing.T) { forSuites(t, testDropRevoked) }

func testDropRevoked(t *testing.T, s crypto.Suite) {
	p := newPKI(t, s)
	o := p.org(t, "o")
	a, b, c := p.node(t, o, "a", validAround(time.Now())), p.node(t, o, "b", validAround(time.Now())), p.node(t, o, "c", validAround(time.Now()))
	list := newMemberList(a, b, c)
	path := filepath.Join(t.TempDir(), "o.crl")
	writeCRL(t, path, o, 1)
	rec := &logRecorder{}
	admA := newAdmission(t, p, list, func(cfg *AdmissionConfig) {
		cfg.Now, cfg.CRLFiles, cfg.Logger = nil, []string{path}, slog.New(rec)
	})
	ha := testHost(t, a, admA, func(cfg *Config) {
		cfg.Recheck, cfg.RecheckInterval, cfg.Logger = admA, 20*time.Millisecond, slog.New(rec)
	})
	hb := testHost(t, b, newAdmission(t, p, list, func(cfg *AdmissionConfig) { cfg.Now = nil }),
		func(cfg *Config) { cfg.ListenAddr = ""; cfg.Peers = []string{addrOf(ha)} })
	hc := testHost(t, c, newAdmission(t, p, list, func(cfg *AdmissionConfig) { cfg.Now = nil }),
		func(cfg *Config) { cfg.ListenAddr = ""; cfg.Peers = []string{addrOf(ha)} })
	eventually(t, "connections", func() bool {
		return ha.Connected(b.id) && ha.Connected(c.id) && hb.Connected(a.id) && hc.Connected(a.id)
	})

	writeAtomically(t, path, []byte("not a CRL"))
	eventually(t, "the bad file reported", func() bool { return rec.count("CRL file not reloaded", path) == 1 })
	// Reported means a recheck round ran with the previous list: run one
	// more by hand to be sure nothing is dropped for it.
	if n := ha.DropRefused(); n != 0 || !ha.Connected(b.id) || ha.Stats().Dropped != 0 {
		t.Fatalf("a bad CRL file dropped %d peers", n)
	}

	writeCRL(t, path, o, 2, b)
	eventually(t, "the revoked peer dropped", func() bool {
		return !ha.Connected(b.id) && ha.Stats().DropReasons[ReasonRevoked] == 1
	})
	if rec.count("CRL file reloaded", path) != 1 || rec.count("peer no longer admitted", "reason=revoked", "name=b") != 1 {
		t.Errorf("reload or drop not logged: %q", rec.msgs)
	}
	eventually(t, "a refused reconnect", func() bool { return admA.Refusals()[ReasonRevoked] > 0 })
	if ha.Connected(b.id) || !ha.Connected(c.id) {
		t.Fatalf("after revoking b: b connected %v, c connected %v", ha.Connected(b.id), ha.Connected(c.id))
	}
	if st := ha.Stats(); st.Dropped != 1 || len(st.DropReasons) != 1 {
		t.Fatalf("drops %d by reason %v", st.Dropped, st.DropReasons)
	}
}
