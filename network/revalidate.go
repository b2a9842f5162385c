package network

import (
	"crypto/sha256"
	"fmt"
	"os"

	"github.com/emmansun/gmsm/smx509"

	"github.com/gobcos/gobcos/network/certs"
)

// crlFile is one configured CRL file: the last list parsed from it, the
// digest of its content, and the last error reported (so a bad file is
// logged once, not on every refresh).
type crlFile struct {
	path    string
	sum     [sha256.Size]byte
	list    *smx509.RevocationList
	lastErr string
}

// load reads the file; changed reports whether its content differs from
// the last read. On a read or parse error list keeps its previous value.
func (f *crlFile) load() (changed bool, err error) {
	data, err := os.ReadFile(f.path)
	if err != nil {
		return false, fmt.Errorf("CRL file %s: %w", f.path, err)
	}
	sum := sha256.Sum256(data)
	if sum == f.sum && f.list != nil {
		return false, nil
	}
	rl, err := certs.ParseCRL(data)
	if err != nil {
		return false, fmt.Errorf("CRL file %s: %w", f.path, err)
	}
	f.sum, f.list = sum, rl
	return true, nil
}

// Refresh reloads the CRL files (AdmissionConfig.CRLFiles) whose content
// changed since the last read and applies them to later handshakes and
// rechecks. A file that cannot be read or parsed keeps its previous list;
// the error is logged once per content. Host calls Refresh before each
// recheck of its open connections (Config.Recheck).
func (a *Admission) Refresh() {
	a.fmu.Lock()
	defer a.fmu.Unlock()
	changed := false
	for _, f := range a.files {
		prev := f.list
		ok, err := f.load()
		if err != nil {
			if err.Error() != f.lastErr {
				f.lastErr = err.Error()
				a.log.Error("CRL file not reloaded; the previous list stays in force", "file", f.path, "err", err)
			}
			continue
		}
		if f.lastErr != "" && !ok {
			f.lastErr = ""
			a.log.Info("CRL file readable again, unchanged", "file", f.path)
		}
		f.lastErr = ""
		if !ok {
			continue
		}
		changed = true
		attrs := []any{"file", f.path, "issuer", f.list.Issuer.CommonName,
			"revoked", len(f.list.RevokedCertificateEntries)}
		if f.list.Number != nil {
			attrs = append(attrs, "number", f.list.Number.String())
		}
		if prev != nil && prev.Number != nil && f.list.Number != nil && f.list.Number.Cmp(prev.Number) < 0 {
			a.log.Warn("CRL file reloaded with a lower CRL number than before", attrs...)
		} else {
			a.log.Info("CRL file reloaded", attrs...)
		}
	}
	if changed {
		a.rebuildCRLs()
	}
}

// Recheck verifies an admitted peer again, as at its handshake but at the
// current time and with the current CRLs and lists: its certificates must
// still be within their validity and not revoked, and the policy must
// still admit its node id (Allowed). A refusal returns an error wrapping
// one of the refusal sentinels (ErrCertExpired, ErrCertRevoked, ErrDenied,
// ErrNotInNodeList...). It neither logs nor counts: the Host that drops the
// connection does both. An identity not made by this package's transports
// carries no certificates; only the policy applies to it.
func (a *Admission) Recheck(id Identity) error {
	if len(id.chain) > 0 {
		got, err := a.verify(id.chain, id.companion)
		if err != nil {
			return err
		}
		if got.NodeID != id.NodeID {
			return fmt.Errorf("%w: certificates bind %s, connection is %s", ErrBadCertificate, got.NodeID.Short(), id.NodeID.Short())
		}
	}
	return a.Allowed(id.NodeID)
}
