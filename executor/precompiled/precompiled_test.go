package precompiled

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

func TestEncodeErrorMatchesSolidity(t *testing.T) {
	for _, s := range []string{"", "x", "a reason that is longer than thirty-two bytes in total"} {
		got, err := abi.UnpackRevert(EncodeError(s))
		if err != nil || got != s {
			t.Fatalf("%q: decoded %q, %v", s, got, err)
		}
	}
	if _, err := Revert("r"); !errors.Is(err, vm.ErrExecutionReverted) {
		t.Fatalf("Revert must return vm.ErrExecutionReverted")
	}
}

func TestIsSystemAddress(t *testing.T) {
	for a, want := range map[string]bool{
		"0x0000000000000000000000000000000000001000": true,
		"0x000000000000000000000000000000000000ffff": true,
		"0x0000000000000000000000000000000000000fff": false,
		"0x0000000000000000000000000000000000000001": false,
		"0x0000000000000000000000000000000000010000": false,
	} {
		if IsSystemAddress(common.HexToAddress(a)) != want {
			t.Errorf("%s: want %v", a, want)
		}
	}
}

func TestSystemInfoRun(t *testing.T) {
	env := &Env{Value: new(uint256.Int), ReadOnly: true, Block: BlockInfo{ChainID: 7, Number: 99}}
	sel := func(sig string) []byte { return crypto.Keccak256([]byte(sig))[:4] }
	out, err := SystemInfo{}.Run(env, sel("info()"))
	if err != nil || len(out) != 64 || new(big.Int).SetBytes(out[:32]).Int64() != 7 || new(big.Int).SetBytes(out[32:]).Int64() != 99 {
		t.Fatalf("info() = %x, %v", out, err)
	}
	if out, _ := (SystemInfo{}).Run(env, sel("chainId()")); new(big.Int).SetBytes(out).Int64() != 7 {
		t.Fatalf("chainId() = %x", out)
	}
	for _, in := range [][]byte{nil, {1, 2}, sel("nope()")} {
		if _, err := (SystemInfo{}).Run(env, in); !errors.Is(err, vm.ErrExecutionReverted) {
			t.Errorf("input %x: %v", in, err)
		}
	}
	env.Value = uint256.NewInt(1)
	if _, err := (SystemInfo{}).Run(env, sel("chainId()")); !errors.Is(err, vm.ErrExecutionReverted) {
		t.Errorf("value accepted")
	}
}

type panicky struct{}

func (panicky) Name() string                     { return "panicky" }
func (panicky) RequiredGas([]byte) uint64        { return 1 }
func (panicky) Run(*Env, []byte) ([]byte, error) { panic("boom") }

func TestSessionAdapter(t *testing.T) {
	r := NewRegistry()
	if NewRegistry().NewSession(nil, BlockInfo{}).Hooks() != nil {
		t.Fatalf("an empty registry must not install a tracer")
	}
	addr := common.HexToAddress("0x2000")
	if err := r.Register(addr, panicky{}); err != nil {
		t.Fatal(err)
	}
	s := r.NewSession(nil, BlockInfo{})
	base := vm.PrecompiledContracts{common.BytesToAddress([]byte{1}): nil}
	pcs := s.Precompiles(base)
	if len(pcs) != 2 || len(base) != 1 {
		t.Fatalf("precompiles not merged into a copy")
	}
	if _, err := pcs[addr].Run(nil); !errors.Is(err, ErrContractPanic) {
		t.Fatalf("panic not turned into an error: %v", err)
	}
}
