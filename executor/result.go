package executor

import (
	"errors"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/core/vm"
)

// vmErrors are the EVM's sentinel errors. A receipt names them by their
// bare text ("out of gas"), without the details go-ethereum may wrap around
// them, so receipts do not change when those details do.
var vmErrors = []error{
	vm.ErrOutOfGas,
	vm.ErrCodeStoreOutOfGas,
	vm.ErrDepth,
	vm.ErrInsufficientBalance,
	vm.ErrContractAddressCollision,
	vm.ErrExecutionReverted,
	vm.ErrMaxCodeSizeExceeded,
	vm.ErrMaxInitCodeSizeExceeded,
	vm.ErrInvalidJump,
	vm.ErrWriteProtection,
	vm.ErrReturnDataOutOfBounds,
	vm.ErrGasUintOverflow,
	vm.ErrInvalidCode,
	vm.ErrNonceUintOverflow,
}

// vmErrorMessage describes an EVM execution error for a receipt or an RPC
// error: the decoded reason for reverts with Error(string) or Panic(uint256).
func vmErrorMessage(err error, ret []byte) string {
	if errors.Is(err, vm.ErrExecutionReverted) {
		if reason, uerr := abi.UnpackRevert(ret); uerr == nil {
			return vm.ErrExecutionReverted.Error() + ": " + reason
		}
	}
	for _, e := range vmErrors {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return err.Error()
}
