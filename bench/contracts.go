package bench

import (
	"embed"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// The bench contracts' artifacts, compiled from testdata/contracts by
// testdata/contracts/compile.sh and copied here (a test checks the copies
// are current).
//
//go:embed contracts/*.abi contracts/*.bin
var contractFiles embed.FS

// contract is a compiled contract: its ABI and creation bytecode.
type contract struct {
	abi abi.ABI
	bin []byte
}

func loadContract(name string) (*contract, error) {
	rawABI, err := contractFiles.ReadFile("contracts/" + name + ".abi")
	if err != nil {
		return nil, err
	}
	a, err := abi.JSON(strings.NewReader(string(rawABI)))
	if err != nil {
		return nil, fmt.Errorf("bench: ABI of %s: %w", name, err)
	}
	rawBin, err := contractFiles.ReadFile("contracts/" + name + ".bin")
	if err != nil {
		return nil, err
	}
	return &contract{abi: a, bin: common.FromHex(strings.TrimSpace(string(rawBin)))}, nil
}

// contracts holds the workloads' contracts, their addresses once deployed
// and the gas limit of a call of each kind (gasCall until the node's
// estimates replace it).
type contracts struct {
	token, kv         *contract
	tokenAddr, kvAddr common.Address
	callGas           map[Kind]uint64
}

func loadContracts() (*contracts, error) {
	t, err := loadContract("BenchToken")
	if err != nil {
		return nil, err
	}
	k, err := loadContract("BenchKV")
	if err != nil {
		return nil, err
	}
	return &contracts{token: t, kv: k, callGas: map[Kind]uint64{KindERC20: gasCall, KindKV: gasCall}}, nil
}
