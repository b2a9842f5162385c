package precompiled

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/holiman/uint256"
)

// Contract is a system contract.
//
// Run returns the call's output. To revert with data (which the caller sees
// and which leaves the unused gas to it), return the data and
// vm.ErrExecutionReverted, for example through Revert. Any other error
// fails the call consuming all its gas. Either way the call's state changes
// are undone. Run must be deterministic: it may depend only on its Env and
// input.
type Contract interface {
	// Name identifies the contract in logs and errors.
	Name() string
	// RequiredGas is the gas a call with this input costs; it cannot
	// depend on state.
	RequiredGas(input []byte) uint64
	// Run executes one call.
	Run(env *Env, input []byte) ([]byte, error)
}

// BlockInfo is the block a system contract runs in.
type BlockInfo struct {
	ChainID   uint64
	Number    uint64
	Timestamp uint64
	// Compat is the chain's compatibility version in force at the block
	// ("" is read as the first version): rules added later apply only
	// once it reaches them.
	Compat string
	// Permission is the block's permission_check switch when the caller
	// read it with the block's rules (ChainParams.PermissionCheck);
	// PermissionUnknown makes each session read it from the state.
	Permission PermissionSwitch
}

// PermissionSwitch is the permission_check switch of a block, if known.
type PermissionSwitch uint8

const (
	PermissionUnknown PermissionSwitch = iota
	PermissionOn
	PermissionOff
)

// SwitchOf is the known switch on or off.
func SwitchOf(on bool) PermissionSwitch {
	if on {
		return PermissionOn
	}
	return PermissionOff
}

// StateReader is the read access a system contract has to all accounts.
type StateReader interface {
	GetBalance(common.Address) *uint256.Int
	GetNonce(common.Address) uint64
	GetCode(common.Address) []byte
	GetCodeHash(common.Address) common.Hash
	GetState(common.Address, common.Hash) common.Hash
}

// Env is one call of a system contract.
type Env struct {
	// Self is the contract's address.
	Self common.Address
	// Caller is the address that called: the sender for a call made by a
	// transaction, the calling contract otherwise.
	Caller common.Address
	// Value is the amount sent with the call (already credited to Self).
	Value *uint256.Int
	// ReadOnly is set when the call may not change state: it was made with
	// STATICCALL, DELEGATECALL or CALLCODE, or from inside a static call.
	ReadOnly bool
	// Block is the block being executed.
	Block BlockInfo

	db vm.StateDB
}

// State reads any account.
func (e *Env) State() StateReader { return e.db }

// Storage reads a slot of the contract's own storage.
func (e *Env) Storage(slot common.Hash) common.Hash { return e.db.GetState(e.Self, slot) }

// SetStorage writes a slot of the contract's own storage.
func (e *Env) SetStorage(slot, value common.Hash) error {
	if e.ReadOnly {
		return ErrReadOnly
	}
	// An empty account is deleted at the end of the transaction with its
	// storage (EIP-161): give it a nonce, as a deployed contract has. (The
	// genesis gives system contracts code, so this is for contracts
	// registered later.)
	if e.db.Empty(e.Self) {
		e.db.SetNonce(e.Self, 1, 0)
	}
	e.db.SetState(e.Self, slot, value)
	return nil
}

// EmitLog records an event emitted by the contract.
func (e *Env) EmitLog(topics []common.Hash, data []byte) error {
	if e.ReadOnly {
		return ErrReadOnly
	}
	e.db.AddLog(&ethtypes.Log{Address: e.Self, Topics: topics, Data: common.CopyBytes(data)})
	return nil
}

// Revert fails the call with a Solidity Error(string) reason.
func Revert(reason string) ([]byte, error) {
	return EncodeError(reason), vm.ErrExecutionReverted
}

// errorSelector is the selector of Solidity's Error(string).
var errorSelector = []byte{0x08, 0xc3, 0x79, 0xa0}

// EncodeError ABI-encodes Error(string) with the given reason.
func EncodeError(reason string) []byte {
	padded := (len(reason) + 31) / 32 * 32
	out := make([]byte, 4+32+32+padded)
	copy(out, errorSelector)
	out[4+31] = 0x20
	binary.BigEndian.PutUint64(out[4+32+24:], uint64(len(reason)))
	copy(out[4+64:], reason)
	return out
}

// Word is the 32-byte ABI encoding of an unsigned integer.
func Word(v uint64) []byte {
	w := make([]byte, 32)
	binary.BigEndian.PutUint64(w[24:], v)
	return w
}
