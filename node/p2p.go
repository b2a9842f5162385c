package node

import (
	"github.com/gobcos/gobcos/metrics"
	"github.com/gobcos/gobcos/network"
)

// hostPolicy completes the P2P host's configuration from the [network]
// section and the admission:
//   - open connections are verified again every recheck_interval_ms:
//     a peer whose certificate expired or is revoked by a (reloaded) CRL
//     file, that governance removed from the node list, or that the local
//     deny-list names is disconnected, not only refused at its next
//     handshake;
//   - keepalive pings detect peers that stopped answering;
//   - broadcasts of the group go only to peers the admission policy
//     admits for it (the group's node list and the allow-list, minus the
//     deny-list).
func (n *Node) hostPolicy(c *network.Config, adm *network.Admission) {
	n.admission = adm
	c.Recheck = adm
	c.RecheckInterval = n.cfg.Network.RecheckInterval()
	c.KeepaliveIdle, c.KeepaliveTimeout = n.cfg.Network.Keepalive()
	c.GroupPeers = groupPeers(n.genesis.GroupID, adm)
}

// policy is the part of the admission the broadcast filter consults.
type policy interface {
	Allowed(network.NodeID) error
}

// groupPeers is the broadcast filter of a node serving one group: a
// message of that group goes to the peers the admission policy admits; a
// node-level message (group "") to every peer; another group's to none.
func groupPeers(group string, adm policy) network.GroupFilter {
	return func(g string, id network.NodeID) bool {
		switch g {
		case "":
			return true
		case group:
			return adm.Allowed(id) == nil
		}
		return false
	}
}

var _ metrics.P2PSource = metricsSource{}

// P2PRefusals are the peers refused at handshakes, by reason.
func (s metricsSource) P2PRefusals() map[string]uint64 {
	out := map[string]uint64{}
	if s.n.admission != nil {
		for r, c := range s.n.admission.Refusals() {
			out[string(r)] = c
		}
	}
	return out
}

// P2PDisconnects are the open connections this node closed: peers no
// longer admitted (by refusal reason) and peers that stopped answering
// (keepalive_timeout).
func (s metricsSource) P2PDisconnects() map[string]uint64 {
	out := map[string]uint64{}
	if s.n.host == nil {
		return out
	}
	st := s.n.host.Stats()
	for r, c := range st.DropReasons {
		out[string(r)] = c
	}
	if st.KeepaliveTimeouts > 0 {
		out[keepaliveTimeoutReason] = st.KeepaliveTimeouts
	}
	return out
}

// keepaliveTimeoutReason labels disconnects of silent peers.
const keepaliveTimeoutReason = "keepalive_timeout"

var _ metrics.TxGossipSource = metricsSource{}

// TxGossip are the batched tx gossip's counters.
func (s metricsSource) TxGossip() metrics.TxGossipStats { return s.n.gossip.stats() }

// GossipStats are the counters of this node's tx gossip: txs queued and
// dropped outbound, batches and txs sent and received, bad messages.
func (n *Node) GossipStats() metrics.TxGossipStats { return n.gossip.stats() }
