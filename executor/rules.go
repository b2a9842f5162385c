package executor

import (
	"fmt"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// Rules are the governance parameters a block is executed under, read
// once per block from the state of its parent (SystemConfig values in
// force at the block's number).
type Rules struct {
	// TxCountLimit is the most transactions the block may hold (0: no
	// limit, on a chain without governance state).
	TxCountLimit uint64
	// TxGasLimit is the most gas one transaction may ask for.
	TxGasLimit uint64
	// Compatibility is the chain's compatibility version at the block.
	Compatibility string
	// permission is the block's permission_check switch (unknown in
	// Rules not made by RulesOf: the sessions then read it from the state).
	permission precompiled.PermissionSwitch
}

// MaxCompatibility is the highest compatibility version this executor
// runs blocks of.
func (e *Executor) MaxCompatibility() string { return e.maxCompat }

// SupportsCompatibility reports whether this executor runs blocks of
// compatibility version v: a version its code knows, not above
// Config.MaxCompatibility.
func (e *Executor) SupportsCompatibility(v string) bool {
	return precompiled.KnownCompatibility(v) && precompiled.CompareVersions(v, e.maxCompat) <= 0
}

// RulesAt reads the rules of block number from st, the state after its
// parent (or any later state before a change: values record the block
// they apply from). A chain without governance state gets the executor's
// configuration. A compatibility version this executor does not support
// is ErrUnsupportedVersion: the node must not execute the block.
func (e *Executor) RulesAt(st storage.Reader, number uint64) (Rules, error) {
	p, err := precompiled.NewGovernanceReader(state.NewReader(st)).Params(number)
	if err != nil {
		return Rules{}, fmt.Errorf("%w: reading the system config of block %d: %w", ErrState, number, err)
	}
	return e.RulesOf(p, number)
}

// RulesOf is RulesAt from the chain parameters of block number already
// read (precompiled.GovernanceReader.Params on the same state).
func (e *Executor) RulesOf(p precompiled.ChainParams, number uint64) (Rules, error) {
	r := Rules{TxGasLimit: e.cfg.TxGasLimit, Compatibility: precompiled.CompatV0_1}
	if p.Has[precompiled.KeyTxCountLimit] {
		r.TxCountLimit = p.TxCountLimit
	}
	if p.Has[precompiled.KeyTxGasLimit] {
		r.TxGasLimit = p.TxGasLimit
	}
	r.Compatibility = p.Compatibility
	r.permission = precompiled.SwitchOf(p.PermissionCheck)
	if !e.SupportsCompatibility(r.Compatibility) {
		return Rules{}, fmt.Errorf("%w: block %d runs under compatibility version %s, and this node's binary supports versions up to %s; it stops here instead of forking: upgrade it to a release that supports %s",
			ErrUnsupportedVersion, number, r.Compatibility, e.maxCompat, r.Compatibility)
	}
	return r, nil
}

// GasLimitInvalidatesBlock reports whether a transaction asking for more
// than TxGasLimit makes its block invalid: from compatibility version 0.2.0
// on. Before, such a transaction is executed as failed (its receipt says
// why), as the code of 0.1.0 did.
func (r Rules) GasLimitInvalidatesBlock() bool {
	return precompiled.CompareVersions(r.Compatibility, precompiled.CompatV0_2) >= 0
}

// CheckBlock applies the block-wide rules to a block's transactions: at
// most TxCountLimit of them (ErrTooManyTxs) and, from compatibility
// version 0.2.0, none asking for more than TxGasLimit gas (ErrInvalidTx).
// A violation makes the block invalid.
func (r Rules) CheckBlock(number uint64, txs []*types.Transaction) error {
	if r.TxCountLimit > 0 && uint64(len(txs)) > r.TxCountLimit {
		return fmt.Errorf("%w: block %d holds %d transactions, tx_count_limit is %d", ErrTooManyTxs, number, len(txs), r.TxCountLimit)
	}
	if !r.GasLimitInvalidatesBlock() {
		return nil
	}
	for i, tx := range txs {
		if err := r.CheckTx(tx); err != nil {
			return fmt.Errorf("%w: block %d tx %d (%v): %w", ErrInvalidTx, number, i, tx.Hash(), err)
		}
	}
	return nil
}

// CheckTx refuses a transaction asking for more gas than TxGasLimit
// (ErrGasLimitTooHigh). A native transaction asking for 0 gets the limit.
func (r Rules) CheckTx(tx *types.Transaction) error {
	if g := tx.Gas(); g > r.TxGasLimit {
		return fmt.Errorf("%w: the tx asks for %d gas, tx_gas_limit is %d", ErrGasLimitTooHigh, g, r.TxGasLimit)
	}
	return nil
}
