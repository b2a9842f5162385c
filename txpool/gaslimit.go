package txpool

import (
	"fmt"

	"github.com/gobcos/gobcos/types"
)

// TxGasLimits is implemented by a Chain whose per-transaction gas limit
// changes by governance (the chain's tx_gas_limit). The pool then refuses
// a tx asking for more than the limit in force for the next block on
// arrival (ErrGasLimitTooHigh), and drops the pooled txs a lowered limit
// leaves above it, so sealers never meet them. Config.TxGasLimit stays an
// upper bound checked first.
type TxGasLimits interface {
	// TxGasLimit is the per-transaction gas limit in force at block.
	TxGasLimit(block uint64) (uint64, error)
}

// gasLimitRead is the tx_gas_limit in force for the block after a
// height, read once for a batch of txs, when the first needs it.
type gasLimitRead struct {
	done  bool
	limit uint64
	ok    bool // the chain has one (TxGasLimits)
	err   error
}

// checkGasLimit refuses a tx over the limit in force for the block after
// height, which it reads into g unless g holds it.
func (p *Pool) checkGasLimit(tx *types.Transaction, height uint64, g *gasLimitRead) error {
	if !g.done {
		g.limit, g.ok, g.err = p.txGasLimit(height)
		g.done = true
	}
	if !g.ok {
		return nil
	}
	if g.err != nil {
		return fmt.Errorf("%w: reading tx_gas_limit: %v", ErrChainState, g.err)
	}
	if tx.Gas() > g.limit {
		return fmt.Errorf("%w: the tx asks for %d gas, the chain's tx_gas_limit is %d; lower the tx's gas limit", ErrGasLimitTooHigh, tx.Gas(), g.limit)
	}
	return nil
}

// txGasLimit reads the tx_gas_limit in force for the block after height;
// ok is false when the chain has none (not a TxGasLimits).
func (p *Pool) txGasLimit(height uint64) (limit uint64, ok bool, err error) {
	gl, ok := p.chain.(TxGasLimits)
	if !ok {
		return 0, false, nil
	}
	limit, err = gl.TxGasLimit(height + 1)
	return limit, true, err
}

// dropOverGas removes the pooled txs over limit, the limit in force for
// the block after height (err when it could not be read), when the limit
// went down. p.mu is held. It returns how many it removed.
func (p *Pool) dropOverGas(height, limit uint64, err error) int {
	if err != nil {
		p.log.Warn("cannot read tx_gas_limit after commit", "height", height, "err", err)
		return 0
	}
	lowered := p.gasLimit == 0 || limit < p.gasLimit
	p.gasLimit = limit
	if !lowered {
		return 0
	}
	removed := 0
	for _, e := range p.all {
		if e.tx.Gas() > limit {
			p.log.Debug("dropping tx: above the lowered tx_gas_limit", "tx", e.hash, "gas", e.tx.Gas(), "limit", limit)
			p.remove(e)
			removed++
		}
	}
	return removed
}
