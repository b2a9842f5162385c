package console

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
)

// FuzzSplitLine checks that any line splits without panicking and that
// unquoted, unbracketed words never hold spaces.
func FuzzSplitLine(f *testing.F) {
	for _, s := range []string{"", "info", `send A x.abi set "a b" 'c d'`, `"unclosed`, "a\tb  c", `""`, "'\"'", "call A x.abi f [1, 2] (a, [\"b c\"])", "[", "a ) b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := splitLine(line)
		if err != nil {
			return
		}
		if !strings.ContainsAny(line, `"'[(`) {
			for _, w := range words {
				if w == "" || strings.ContainsAny(w, " \t") {
					t.Fatalf("splitLine(%q) = %q", line, words)
				}
			}
		}
	})
}

// fuzzTypes are the ABI types FuzzConvertArg converts into.
func fuzzTypes(t testing.TB) []abi.Type {
	var types []abi.Type
	for _, n := range []string{"uint8", "int8", "uint24", "int40", "uint64", "int64", "uint256", "int256", "bool", "string",
		"address", "bytes", "bytes1", "bytes4", "bytes32", "uint8[]", "int256[2]", "string[]", "bytes32[]", "address[2]",
		"uint16[][]", "uint8[2][]", "bool[][2]"} {
		types = append(types, mustType(n))
	}
	tuple, err := abi.NewType("tuple", "", []abi.ArgumentMarshaling{
		{Name: "who", Type: "address"}, {Name: "n", Type: "int32"}, {Name: "tags", Type: "string[]"},
		{Name: "inner", Type: "tuple", Components: []abi.ArgumentMarshaling{{Name: "b", Type: "bytes"}, {Name: "ok", Type: "bool"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tuples, err := abi.NewType("tuple[]", "", []abi.ArgumentMarshaling{{Name: "a", Type: "uint8"}, {Name: "s", Type: "string"}})
	if err != nil {
		t.Fatal(err)
	}
	return append(types, tuple, tuples)
}

// FuzzConvertArg checks that any word converts or errors for every ABI
// type, that converted values pack, and that packed values decode and
// render back to a word that converts to the same value.
func FuzzConvertArg(f *testing.F) {
	for _, s := range []string{"0", "-1", "0x10", "255", "256", "-128", "true", "0x1234", "0x0000000000000000000000000000000000000001",
		"abc", "", "[1, 2]", "[[1], [2, 3]]", "[\"a b\", 'c']", "(0x0000000000000000000000000000000000000001, -5, [\"x\"], (0x12, true))",
		"[(1, \"a\"), (2, 'b')]", "[[true], [false]]", "[", "(1,", "[1,]", "[[[[", "\"\\u00e9\""} {
		f.Add(s)
	}
	types := fuzzTypes(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, typ := range types {
			v, err := convertWord(typ, s, nil)
			if err != nil {
				continue
			}
			args := abi.Arguments{{Type: typ}}
			packed, err := args.Pack(v)
			if err != nil {
				t.Fatalf("convertWord(%s, %q) = %v does not pack: %v", typ, s, v, err)
			}
			out, err := args.Unpack(packed)
			if err != nil || len(out) != 1 {
				t.Fatalf("%s %q: unpack: %v", typ, s, err)
			}
			text := renderValue(typ, out[0], true)
			again, err := convertWord(typ, text, nil)
			if err != nil {
				t.Fatalf("%s %q: rendered %q does not convert: %v", typ, s, text, err)
			}
			repacked, err := args.Pack(again)
			if err != nil || !bytes.Equal(repacked, packed) {
				t.Fatalf("%s %q: rendered %q converts to %#v, want %#v (%v)", typ, s, text, again, v, err)
			}
		}
	})
}
