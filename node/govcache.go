package node

import (
	"slices"
	"sync"

	"github.com/gobcos/gobcos/consensus"
	pbftengine "github.com/gobcos/gobcos/consensus/pbft/engine"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
)

// govCache keeps the governance reads consensus follows, the PBFT
// configuration (pbftEpoch), the consensus node list (ConsensusNodes) and
// the rules read from the system config (readRules), for the heights
// where they no longer depend on the height. A change to the system config or the node list made in block X
// is in force from X+1 or X+2 (precompiled.GovernanceDelay), so with no
// such change since block X every height from X+MaxGovernanceDelay on has
// the same configuration and node list. Without the cache the node read
// them for every block several times (the PBFT engine's checks of the
// next two heights, network admission's node list, Raft's membership),
// each through a storage snapshot and the state history: 5 to 9% of a
// PBFT node's CPU at half its maximum rate.
//
// committed, told of every committed block in order (stateMu's write
// lock held, after the ledger wrote the block), drops the values when a
// block writes either contract's storage, or writes it cannot list. A
// value is served only while every block up to the ledger's head has been
// told (a reader that sees a head whose commit has not reached the cache
// yet reads for itself), and a value read while a drop happened is not
// kept (gen).
type govCache struct {
	mu sync.Mutex
	// seen is the last block committed was told of (or the head at open).
	seen uint64
	// stable is the first height of the values kept: the last block that
	// changed them (or the head at open) plus MaxGovernanceDelay.
	stable   uint64
	gen      uint64 // drops so far
	epoch    *govEpoch
	rules    *govRules
	nodes    []precompiled.ConsensusNode
	hasNodes bool
}

// govRules is what readRules reads of a height: the rules as the node and
// as the executor sees them.
type govRules struct {
	r  consensus.Rules
	er executor.Rules
}

// govEpoch is what pbftEpoch reads of a height: its PBFT configuration
// and the compatibility version in force, which says whether the block
// after the head's next may be worked on before that one commits
// (precompiled.Pipelined).
type govEpoch struct {
	ep     pbftengine.Epoch
	compat string
}

// open starts the cache on a ledger whose head is head: it does not know
// when the governance state last changed, so it assumes at the head.
func (c *govCache) open(head uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = head
	c.drop(head)
}

// committed tells the cache of block number, just committed with state
// writes st.
func (c *govCache) committed(number uint64, st any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = number
	if ws, ok := st.(*state.WriteSet); ok {
		w := ws.Writes()
		if !touchesPrefix(w, state.StoragePrefix(precompiled.SystemConfigAddress)) &&
			!touchesPrefix(w, state.StoragePrefix(precompiled.ConsensusNodesAddress)) {
			return
		}
	}
	c.drop(number)
}

// drop forgets the values after a change in block number (c.mu held).
func (c *govCache) drop(number uint64) {
	c.gen++
	c.stable = number + precompiled.MaxGovernanceDelay
	c.epoch, c.rules, c.nodes, c.hasNodes = nil, nil, nil, false
}

// holds reports whether the kept values are those of height, with head
// the ledger's head (c.mu held): height and the height before it are
// past the last change, and the cache was told of every block to head.
func (c *govCache) holds(head, height uint64) bool {
	return head <= c.seen && height > c.stable
}

// epochAt returns the kept PBFT configuration of height.
func (c *govCache) epochAt(head, height uint64) (govEpoch, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch == nil || !c.holds(head, height) {
		return govEpoch{}, false
	}
	e := *c.epoch
	e.ep.Sealers, e.ep.Weights = slices.Clone(e.ep.Sealers), slices.Clone(e.ep.Weights)
	return e, true
}

// rulesAt returns the kept rules of height.
func (c *govCache) rulesAt(head, height uint64) (govRules, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rules == nil || !c.holds(head, height) {
		return govRules{}, false
	}
	return *c.rules, true
}

// nodesAt returns the kept node list of height.
func (c *govCache) nodesAt(head, height uint64) ([]precompiled.ConsensusNode, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.hasNodes || !c.holds(head, height) {
		return nil, false
	}
	return slices.Clone(c.nodes), true
}

// generation is the number of drops so far, taken before a read whose
// result may be kept.
func (c *govCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// keepEpoch keeps e, read for height with the ledger at head, if no drop
// happened since gen and height is past the last change.
func (c *govCache) keepEpoch(gen, head, height uint64, e govEpoch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen && c.holds(head, height) {
		c.epoch = &e
	}
}

// keepRules keeps r, read for height with the ledger at head, if no drop
// happened since gen and height is past the last change.
func (c *govCache) keepRules(gen, head, height uint64, r govRules) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen && c.holds(head, height) {
		c.rules = &r
	}
}

// keepNodes keeps nodes, read for height with the ledger at head, if no
// drop happened since gen and height is past the last change.
func (c *govCache) keepNodes(gen, head, height uint64, nodes []precompiled.ConsensusNode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen && c.holds(head, height) {
		c.nodes, c.hasNodes = nodes, true
	}
}
