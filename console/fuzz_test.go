package console

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
)

// FuzzSplitLine checks that any line splits without panicking and that
// unquoted words never hold spaces.
func FuzzSplitLine(f *testing.F) {
	for _, s := range []string{"", "info", `send A x.abi set "a b" 'c d'`, `"unclosed`, "a\tb  c", `""`, "'\"'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := splitLine(line)
		if err != nil {
			return
		}
		if !strings.ContainsAny(line, `"'`) {
			for _, w := range words {
				if w == "" || strings.ContainsAny(w, " \t") {
					t.Fatalf("splitLine(%q) = %q", line, words)
				}
			}
		}
	})
}

// FuzzConvertArg checks that any word converts or errors for every
// supported ABI type, and that converted values pack.
func FuzzConvertArg(f *testing.F) {
	for _, s := range []string{"0", "-1", "0x10", "255", "256", "true", "0x1234", "0x0000000000000000000000000000000000000001", "abc", ""} {
		f.Add(s)
	}
	var types []abi.Type
	for _, n := range []string{"uint8", "int8", "uint64", "int64", "uint256", "int256", "bool", "string", "address", "bytes", "bytes4", "bytes32"} {
		types = append(types, mustType(n))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, typ := range types {
			v, err := convertArg(typ, s)
			if err != nil {
				continue
			}
			if _, err := (abi.Arguments{{Type: typ}}).Pack(v); err != nil {
				t.Fatalf("convertArg(%s, %q) = %v does not pack: %v", typ, s, v, err)
			}
		}
	})
}
