package node

import (
	"errors"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/types"
)

// maxBlockTxs is the highest tx_count_limit the SystemConfig contract
// accepts: the engines' static bound, under which the value in force applies.
const maxBlockTxs = 100_000

// rulesCache keeps the rules of the last few heights asked, each read
// once per head block (the PBFT engine asks for the next two heights
// when it pipelines).
type rulesCache struct {
	mu      sync.Mutex
	entries [4]rulesEntry
	next    int // the entry replaced next
}

type rulesEntry struct {
	ok     bool
	head   uint64      // ledger head they were read at
	root   common.Hash // its state root
	height uint64
	rules  consensus.Rules
	exec   executor.Rules // the executor's view of the same read
	err    error
}

// find returns the entry of height read on head, or nil. The caller holds mu.
func (c *rulesCache) find(head *types.Header, height uint64) *rulesEntry {
	for i := range c.entries {
		x := &c.entries[i]
		if x.ok && x.head == head.Number && x.root == head.StateRoot && x.height == height {
			return x
		}
	}
	return nil
}

// put records an entry. The caller holds mu.
func (c *rulesCache) put(x rulesEntry) {
	c.entries[c.next] = x
	c.next = (c.next + 1) % len(c.entries)
}

// RulesAt implements consensus.RulesSource: the governance parameters in
// force at height, read from the latest committed state (the state of
// height's parent when height is the next block, or of the block below
// it when height is Pipelined: the compatibility version at its parent
// is 0.4.0 or later, so the parent changes nothing in force at height;
// a height further ahead is consensus.ErrRulesPending) and cached until
// the head moves. Keys a chain does not set keep the genesis values. A
// compatibility version this node does not support is an error wrapping
// executor.ErrUnsupportedVersion, and the node halts (Halted) when it is
// the next block's.
func (n *Node) RulesAt(height uint64) (consensus.Rules, error) {
	c := &n.rules
	if head := n.ledger.Head(); head != nil {
		c.mu.Lock()
		x := c.find(head, height)
		var r consensus.Rules
		var err error
		if x != nil {
			r, err = x.rules, x.err
		}
		c.mu.Unlock()
		if x != nil {
			return r, err
		}
	}
	// Read under the state lock: no block is being committed, so the
	// head and the state read agree, and the executor may reuse what was
	// read for a block on this head (execRules).
	n.stateMu.RLock()
	defer n.stateMu.RUnlock()
	head := n.ledger.Head()
	r, er, err := n.readRules(head, height)
	if errors.Is(err, executor.ErrUnsupportedVersion) && (head == nil || height <= head.Number+1) {
		n.halted(err) // the next block; a pipelined read of the one after halts once its parent is committed
	}
	if head != nil {
		c.mu.Lock()
		if c.find(head, height) == nil {
			c.put(rulesEntry{ok: true, head: head.Number, root: head.StateRoot, height: height, rules: r, exec: er, err: err})
		}
		c.mu.Unlock()
	}
	return r, err
}

// execRules returns the executor's rules of block height on head when
// RulesAt read them on that head, for ExecuteBlock not to read them
// again; nil otherwise. The caller holds stateMu's read lock, with head
// the ledger's head.
func (n *Node) execRules(head *types.Header, height uint64) *executor.Rules {
	c := &n.rules
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.find(head, height)
	if x == nil || x.err != nil {
		return nil
	}
	er := x.exec
	return &er
}

// readRules reads the rules of height once from the latest state (head's),
// as the node and as the executor sees them.
func (n *Node) readRules(head *types.Header, height uint64) (consensus.Rules, executor.Rules, error) {
	var headNumber uint64
	if head != nil {
		headNumber = head.Number
		if x, ok := n.gov.rulesAt(headNumber, height); ok {
			// height and its parent are past the last governance change:
			// the parent's compatibility version is height's.
			if height > headNumber+1 && (height > headNumber+2 || !precompiled.Pipelined(x.er.Compatibility)) {
				return consensus.Rules{}, executor.Rules{}, fmt.Errorf("%w: block %d, head %d (compatibility version %s at block %d)",
					consensus.ErrRulesPending, height, headNumber, x.er.Compatibility, height-1)
			}
			return x.r, x.er, nil
		}
	}
	gen := n.gov.generation()
	g := n.genesis
	gr := precompiled.NewGovernanceReader(n.config.reader(state.NewReader(n.kv)))
	parent, err := gr.Params(max(height, 1) - 1)
	if err != nil {
		return consensus.Rules{}, executor.Rules{}, fmt.Errorf("%w: reading the system config of block %d: %w", executor.ErrState, height-1, err)
	}
	pipelined := precompiled.Pipelined(parent.Compatibility)
	if head != nil && height > head.Number+1 && (height > head.Number+2 || !pipelined) {
		return consensus.Rules{}, executor.Rules{}, fmt.Errorf("%w: block %d, head %d (compatibility version %s at block %d)",
			consensus.ErrRulesPending, height, head.Number, parent.Compatibility, height-1)
	}
	p, err := gr.Params(height)
	if err != nil {
		return consensus.Rules{}, executor.Rules{}, fmt.Errorf("%w: reading the system config of block %d: %w", executor.ErrState, height, err)
	}
	er, err := n.exec.RulesOf(p, height)
	if err != nil {
		return consensus.Rules{}, executor.Rules{}, err
	}
	r := consensus.Rules{
		MaxTxs:              g.BlockTxLimit,
		TxGasLimit:          er.TxGasLimit,
		GasLimitInvalidates: er.GasLimitInvalidatesBlock(),
		ConsensusTimeout:    g.PBFTConsensusTimeout(),
		MinSealInterval:     msDuration(g.MinSealIntervalMs),
		TxHashProposals:     precompiled.CompareVersions(er.Compatibility, precompiled.CompatV0_3) >= 0,
		Pipelined:           pipelined,
	}
	if er.TxCountLimit > 0 {
		r.MaxTxs = int(min(er.TxCountLimit, maxBlockTxs))
	}
	if p.Has[precompiled.KeyConsensusTimeoutMs] {
		r.ConsensusTimeout = p.ConsensusTimeout
	}
	if p.Has[precompiled.KeyMinSealIntervalMs] {
		r.MinSealInterval = p.MinSealInterval
	}
	if head != nil {
		n.gov.keepRules(gen, headNumber, height, govRules{r: r, er: er})
	}
	return r, er, nil
}

// TxGasLimit implements txpool.TxGasLimits: tx_gas_limit in force at block.
func (c *poolChain) TxGasLimit(block uint64) (uint64, error) {
	r, err := c.n.RulesAt(block)
	return r.TxGasLimit, err
}

// checkCompatibility refuses to start a node whose binary does not
// support the chain's compatibility version for the next block.
func (n *Node) checkCompatibility() error {
	next := n.ledger.Height() + 1
	if _, err := n.exec.RulesAt(n.kv, next); err != nil {
		if errors.Is(err, executor.ErrUnsupportedVersion) {
			return fmt.Errorf("%w: %w", ErrUnsupportedChain, err)
		}
		return err
	}
	return nil
}

// haltState records why the node stopped following the chain.
type haltState struct {
	mu  sync.Mutex
	err error
}

// halted records (once) and logs that the chain moved to a compatibility
// version this node does not support: it executes no block from there.
func (n *Node) halted(err error) {
	n.halt.mu.Lock()
	first := n.halt.err == nil
	if first {
		n.halt.err = err
	}
	n.halt.mu.Unlock()
	if first {
		n.logger.Error("node halted: the chain runs a compatibility version this binary does not support; it executes no more blocks (no fork). Upgrade the binary and restart", "err", err)
	}
}

// Halted returns why the node stopped executing blocks (an error wrapping
// executor.ErrUnsupportedVersion), or nil while it follows the chain.
func (n *Node) Halted() error {
	n.halt.mu.Lock()
	defer n.halt.mu.Unlock()
	return n.halt.err
}
