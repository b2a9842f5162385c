package contracttest

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
)

// Artifact is a compiled contract: its ABI and creation bytecode.
type Artifact struct {
	ABI abi.ABI
	Bin []byte
}

// Load reads contract name (e.g. "Store") from the repository's
// testdata/contracts.
func Load(t testing.TB, name string) Artifact {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "testdata", "contracts")
	rawABI, err := os.ReadFile(filepath.Join(dir, name+".abi"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := abi.JSON(strings.NewReader(string(rawABI)))
	if err != nil {
		t.Fatalf("ABI of %s: %v", name, err)
	}
	rawBin, err := os.ReadFile(filepath.Join(dir, name+".bin"))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(string(rawBin)), "0x"))
	if err != nil || len(bin) == 0 {
		t.Fatalf("%s.bin holds no bytecode: %v", name, err)
	}
	return Artifact{ABI: a, Bin: bin}
}

// repoRoot is the nearest directory holding go.mod, from the working
// directory (a test runs in its package's directory) up.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("contracttest: no go.mod above the working directory")
		}
		dir = up
	}
}
