package network

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/network/certs"
)

// RefusalReason names why a peer was refused; it labels the counters.
type RefusalReason string

// Refusal reasons.
const (
	ReasonNoCertificate  RefusalReason = "no_certificate"
	ReasonBadCertificate RefusalReason = "bad_certificate"
	ReasonUntrustedCA    RefusalReason = "untrusted_ca"
	ReasonExpired        RefusalReason = "expired"
	ReasonRevoked        RefusalReason = "revoked"
	ReasonNotInNodeList  RefusalReason = "not_in_node_list"
	ReasonDenied         RefusalReason = "denied"
	ReasonUnknownGroup   RefusalReason = "unknown_group"
)

// ReasonOf maps an admission error to its reason ("" for other errors).
func ReasonOf(err error) RefusalReason {
	for _, r := range []struct {
		err    error
		reason RefusalReason
	}{
		{ErrNoCertificate, ReasonNoCertificate}, {ErrBadCertificate, ReasonBadCertificate},
		{ErrUntrustedCA, ReasonUntrustedCA}, {ErrCertExpired, ReasonExpired},
		{ErrCertRevoked, ReasonRevoked}, {ErrNotInNodeList, ReasonNotInNodeList}, {ErrDenied, ReasonDenied},
		{ErrUnknownGroup, ReasonUnknownGroup},
	} {
		if errors.Is(err, r.err) {
			return r.reason
		}
	}
	return ""
}

// Identity is what admission learned about an admitted peer.
type Identity struct {
	NodeID   NodeID
	Name     string // common name of the node certificate
	Org      string // organisation (common name of the issuer)
	Serial   *big.Int
	NotAfter time.Time

	// chain and companion are the certificates the peer presented (leaf
	// first; the TLCP encryption certificate), kept so Recheck can verify
	// them again while the connection is open.
	chain     [][]byte
	companion []byte
}

// NodeList tells whether a node id is in the group's node list (sealers
// and observers). It is consulted on every handshake, so it follows chain
// state as it changes; it must be safe for concurrent use.
type NodeList interface {
	Contains(id NodeID) bool
}

// NodeListFunc adapts a function to NodeList.
type NodeListFunc func(NodeID) bool

// Contains calls f.
func (f NodeListFunc) Contains(id NodeID) bool { return f(id) }

// AdmissionConfig configures an Admission.
type AdmissionConfig struct {
	// Suite is the chain's crypto suite: node ids must belong to it, and
	// certificate keys must be of its algorithm (P-256 or SM2).
	Suite crypto.Suite
	// TrustedCAs are the CA certificates peers must chain to (at least one).
	TrustedCAs []*smx509.Certificate
	// CRLs are revocation lists signed by a CA or an organisation; a CRL is
	// applied to a chain whose issuer signed it.
	CRLs []*smx509.RevocationList
	// CRLFiles are CRL files (PEM or DER) applied like CRLs. They are read
	// by NewAdmission (an unreadable file is an error) and again by Refresh,
	// which reloads a file whose content changed; a file that no longer
	// parses keeps its previous list.
	CRLFiles []string
	// NodeList is the group's node list; nil admits only the allow-list.
	NodeList NodeList
	// Allow admits these node ids even if not in NodeList (e.g. a node that
	// only syncs). Deny refuses node ids whatever else says.
	Allow, Deny []NodeID
	// Now is the clock for validity checks; nil means time.Now.
	Now func() time.Time
	// Logger receives refusals; nil discards.
	Logger *slog.Logger
}

// crlEntry is a configured CRL with its revoked serials and the issuers
// its signature was checked against.
type crlEntry struct {
	rl      *smx509.RevocationList
	serials map[string]struct{}
	checked map[string]bool // issuer certificate DER -> signature valid
}

// Admission decides whether a peer may connect: certificate chain to a
// trusted CA, validity, revocation, node-id binding, then the node-list /
// allow / deny policy. Safe for concurrent use; lists and CRLs may be
// replaced at run time.
type Admission struct {
	suite crypto.Suite
	alg   certs.KeyAlgorithm
	roots *smx509.CertPool
	cas   []*smx509.Certificate
	now   func() time.Time
	log   *slog.Logger

	mu       sync.Mutex
	crls     []*crlEntry
	static   []*smx509.RevocationList // set by SetCRLs
	files    []*crlFile               // AdmissionConfig.CRLFiles; guarded by fmu
	fmu      sync.Mutex
	allow    map[NodeID]struct{}
	deny     map[NodeID]struct{}
	nodes    NodeList
	refusals map[RefusalReason]uint64
}

// NewAdmission checks cfg and builds an Admission.
func NewAdmission(cfg AdmissionConfig) (*Admission, error) {
	if cfg.Suite == nil {
		return nil, fmt.Errorf("%w: admission needs the chain's crypto suite", ErrConfig)
	}
	alg, err := certs.AlgorithmForSuite(cfg.Suite.Name())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if len(cfg.TrustedCAs) == 0 {
		return nil, fmt.Errorf("%w: at least one trusted CA certificate is required", ErrConfig)
	}
	a := &Admission{suite: cfg.Suite, alg: alg, roots: smx509.NewCertPool(), now: cfg.Now,
		log: orDiscard(cfg.Logger), nodes: cfg.NodeList, refusals: map[RefusalReason]uint64{}}
	if a.now == nil {
		a.now = time.Now
	}
	for _, ca := range cfg.TrustedCAs {
		if ca == nil || !ca.IsCA {
			return nil, fmt.Errorf("%w: trusted CA list holds a certificate that is not a CA", ErrConfig)
		}
		if got, err := certs.AlgorithmOf(ca.PublicKey); err != nil || got != alg {
			return nil, fmt.Errorf("%w: trusted CA %q is not a %s certificate", ErrConfig, ca.Subject.CommonName, alg)
		}
		a.roots.AddCert(ca)
		a.cas = append(a.cas, ca)
	}
	for _, path := range cfg.CRLFiles {
		f := &crlFile{path: path}
		if _, err := f.load(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		a.files = append(a.files, f)
	}
	a.SetCRLs(cfg.CRLs)
	a.SetAllowList(cfg.Allow)
	a.SetDenyList(cfg.Deny)
	return a, nil
}

// Suite is the chain's crypto suite.
func (a *Admission) Suite() crypto.Suite { return a.suite }

// SetCRLs replaces the revocation lists given directly (those of
// AdmissionConfig.CRLs); the lists of AdmissionConfig.CRLFiles stay.
func (a *Admission) SetCRLs(lists []*smx509.RevocationList) {
	a.fmu.Lock()
	defer a.fmu.Unlock()
	a.mu.Lock()
	a.static = append([]*smx509.RevocationList(nil), lists...)
	a.mu.Unlock()
	a.rebuildCRLs()
}

// rebuildCRLs rebuilds the applied entries from the static lists and the
// files' current lists. The caller holds fmu.
func (a *Admission) rebuildCRLs() {
	a.mu.Lock()
	lists := append([]*smx509.RevocationList(nil), a.static...)
	a.mu.Unlock()
	for _, f := range a.files {
		lists = append(lists, f.list)
	}
	entries := make([]*crlEntry, 0, len(lists))
	for _, rl := range lists {
		if rl == nil {
			continue
		}
		e := &crlEntry{rl: rl, serials: map[string]struct{}{}, checked: map[string]bool{}}
		for _, r := range rl.RevokedCertificateEntries {
			if r.SerialNumber != nil {
				e.serials[string(r.SerialNumber.Bytes())] = struct{}{}
			}
		}
		entries = append(entries, e)
	}
	a.mu.Lock()
	a.crls = entries
	a.mu.Unlock()
}

func idSet(ids []NodeID) map[NodeID]struct{} {
	m := make(map[NodeID]struct{}, len(ids))
	for _, id := range ids {
		m[id] = struct{}{}
	}
	return m
}

// SetAllowList replaces the local allow-list.
func (a *Admission) SetAllowList(ids []NodeID) {
	m := idSet(ids)
	a.mu.Lock()
	a.allow = m
	a.mu.Unlock()
}

// SetDenyList replaces the local deny-list.
func (a *Admission) SetDenyList(ids []NodeID) {
	m := idSet(ids)
	a.mu.Lock()
	a.deny = m
	a.mu.Unlock()
}

// SetNodeList replaces the node list source.
func (a *Admission) SetNodeList(l NodeList) {
	a.mu.Lock()
	a.nodes = l
	a.mu.Unlock()
}

// Refusals returns the number of refusals so far, by reason.
func (a *Admission) Refusals() map[RefusalReason]uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[RefusalReason]uint64, len(a.refusals))
	for r, n := range a.refusals {
		out[r] = n
	}
	return out
}

// Admit runs the full admission of a peer presenting chain (DER, leaf
// first, then intermediates). A refusal is counted, logged and returned
// as an error wrapping one of the Err* refusal sentinels.
func (a *Admission) Admit(chain [][]byte) (Identity, error) {
	return a.admit(chain, nil)
}

// admit is Admit with an optional companion certificate (the TLCP
// encryption certificate) that must chain the same way and bind the same
// node id as the leaf.
func (a *Admission) admit(chain [][]byte, companion []byte) (Identity, error) {
	id, err := a.verify(chain, companion)
	if err == nil {
		err = a.Allowed(id.NodeID)
	}
	if err != nil {
		reason := ReasonOf(err)
		a.mu.Lock()
		a.refusals[reason]++
		a.mu.Unlock()
		attrs := []any{"reason", string(reason), "err", err}
		if id.Name != "" || id.Org != "" {
			attrs = append(attrs, "name", id.Name, "org", id.Org)
		}
		if id.NodeID != (NodeID{}) {
			attrs = append(attrs, "node", id.NodeID.Short())
		}
		a.log.Warn("peer refused", attrs...)
		return id, err
	}
	return id, nil
}

// Allowed applies the policy alone: the deny-list wins, then the
// allow-list or the node list admit.
func (a *Admission) Allowed(id NodeID) error {
	a.mu.Lock()
	_, denied := a.deny[id]
	_, allowed := a.allow[id]
	nodes := a.nodes
	a.mu.Unlock()
	switch {
	case denied:
		return fmt.Errorf("%w: %s", ErrDenied, id.Short())
	case allowed:
		return nil
	case nodes != nil && nodes.Contains(id):
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNotInNodeList, id.Short())
}

// verify checks the certificates and returns the identity they prove. On
// failure after parsing, the identity holds what could be read, for logs.
func (a *Admission) verify(chain [][]byte, companion []byte) (Identity, error) {
	id := Identity{chain: chain, companion: companion}
	if len(chain) == 0 || len(chain[0]) == 0 {
		return id, ErrNoCertificate
	}
	parsed := make([]*smx509.Certificate, len(chain))
	for i, der := range chain {
		c, err := smx509.ParseCertificate(der)
		if err != nil {
			return id, fmt.Errorf("%w: certificate %d: %v", ErrBadCertificate, i, err)
		}
		parsed[i] = c
	}
	leaf := parsed[0]
	id.Name, id.Serial, id.NotAfter = leaf.Subject.CommonName, leaf.SerialNumber, leaf.NotAfter
	if len(leaf.Subject.Organization) > 0 {
		id.Org = leaf.Subject.Organization[0]
	}
	if b, err := certs.ParseBinding(leaf); err == nil && len(b.NodeID) == len(id.NodeID) {
		copy(id.NodeID[:], b.NodeID) // provisional, for logs; checked below
	}
	if alg, err := certs.AlgorithmOf(leaf.PublicKey); err != nil || alg != a.alg {
		return id, fmt.Errorf("%w: key is not %s", ErrBadCertificate, a.alg)
	}
	nodeID, err := a.verifyOne(leaf, parsed[1:])
	if err != nil {
		return id, err
	}
	copy(id.NodeID[:], nodeID)
	if companion != nil {
		c, err := smx509.ParseCertificate(companion)
		if err != nil {
			return id, fmt.Errorf("%w: encryption certificate: %v", ErrBadCertificate, err)
		}
		encID, err := a.verifyOne(c, parsed[1:])
		if err != nil {
			return id, fmt.Errorf("encryption certificate: %w", err)
		}
		if !bytes.Equal(encID, nodeID) {
			return id, fmt.Errorf("%w: encryption certificate binds another node id", ErrBadCertificate)
		}
	}
	return id, nil
}

// verifyOne verifies cert against the trusted CAs with the given
// intermediates, checks revocation and the binding, and returns the node id.
func (a *Admission) verifyOne(cert *smx509.Certificate, intermediates []*smx509.Certificate) ([]byte, error) {
	now := a.now()
	pool := smx509.NewCertPool()
	for _, c := range intermediates {
		pool.AddCert(c)
	}
	chains, err := cert.Verify(smx509.VerifyOptions{
		Roots: a.roots, Intermediates: pool, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, a.classify(err, cert, intermediates, now)
	}
	if err := a.checkRevoked(chains); err != nil {
		return nil, err
	}
	nodeID, err := certs.VerifyBinding(cert, a.suite)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCertificate, err)
	}
	return nodeID, nil
}

func outside(c *smx509.Certificate, now time.Time) bool {
	return now.Before(c.NotBefore) || now.After(c.NotAfter)
}

// classify turns a verification error into a refusal sentinel. An expired
// issuer makes Go report an unknown authority; walk the presented chain to
// report it as expired instead.
func (a *Admission) classify(err error, cert *smx509.Certificate, intermediates []*smx509.Certificate, now time.Time) error {
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) {
		if inv.Reason == x509.Expired {
			return fmt.Errorf("%w: %v", ErrCertExpired, err)
		}
		return fmt.Errorf("%w: %v", ErrBadCertificate, err)
	}
	var unknown smx509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		return fmt.Errorf("%w: %v", ErrBadCertificate, err)
	}
	candidates := append(append([]*smx509.Certificate{}, intermediates...), a.cas...)
	cur := cert
	for range len(candidates) + 1 {
		var parent *smx509.Certificate
		for _, p := range candidates {
			if bytes.Equal(p.RawSubject, cur.RawIssuer) && cur.CheckSignatureFrom(p) == nil {
				parent = p
				break
			}
		}
		if parent == nil {
			break
		}
		if outside(parent, now) {
			return fmt.Errorf("%w: issuer %q valid %s .. %s", ErrCertExpired, parent.Subject.CommonName,
				parent.NotBefore.Format(time.RFC3339), parent.NotAfter.Format(time.RFC3339))
		}
		if parent == cur {
			break
		}
		cur = parent
	}
	return fmt.Errorf("%w: %v", ErrUntrustedCA, err)
}

// checkRevoked refuses a chain any certificate of which is revoked by a
// CRL whose signature verifies under that certificate's issuer.
func (a *Admission) checkRevoked(chains [][]*smx509.Certificate) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.crls) == 0 {
		return nil
	}
	for _, chain := range chains {
		for i := 0; i+1 < len(chain); i++ {
			c, issuer := chain[i], chain[i+1]
			for _, e := range a.crls {
				if !bytes.Equal(e.rl.RawIssuer, issuer.RawSubject) {
					continue
				}
				if _, hit := e.serials[string(c.SerialNumber.Bytes())]; !hit {
					continue
				}
				ok, seen := e.checked[string(issuer.Raw)]
				if !seen {
					ok = e.rl.CheckSignatureFrom(issuer) == nil
					e.checked[string(issuer.Raw)] = ok
					if !ok {
						a.log.Warn("CRL signature does not verify under its named issuer; ignoring it for that issuer",
							"issuer", issuer.Subject.CommonName)
					}
				}
				if ok {
					return fmt.Errorf("%w: %q (serial %s) revoked by %q", ErrCertRevoked,
						c.Subject.CommonName, c.SerialNumber.Text(16), issuer.Subject.CommonName)
				}
			}
		}
	}
	return nil
}

func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
