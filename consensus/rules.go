package consensus

import (
	"fmt"
	"time"

	"github.com/gobcos/gobcos/types"
)

// Rules are the chain parameters in force for one block that engines
// apply (the committee changes them through the SystemConfig contract,
// from the block after the proposal's).
type Rules struct {
	// MaxTxs is the most transactions a block may hold (tx_count_limit):
	// proposers seal no more, validators refuse a block with more.
	MaxTxs int
	// TxGasLimit is the most gas one transaction may ask for
	// (tx_gas_limit): proposers leave such transactions out.
	TxGasLimit uint64
	// GasLimitInvalidates is set when a transaction over TxGasLimit makes
	// its block invalid (compatibility version 0.2.0 on); before, it is
	// executed as failed and the block stays valid.
	GasLimitInvalidates bool
	// ConsensusTimeout is the PBFT view-change timeout and the Raft
	// election timeout (local timing).
	ConsensusTimeout time.Duration
	// MinSealInterval is the least time between two partial blocks (local
	// timing): no engine holds back a full block for it.
	MinSealInterval time.Duration
	// TxHashProposals is set when a PBFT proposal at the height carries
	// its transactions' 32-byte hashes instead of their bodies
	// (compatibility version 0.3.0 on); replicas resolve them from their
	// txpool and fetch the bodies they lack. A proposal in the other form
	// is invalid.
	TxHashProposals bool
	// Pipelined is set when the compatibility version in force at the
	// height's parent is 0.4.0 or later: the parent then changes no
	// governance value before the height after this one, so these rules
	// (and the height's sealer set) are fixed by the block two below, and
	// a PBFT sealer may verify, vote on and execute the height before its
	// parent is committed.
	Pipelined bool
}

// RulesSource gives the Rules in force at a height, read from the state
// of the height's parent, or of the block below it when that is the
// latest committed one and the height is Pipelined (otherwise
// ErrRulesPending). An error means this node must not seal or vote for
// that height (for example its binary does not support the chain's
// compatibility version); engines then wait and retry.
type RulesSource interface {
	RulesAt(height uint64) (Rules, error)
}

// RulesFunc adapts a function to RulesSource.
type RulesFunc func(height uint64) (Rules, error)

// RulesAt implements RulesSource.
func (f RulesFunc) RulesAt(height uint64) (Rules, error) { return f(height) }

// BlockTxLimit is the most txs a proposer may put in a block under r when
// the engine itself allows limit: the lower of the two.
func (r Rules) BlockTxLimit(limit int) int {
	if r.MaxTxs > 0 {
		return min(limit, r.MaxTxs)
	}
	return limit
}

// Sealable reports whether a proposer may put tx in a block under r.
func (r Rules) Sealable(tx *types.Transaction) bool {
	return r.TxGasLimit == 0 || tx.Gas() <= r.TxGasLimit
}

// CheckBlock applies r to the transactions of a block at height, as a
// validator: ErrTooManyTxs, or ErrTxGasLimit for a transaction over the
// gas limit when GasLimitInvalidates.
func (r Rules) CheckBlock(height uint64, txs []*types.Transaction) error {
	if r.MaxTxs > 0 && len(txs) > r.MaxTxs {
		return fmt.Errorf("%w: block %d holds %d transactions, tx_count_limit is %d", ErrTooManyTxs, height, len(txs), r.MaxTxs)
	}
	if !r.GasLimitInvalidates {
		return nil
	}
	for i, tx := range txs {
		if !r.Sealable(tx) {
			return fmt.Errorf("%w: block %d tx %d (%v) asks for %d gas, tx_gas_limit is %d", ErrTxGasLimit, height, i, tx.Hash(), tx.Gas(), r.TxGasLimit)
		}
	}
	return nil
}
