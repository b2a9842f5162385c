package node

import (
	"context"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/types"
)

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

// Reexecution is a committed block executed again on its parent's state.
type Reexecution struct {
	Header        *types.Header // the committed block's
	ParentRoot    common.Hash
	Compatibility string // the version the block ran under
	Result        *executor.BlockResult
}

// ReexecuteBlock executes committed block number (> 0) again on the state
// history's view of its parent, with the rules that view gives it.
func (n *Node) ReexecuteBlock(ctx context.Context, number uint64) (*Reexecution, error) {
	b, err := n.ledger.BlockByNumber(number)
	if err != nil {
		return nil, err
	}
	parent, err := n.ledger.HeaderByNumber(number - 1)
	if err != nil {
		return nil, err
	}
	view, release, err := (&backend{n: n}).stateAt(number - 1)
	if err != nil {
		return nil, err
	}
	defer release()
	rules, err := n.exec.RulesAt(view, number)
	if err != nil {
		return nil, err
	}
	h := b.Header
	res, err := n.exec.ExecuteBlock(ctx, executor.BlockEnv{
		Number: h.Number, Timestamp: h.Timestamp, Sealer: h.Sealer, Rules: &rules,
		GetHash: func(x uint64) common.Hash {
			hash, _ := n.ledger.HashByNumber(x)
			return hash
		},
	}, parent.StateRoot, b.Txs, view)
	if err != nil {
		return nil, err
	}
	return &Reexecution{Header: h, ParentRoot: parent.StateRoot, Compatibility: rules.Compatibility, Result: res}, nil
}

// Hasher is the hash of the node's crypto suite.
func (n *Node) Hasher() types.Hasher { return n.ledger.Hasher() }
