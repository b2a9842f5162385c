package node

import (
	"errors"
	"fmt"
	"sync"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
)

// maxBlockTxs is the highest tx_count_limit the SystemConfig contract
// accepts: the engines' static bound, under which the value in force applies.
const maxBlockTxs = 100_000

// rulesCache keeps the rules of one height, read once per head block.
type rulesCache struct {
	mu     sync.Mutex
	ok     bool
	head   uint64 // ledger head they were read at
	height uint64
	rules  consensus.Rules
	err    error
}

// RulesAt implements consensus.RulesSource: the governance parameters in
// force at height, read from the latest committed state (the state of
// height's parent when height is the next block) and cached until the
// head moves. Keys a chain does not set keep the genesis values. A
// compatibility version this node does not support is an error wrapping
// executor.ErrUnsupportedVersion, and the node halts (Halted).
func (n *Node) RulesAt(height uint64) (consensus.Rules, error) {
	head := n.ledger.Height()
	c := &n.rules
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && c.head == head && c.height == height {
		return c.rules, c.err
	}
	r, err := n.readRules(height)
	if errors.Is(err, executor.ErrUnsupportedVersion) {
		n.halted(err)
	}
	// A block committed meanwhile may have changed the state read: keep
	// only what was read at a stable head.
	if n.ledger.Height() == head {
		c.ok, c.head, c.height, c.rules, c.err = true, head, height, r, err
	}
	return r, err
}

func (n *Node) readRules(height uint64) (consensus.Rules, error) {
	g := n.genesis
	er, err := n.exec.RulesAt(n.kv, height)
	if err != nil {
		return consensus.Rules{}, err
	}
	p, err := precompiled.NewGovernanceReader(state.NewReader(n.kv)).Params(height)
	if err != nil {
		return consensus.Rules{}, fmt.Errorf("reading the system config of block %d: %w", height, err)
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
	return r, nil
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
