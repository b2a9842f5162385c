package executor

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"

	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
)

// CallMsg is a message to execute without a transaction (eth_call).
type CallMsg struct {
	From common.Address
	To   *common.Address // nil runs Data as init code
	// Gas is the gas limit; 0, or more than the chain's per-transaction
	// limit, means that limit.
	Gas   uint64
	Value *big.Int
	Data  []byte
}

// CallResult is the outcome of a call that was executed.
type CallResult struct {
	Return  []byte // return data; nil when Err is set
	GasUsed uint64
	Err     error  // execution error (vm.ErrExecutionReverted, vm.ErrOutOfGas, ...)
	Revert  []byte // revert data when Err is vm.ErrExecutionReverted
}

// ErrorMessage describes Err as a receipt would ("execution reverted:
// <reason>"), or "" when the call succeeded.
func (r *CallResult) ErrorMessage() string {
	if r.Err == nil {
		return ""
	}
	return vmErrorMessage(r.Err, r.Revert)
}

// Call executes msg on the state in st without writing anything: changes
// are discarded. Like a transaction it runs at gas price 0, and a value
// needs the balance; the sender's nonce and code are not checked. A call
// rejected before execution returns an error wrapping ErrCallRejected and
// go-ethereum's reason (for example core.ErrInsufficientFundsForTransfer).
func (e *Executor) Call(ctx context.Context, env BlockEnv, msg CallMsg, st storage.Reader) (*CallResult, error) {
	env, err := e.callEnv(env, st)
	if err != nil {
		return nil, err
	}
	return e.call(ctx, env, msg, callGas(msg.Gas, env.rules.TxGasLimit), st)
}

// callEnv sets the rules of env's block, read from st, as a block's.
func (e *Executor) callEnv(env BlockEnv, st storage.Reader) (BlockEnv, error) {
	rules, err := e.RulesAt(st, env.Number)
	if err != nil {
		return env, err
	}
	env.rules = rules
	return env, nil
}

// callGas is the gas of a call asking for gas under the limit in force.
func callGas(gas, txGasLimit uint64) uint64 {
	if gas == 0 || gas > txGasLimit {
		return txGasLimit
	}
	return gas
}

func (e *Executor) call(ctx context.Context, env BlockEnv, msg CallMsg, gas uint64, st storage.Reader) (*CallResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	value := new(uint256.Int)
	if msg.Value != nil {
		if msg.Value.Sign() < 0 {
			return nil, fmt.Errorf("%w: negative value", ErrCallRejected)
		}
		var overflow bool
		if value, overflow = uint256.FromBig(msg.Value); overflow {
			return nil, fmt.Errorf("%w: %w", ErrCallRejected, ErrValueTooLarge)
		}
	}
	sdb := state.New(st)
	evm, sess := e.newEVM(env, sdb)
	defer evm.Release()
	stop := context.AfterFunc(ctx, evm.Cancel)
	defer stop()

	m := &core.Message{
		From:      msg.From,
		To:        msg.To,
		Value:     value,
		GasLimit:  gas,
		GasPrice:  new(uint256.Int),
		GasFeeCap: new(uint256.Int),
		GasTipCap: new(uint256.Int),
		Data:      msg.Data,
	}
	m.SkipNonceCheck().SkipEOACheck().SkipGasLimitCapCheck()
	out, err := e.runMessage(evm, sess, sdb, m, nil)
	if cerr := ctx.Err(); cerr != nil { // a cancelled EVM stops as if successful
		return nil, cerr
	}
	if serr := sdb.Error(); serr != nil {
		return nil, fmt.Errorf("%w: %w", ErrState, serr)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCallRejected, err)
	}
	if refused := sess.Refused(); refused != nil { // as the transaction would fail
		return &CallResult{GasUsed: out.UsedGas, Err: refused}, nil
	}
	return &CallResult{Return: out.Return(), GasUsed: out.UsedGas, Err: out.Err, Revert: out.Revert()}, nil
}

// EstimateGas finds the smallest gas limit with which msg succeeds, by
// binary search between the gas the call used at the maximum limit and
// that limit (msg.Gas if set, else the chain's per-transaction limit).
// When the call fails even at the maximum it returns the CallResult of
// that run (with its revert data) and an error wrapping
// ErrExecutionFailed and the reason. The result returned with a gas
// estimate is that of the call at that gas.
func (e *Executor) EstimateGas(ctx context.Context, env BlockEnv, msg CallMsg, st storage.Reader) (uint64, *CallResult, error) {
	env, err := e.callEnv(env, st)
	if err != nil {
		return 0, nil, err
	}
	hi := callGas(msg.Gas, env.rules.TxGasLimit)
	best, err := e.call(ctx, env, msg, hi, st)
	if err != nil {
		return 0, nil, err
	}
	if best.Err != nil {
		return 0, best, fmt.Errorf("%w: %s", ErrExecutionFailed, best.ErrorMessage())
	}
	// try runs the call with gas and reports whether it succeeded.
	try := func(gas uint64) (bool, error) {
		res, err := e.call(ctx, env, msg, gas, st)
		switch {
		case errors.Is(err, ErrCallRejected):
			return false, nil // too little gas for the intrinsic or floor cost
		case err != nil:
			return false, err
		case res.Err != nil:
			return false, nil
		}
		best = res
		return true, nil
	}
	// A limit below the peak gas use of the successful run cannot succeed.
	lo := uint64(params.TxGas - 1)
	if peak := best.GasUsed; peak > lo+1 {
		lo = peak - 1
	}
	// Most calls need little more than they used (refunds aside, and the
	// 63/64 rule for nested calls): try that first.
	if opt := (best.GasUsed + params.CallStipend) * 64 / 63; opt > lo && opt < hi {
		ok, err := try(opt)
		if err != nil {
			return 0, nil, err
		}
		if ok {
			hi = opt
		} else {
			lo = opt
		}
	}
	for lo+1 < hi {
		mid := lo + (hi-lo)/2
		ok, err := try(mid)
		if err != nil {
			return 0, nil, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, best, nil
}
