package precompiled

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"
)

// SystemInfoGas is the gas of every SystemInfo call.
const SystemInfoGas = 200

var (
	selChainID     = crypto.Keccak256([]byte("chainId()"))[:4]
	selBlockNumber = crypto.Keccak256([]byte("blockNumber()"))[:4]
	selInfo        = crypto.Keccak256([]byte("info()"))[:4]
)

// SystemInfo is a read-only system contract reporting the chain id and the
// current block. Its Solidity interface is in SystemInfo.sol.
type SystemInfo struct{}

// Name implements Contract.
func (SystemInfo) Name() string { return "SystemInfo" }

// RequiredGas implements Contract.
func (SystemInfo) RequiredGas([]byte) uint64 { return SystemInfoGas }

// Run implements Contract.
func (SystemInfo) Run(env *Env, input []byte) ([]byte, error) {
	if env.Value.Sign() != 0 {
		return Revert("SystemInfo: functions are not payable")
	}
	if len(input) < 4 {
		return Revert("SystemInfo: missing function selector")
	}
	switch sel := input[:4]; {
	case bytes.Equal(sel, selChainID):
		return Word(env.Block.ChainID), nil
	case bytes.Equal(sel, selBlockNumber):
		return Word(env.Block.Number), nil
	case bytes.Equal(sel, selInfo):
		return append(Word(env.Block.ChainID), Word(env.Block.Number)...), nil
	default:
		return Revert(fmt.Sprintf("SystemInfo: unknown function selector 0x%x", sel))
	}
}
