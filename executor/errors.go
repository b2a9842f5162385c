package executor

import "errors"

// Sentinel errors. Callers wrap them with details.
var (
	ErrInvalidConfig = errors.New("executor: invalid configuration")
	// ErrInvalidTx: a block holds a transaction whose signature or chain
	// binding does not verify; the block is invalid.
	ErrInvalidTx = errors.New("executor: block contains an invalid transaction")
	// ErrState: state could not be read or written; the result is void.
	ErrState = errors.New("executor: state access failed")
	// ErrCallRejected: a call failed its pre-checks (for example not
	// enough balance for its value, or too little gas for its input).
	ErrCallRejected = errors.New("call rejected before execution")
	// ErrExecutionFailed: gas estimation found the call failing even with
	// the chain's maximum gas; the CallResult holds the revert data.
	ErrExecutionFailed = errors.New("execution failed at the maximum gas limit")
	// ErrGasLimitTooHigh: a transaction asks for more gas than one
	// transaction may use on this chain.
	ErrGasLimitTooHigh = errors.New("transaction gas limit exceeds the chain's per-transaction gas limit")
	// ErrValueTooLarge: a value does not fit in 256 bits.
	ErrValueTooLarge = errors.New("value exceeds 256 bits")
	// ErrTooManyTxs: a block holds more transactions than the chain's
	// tx_count_limit; the block is invalid.
	ErrTooManyTxs = errors.New("executor: block holds more transactions than tx_count_limit")
	// ErrUnsupportedVersion: the chain's compatibility version at a block
	// is one this node's binary does not support; the node must stop
	// rather than execute the block under rules it does not know.
	ErrUnsupportedVersion = errors.New("executor: unsupported compatibility version")
	// ErrBadGenesis: the genesis allocation is not valid.
	ErrBadGenesis = errors.New("invalid genesis allocation")
)
