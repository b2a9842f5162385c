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

// GroupFilter tells whether peer belongs to group, for Broadcast
// (Config.GroupPeers). It must be safe for concurrent use and fast.
type GroupFilter func(group string, peer NodeID) bool

// ReasonOther labels drops whose error carries no refusal sentinel.
const ReasonOther RefusalReason = "other"

// DropRefused refreshes Config.Recheck, rechecks every connected peer
// and disconnects those it refuses, so a peer whose certificate expired
// or was revoked, or that was removed from the node list or denied,
// loses its open connections, not only its next handshake. Each drop is
// logged with its reason and counted. It returns the number of peers
// dropped; without a Recheck it does nothing. The dial loops keep trying
// a configured address, and the handshake refuses it for as long as
// admission does.
func (h *Host) DropRefused() int {
	rc := h.cfg.Recheck
	if rc == nil {
		return 0
	}
	rc.Refresh()
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
