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

// rulesCache keeps the rules of one height, read once per head block.
type rulesCache struct {
	mu     sync.Mutex
	ok     bool
	head   uint64      // ledger head they were read at
	root   common.Hash // its state root
	height uint64
	rules  consensus.Rules
	exec   executor.Rules // the executor's view of the same read
	err    error
}

// RulesAt implements consensus.RulesSource: the governance parameters in
// force at height, read from the latest committed state (the state of
// height's parent when height is the next block) and cached until the
// head moves. Keys a chain does not set keep the genesis values. A
// compatibility version this node does not support is an error wrapping
// executor.ErrUnsupportedVersion, and the node halts (Halted).
func (n *Node) RulesAt(height uint64) (consensus.Rules, error) {
	c := &n.rules
	if head := n.ledger.Head(); head != nil {
		c.mu.Lock()
		hit := c.ok && c.head == head.Number && c.root == head.StateRoot && c.height == height
		r, err := c.rules, c.err
		c.mu.Unlock()
		if hit {
			return r, err
		}
	}
	// Read under the state lock: no block is being committed, so the
	// head and the state read agree, and the executor may reuse what was
	// read for a block on this head (execRules).
	n.stateMu.RLock()
	defer n.stateMu.RUnlock()
	head := n.ledger.Head()
	r, er, err := n.readRules(height)
	if errors.Is(err, executor.ErrUnsupportedVersion) {
		n.halted(err)
	}
	if head != nil {
		c.mu.Lock()
		c.ok, c.head, c.root, c.height, c.rules, c.exec, c.err = true, head.Number, head.StateRoot, height, r, er, err
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
	if !c.ok || c.err != nil || c.head != head.Number || c.root != head.StateRoot || c.height != height {
		return nil
	}
	er := c.exec
	return &er
}

// readRules reads the rules of height once from the latest state, as
// the node and as the executor sees them.
func (n *Node) readRules(height uint64) (consensus.Rules, executor.Rules, error) {
	g := n.genesis
	p, err := precompiled.NewGovernanceReader(state.NewReader(n.kv)).Params(height)
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
