package precompiled

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"0.1.0", "0.2.0", -1}, {"0.2.0", "0.1.0", 1}, {"0.2.0", "0.2.0", 0},
		{"0.10.0", "0.9.0", 1}, {"1.0.0", "0.99.99", 1}, {"", "0.1.0", -1}, {"x", "", 0},
	} {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	if !KnownCompatibility(CompatV0_1) || !KnownCompatibility(LatestCompatibility()) || KnownCompatibility("0.1.5") || KnownCompatibility("") {
		t.Fatal("KnownCompatibility")
	}
	if LatestCompatibility() != CompatV0_3 {
		t.Fatalf("latest %s", LatestCompatibility())
	}
}

func TestParamsOf(t *testing.T) {
	p, err := paramsOf(map[string]ConfigValue{
		KeyTxCountLimit: {Value: "10"}, KeyConsensusTimeoutMs: {Value: "1500"}, KeyMinSealIntervalMs: {Value: "0"},
		KeyPermissionCheck: {Value: "1"}, KeyCompatibilityVersion: {Value: "0.2.0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.TxCountLimit != 10 || p.ConsensusTimeout != 1500*time.Millisecond || !p.Has[KeyMinSealIntervalMs] || p.Has[KeyTxGasLimit] ||
		!p.PermissionCheck || p.Compatibility != CompatV0_2 {
		t.Fatalf("params %+v", p)
	}
	if p, _ := paramsOf(nil); p.Compatibility != CompatV0_1 || len(p.Has) != 0 {
		t.Fatalf("empty config: %+v", p)
	}
	if _, err := paramsOf(map[string]ConfigValue{KeyTxGasLimit: {Value: "lots"}}); err == nil {
		t.Fatal("a value that is not a number")
	}
	if _, err := paramsOf(map[string]ConfigValue{KeyCompatibilityVersion: {Value: "v2"}}); err == nil {
		t.Fatal("a version that is not one")
	}
}

// TestSystemInfoCompatibilityVersion: the function exists from 0.2.0 on;
// before, it reverts exactly as an unknown selector did.
func TestSystemInfoCompatibilityVersion(t *testing.T) {
	in := crypto.Keccak256([]byte("compatibilityVersion()"))[:4]
	for _, v := range []string{"", CompatV0_1} {
		env := &Env{Value: new(uint256.Int), Block: BlockInfo{ChainID: 7, Number: 9, Compat: v}}
		out, err := SystemInfo{}.Run(env, in)
		if !errors.Is(err, vm.ErrExecutionReverted) || !bytes.Contains(out, []byte("unknown function selector")) {
			t.Fatalf("at %q: %x %v", v, out, err)
		}
	}
	env := &Env{Value: new(uint256.Int), Block: BlockInfo{ChainID: 7, Number: 9, Compat: CompatV0_2}}
	out, err := SystemInfo{}.Run(env, in)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(Word(32), Word(5)...), append([]byte("0.2.0"), make([]byte, 27)...)...)
	if !bytes.Equal(out, want) {
		t.Fatalf("compatibilityVersion() = %x", out)
	}
}
