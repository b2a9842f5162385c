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
	// selCompat exists from compatibility version 0.2.0 on.
	selCompat = crypto.Keccak256([]byte("compatibilityVersion()"))[:4]
)

// SystemInfo is a read-only system contract reporting the chain id, the
// current block and (from compatibility version 0.2.0) the chain's
// compatibility version. Its Solidity interface is in SystemInfo.sol.
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
	case bytes.Equal(sel, selCompat) && env.Block.compatAtLeast(CompatV0_2):
		// Before 0.2.0 this selector is unknown, as it was to the code of
		// that version: the same revert, so old and new nodes agree.
		return encodeString(env.Block.Compat), nil
	default:
		return Revert(fmt.Sprintf("SystemInfo: unknown function selector 0x%x", sel))
	}
}

// encodeString ABI-encodes one string return value.
func encodeString(s string) []byte {
	out := append(Word(32), Word(uint64(len(s)))...)
	pad := (len(s) + 31) / 32 * 32
	return append(out, append([]byte(s), make([]byte, pad-len(s))...)...)
}
