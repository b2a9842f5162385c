package executor

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
)

// GenesisAccount is an account of the genesis allocation.
type GenesisAccount struct {
	Balance *big.Int
	Code    []byte
	Storage map[common.Hash]common.Hash
	Nonce   uint64
}

// SystemContractCode is the code Genesis stores at every system contract
// address: the EVM never runs it (the native contract answers calls), but
// it makes the address a contract for EXTCODESIZE, so Solidity's check
// that a callee has code passes. It is the INVALID opcode.
var SystemContractCode = []byte{0xfe}

// Genesis builds the genesis state: the allocation, plus
// SystemContractCode at each system contract address the allocation gives
// no code. It returns the write set of block 0 (to apply to the empty
// store) and the state root, chained to the zero hash, as the chain's
// genesis compatibility version compat hashes it ("", which sorts below
// every version, as 0.1.0 does, for a genesis that names none). Accounts
// left empty (no balance, nonce, code or storage) are not stored
// (EIP-161). Storage is only accepted on accounts with code.
func (e *Executor) Genesis(alloc map[common.Address]GenesisAccount, st storage.Reader, compat string) (*state.WriteSet, common.Hash, error) {
	sdb := state.New(st)
	addrs := make([]common.Address, 0, len(alloc))
	for a := range alloc {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(a, b common.Address) int { return a.Cmp(b) })
	for _, addr := range addrs {
		acc := alloc[addr]
		code := acc.Code
		if len(code) == 0 && precompiled.IsSystemAddress(addr) {
			if _, ok := e.sys.Contract(addr); ok {
				code = SystemContractCode
			}
		}
		if len(acc.Storage) > 0 && len(code) == 0 {
			return nil, common.Hash{}, fmt.Errorf("%w: account %v has storage but no code", ErrBadGenesis, addr)
		}
		if acc.Balance != nil {
			if acc.Balance.Sign() < 0 {
				return nil, common.Hash{}, fmt.Errorf("%w: account %v has a negative balance", ErrBadGenesis, addr)
			}
			bal, overflow := uint256.FromBig(acc.Balance)
			if overflow {
				return nil, common.Hash{}, fmt.Errorf("%w: balance of %v: %w", ErrBadGenesis, addr, ErrValueTooLarge)
			}
			sdb.SetBalance(addr, bal)
		}
		if acc.Nonce != 0 {
			sdb.SetNonce(addr, acc.Nonce, 0)
		}
		if len(code) > 0 {
			sdb.SetCode(addr, code, 0)
		}
		for k, v := range acc.Storage {
			sdb.SetState(addr, k, v)
		}
	}
	for _, addr := range e.sys.Addresses() {
		if _, ok := alloc[addr]; !ok {
			sdb.SetCode(addr, SystemContractCode, 0)
		}
	}
	ws, err := sdb.WriteSet()
	if err != nil {
		return nil, common.Hash{}, fmt.Errorf("%w: %w", ErrState, err)
	}
	return ws.ForBlock(0), e.stateRoot(ws, common.Hash{}, compat, 1), nil
}
