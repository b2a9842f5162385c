package console_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gobcos/gobcos/console"
	"github.com/gobcos/gobcos/internal/cryptotest"
)

// fakeSolc writes a stand-in for solc into dir: it checks its arguments,
// fails like solc for a file named Broken.sol, and otherwise prints a
// --combined-json result holding the committed Store and Types artifacts
// and an interface without bytecode (its ABI as a string, as older solc
// versions write it).
func fakeSolc(t *testing.T, dir string) string {
	t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile(artifacts + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	out := map[string]any{
		"contracts": map[string]any{
			"src.sol:Store":  map[string]any{"abi": json.RawMessage(read("Store.abi")), "bin": read("Store.bin")},
			"src.sol:Types":  map[string]any{"abi": json.RawMessage(read("Types.abi")), "bin": read("Types.bin")},
			"src.sol:IStore": map[string]any{"abi": `[{"type":"function","name":"get","inputs":[],"outputs":[{"type":"uint256","name":""}],"stateMutability":"view"}]`, "bin": ""},
		},
		"version": "0.8.37+fake",
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "out.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	script := `#!/bin/sh
[ "$1" = "--combined-json" ] && [ "$2" = "abi,bin" ] && [ -f "$3" ] || { echo "bad arguments: $*" >&2; exit 2; }
case "$3" in *Broken.sol) echo "Broken.sol:3:1: ParserError: Expected ';' but got '}'" >&2; exit 1;; esac
cat "` + filepath.Join(dir, "out.json") + `"
`
	path := filepath.Join(dir, "solc")
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDeploySol deploys from Solidity sources through solc: the contract
// named like the file, one picked by name, and the refusals.
func TestDeploySol(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in solc is a shell script")
	}
	client := startChain(t)
	key := cryptotest.Key(t, client.Suite())
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dir := t.TempDir()
	for _, f := range []string{"Store.sol", "Both.sol", "Broken.sol"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("// source\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := newSession(t, ctx, console.Options{Key: key, Solc: fakeSolc(t, dir)}, client)
	got := s.has("deploy "+filepath.Join(dir, "Store.sol")+" 7", "contract: Store", "contractAddress: 0x")
	addr := reAddr.FindStringSubmatch(got)[1]
	s.has("call "+addr+" "+artifacts+"Store.abi get", "(uint256) 7")
	s.has("deploy "+filepath.Join(dir, "Both.sol:Types")+" -3 [1, 2]", "contract: Types")
	s.fails("deploy "+filepath.Join(dir, "Both.sol"), console.ErrBadArg, "the file has contracts Store, Types: pick one with FILE.sol:NAME")
	s.fails("deploy "+filepath.Join(dir, "Both.sol:IStore"), console.ErrBadArg, "IStore has no bytecode")
	s.fails("deploy "+filepath.Join(dir, "Both.sol:Nope"), console.ErrBadArg, "no contract Nope; the file has IStore, Store, Types")
	s.fails("deploy "+filepath.Join(dir, "Store.sol"), console.ErrBadArg, "constructor takes 1 arguments")
	s.fails("deploy "+filepath.Join(dir, "Broken.sol"), nil, "ParserError: Expected ';'")
	s.fails("deploy "+filepath.Join(dir, "Missing.sol"), nil, "Missing.sol")
	s.fails("deploy "+artifacts+"Store.abi", console.ErrUsage, "deploy ABIFILE BINFILE")

	n := newSession(t, ctx, console.Options{Key: key, Solc: filepath.Join(dir, "no-solc")}, client)
	n.fails("deploy "+filepath.Join(dir, "Store.sol")+" 7", console.ErrBadArg, "deploying a .sol needs solc")
}
