package precompiled

import "errors"

// Sentinel errors.
var (
	// ErrBadAddress: system contracts live at 0x...1000 to 0x...ffff.
	ErrBadAddress = errors.New("system contract address outside 0x0000000000000000000000000000000000001000..0x000000000000000000000000000000000000ffff")
	// ErrDuplicate: two system contracts at one address.
	ErrDuplicate = errors.New("a system contract is already registered at this address")
	// ErrNilContract: Register was given no contract.
	ErrNilContract = errors.New("nil system contract")
	// ErrReadOnly: a system contract tried to change state in a call that
	// may not (STATICCALL, DELEGATECALL, CALLCODE, or inside a static call).
	ErrReadOnly = errors.New("system contract cannot change state here: call it with CALL, outside any STATICCALL")
	// ErrContractPanic: a system contract panicked; the call fails.
	ErrContractPanic = errors.New("system contract failed internally")
)

// Errors of the governance checks the executor makes before a transaction
// runs.
var (
	// ErrAccountFrozen: the sender's account is frozen.
	ErrAccountFrozen = errors.New("account is frozen")
	// ErrDeployNotAllowed: the deploy allow-list is on and the sender is
	// not on it.
	ErrDeployNotAllowed = errors.New("deploy not allowed")
)
