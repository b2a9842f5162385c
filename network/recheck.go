package network

import "time"

// Rechecker verifies admitted peers again while they are connected
// (Config.Recheck). *Admission implements it.
type Rechecker interface {
	// Refresh runs once before each round of rechecks (an Admission
	// reloads its CRL files there).
	Refresh()
	// Recheck returns nil if the peer is still admitted, otherwise an error
	// wrapping one of the refusal sentinels (ErrCertExpired,
	// ErrCertRevoked, ErrDenied, ErrNotInNodeList...).
	Recheck(Identity) error
}

// ReasonOther labels drops whose error carries no refusal sentinel.
const ReasonOther RefusalReason = "other"

// DropRefused refreshes Config.Recheck, rechecks every connected peer
// and disconnects those it refuses, so a peer whose certificate expired
// or was revoked, or that was removed from the node list or denied,
// loses its open connections, not only its next handshake. Each drop is
// logged with its reason and counted. It returns the number of peers
// dropped; without a Recheck it only calls GroupsChanged. The dial loops
// keep trying a configured address, and the handshake refuses it for as
// long as admission does. The cached group decisions are dropped too
// (GroupsChanged), so a peer that left a group's node list but stays
// admitted (allow-listed, or in the list of another group of this node)
// has that group's next messages dropped.
func (h *Host) DropRefused() int {
	rc := h.cfg.Recheck
	if rc == nil {
		h.GroupsChanged()
		return 0
	}
	rc.Refresh()
	h.GroupsChanged()
	n := 0
	for _, p := range h.snapshot() {
		if p.isStopping() {
			continue
		}
		err := rc.Recheck(p.conn.Peer)
		if err == nil {
			continue
		}
		reason := ReasonOf(err)
		if reason == "" {
			reason = ReasonOther
		}
		h.log.Warn("peer no longer admitted: disconnecting", "peer", p.id.Short(), "name", p.conn.Peer.Name,
			"org", p.conn.Peer.Org, "reason", string(reason), "err", err)
		h.stats.dropped.Add(1)
		h.stats.mu.Lock()
		if h.stats.dropReasons == nil {
			h.stats.dropReasons = map[RefusalReason]uint64{}
		}
		h.stats.dropReasons[reason]++
		h.stats.mu.Unlock()
		p.stop(false)
		n++
	}
	return n
}

// recheckLoop runs DropRefused every RecheckInterval until the host closes.
func (h *Host) recheckLoop() {
	defer h.wg.Done()
	t := time.NewTicker(h.cfg.RecheckInterval)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			h.DropRefused()
		}
	}
}
