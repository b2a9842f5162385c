package node

import (
	"bytes"
	"sync"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/network"
)

// members follows the governance node list (the ConsensusNodes contract)
// for two consumers: the Raft engine's wanted configuration, and network
// admission. Both read the list in force for the block after the head.
type members struct {
	mu sync.Mutex
	// Raft: the list last given to SetMembers (sealers, then observers).
	voters, learners [][]byte
	// Admission: the node list at admitHeight (head+1), or nil.
	admitHeight uint64
	admit       map[network.NodeID]bool
}

// liveNodes is the governance node list in force for the next block, as
// sealer and observer public keys.
func (n *Node) liveNodes() (sealers, observers [][]byte, err error) {
	nodes, err := n.ConsensusNodes(n.ledger.Height() + 1)
	if err != nil {
		return nil, nil, err
	}
	for _, x := range nodes {
		switch x.Type {
		case precompiled.NodeSealer:
			sealers = append(sealers, x.ID)
		case precompiled.NodeObserver:
			observers = append(observers, x.ID)
		}
	}
	return sealers, observers, nil
}

// syncRaftMembers gives the Raft engine the governance node list in force
// for the next block when it differs from the one last given: sealers as
// voters, observers as learners. The engine's leader then moves the raft
// configuration toward it one change at a time; every node calls this, so
// whichever node leads (now or after an election) applies the list.
// Called at start-up and after each committed block.
func (n *Node) syncRaftMembers() {
	if n.raft == nil {
		return
	}
	sealers, observers, err := n.liveNodes()
	if err != nil {
		n.logger.Warn("raft membership: cannot read the node list", "err", err)
		return
	}
	m := &n.members
	m.mu.Lock()
	defer m.mu.Unlock()
	if sameKeys(m.voters, sealers) && sameKeys(m.learners, observers) && m.voters != nil {
		return
	}
	if err := n.raft.SetMembers(sealers, observers); err != nil {
		n.logger.Warn("raft membership: node list refused", "sealers", len(sealers), "observers", len(observers), "err", err)
		return
	}
	m.voters, m.learners = sealers, observers
	n.logger.Info("raft membership: wanted node list", "height", n.ledger.Height()+1, "voters", len(sealers), "learners", len(observers))
}

func sameKeys(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// inNodeList is network admission's node-list check: the live governance
// node list (sealers and observers in force for the next block), computed
// once per head height; the genesis list while the governance state cannot
// be read. The PBFT and Raft engines follow the same list, so a node that
// governance removes no longer votes when it is disconnected. The local
// allow and deny lists apply on top (see network.Admission).
func (n *Node) inNodeList(id network.NodeID) bool {
	g := n.genesis
	if n.ledger == nil {
		return g.InNodeList(id[:])
	}
	next := n.ledger.Height() + 1
	m := &n.members
	m.mu.Lock()
	set, at := m.admit, m.admitHeight
	m.mu.Unlock()
	if set == nil || at != next {
		sealers, observers, err := n.liveNodes()
		if err != nil || len(sealers) == 0 {
			if err != nil {
				n.logger.Debug("admission: governance node list unreadable, using the genesis list", "err", err)
			}
			return g.InNodeList(id[:])
		}
		set = make(map[network.NodeID]bool, len(sealers)+len(observers))
		for _, k := range append(sealers, observers...) {
			if nid, err := network.ParseNodeID(k); err == nil {
				set[nid] = true
			}
		}
		m.mu.Lock()
		m.admit, m.admitHeight = set, next
		m.mu.Unlock()
	}
	return set[id]
}
