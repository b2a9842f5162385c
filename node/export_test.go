package node

import "github.com/gobcos/gobcos/state"

// CheckStateCache compares every value the node's state cache holds with
// the store (no commit runs meanwhile).
func (n *Node) CheckStateCache() error {
	n.stateMu.Lock()
	defer n.stateMu.Unlock()
	return n.cache.Check(n.kv)
}

// StateCacheStats are the node's state cache counters.
func (n *Node) StateCacheStats() state.CacheStats { return n.cache.Stats() }

// GovernanceCached reports whether the PBFT configuration, the node list
// and the rules of the block after the head are served from the
// governance cache.
func (n *Node) GovernanceCached() (epoch, nodes, rules bool) {
	head := n.ledger.Height()
	_, epoch = n.gov.epochAt(head, head+1)
	_, nodes = n.gov.nodesAt(head, head+1)
	_, rules = n.gov.rulesAt(head, head+1)
	return epoch, nodes, rules
}
