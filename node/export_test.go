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
