package node

import (
	"fmt"

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
//   - the group's messages, both ways, are exchanged only with the peers
//     the admission policy admits for it (the group's node list and the
//     allow-list, minus the deny-list): broadcasts go to them only, and
//     the group's messages from any other peer are dropped before the
//     consensus, sync and gossip handlers (counted, see P2PGroupDrops).
//     The host caches these decisions per peer; groupsChanged drops the
//     cache after each committed block, which may change the node list,
//     and each recheck round drops it too (allow and deny lists).
func (n *Node) hostPolicy(c *network.Config, adm *network.Admission) {
	n.admission = adm
	c.Recheck = adm
	c.RecheckInterval = n.cfg.Network.RecheckInterval()
	c.KeepaliveIdle, c.KeepaliveTimeout = n.cfg.Network.Keepalive()
	c.GroupMembers = groupMembers(n.genesis.GroupID, adm)
}

// groupsChanged tells the host that the group's node list may have
// changed (a block was committed).
func (n *Node) groupsChanged() {
	if n.host != nil {
		n.host.GroupsChanged()
	}
}

// policy is the part of the admission the group filter consults.
type policy interface {
	Allowed(network.NodeID) error
}

// groupMembers is the group membership rule of a node serving one group:
// a peer is a member of that group if the admission policy admits it; of
// another group, never (ErrUnknownGroup); of node-level messages (group
// ""), always (the host does not even ask).
func groupMembers(group string, adm policy) network.GroupPolicy {
	return func(g string, id network.NodeID) error {
		switch g {
		case "":
			return nil
		case group:
			return adm.Allowed(id)
		}
		return fmt.Errorf("%w: %q", network.ErrUnknownGroup, g)
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

// P2PGroupDrops are the inbound messages dropped because their sender is
// not a member of their group, by reason.
func (s metricsSource) P2PGroupDrops() map[string]uint64 {
	out := map[string]uint64{}
	if s.n.host == nil {
		return out
	}
	for r, c := range s.n.host.Stats().GroupDropReasons {
		out[string(r)] = c
	}
	return out
}

var _ metrics.TxGossipSource = metricsSource{}

// TxGossip are the batched tx gossip's counters.
func (s metricsSource) TxGossip() metrics.TxGossipStats { return s.n.gossip.stats() }

// GossipStats are the counters of this node's tx gossip: txs queued and
// dropped outbound, batches and txs sent and received, bad messages.
func (n *Node) GossipStats() metrics.TxGossipStats { return n.gossip.stats() }
