package network

import "time"

// DropRefused re-applies Config.Recheck to every connected peer and
// disconnects those it refuses, so a node removed from the node list or
// put on the deny-list loses its open connections, not only its next
// handshake. It returns the number of peers dropped; without a Recheck it
// does nothing. The dial loops keep trying a configured address, and
// the handshake refuses it for as long as the policy does.
func (h *Host) DropRefused() int {
	if h.cfg.Recheck == nil {
		return 0
	}
	n := 0
	for _, p := range h.snapshot() {
		err := h.cfg.Recheck(p.id)
		if err == nil {
			continue
		}
		h.log.Warn("peer no longer admitted: disconnecting", "peer", p.id.Short(), "reason", err)
		h.stats.dropped.Add(1)
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
