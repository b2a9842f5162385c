package console

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
)

// TestConvertWord checks conversions that pack to the expected encoding
// and the errors of malformed literals, without a node.
func TestConvertWord(t *testing.T) {
	tuple, err := abi.NewType("tuple", "", []abi.ArgumentMarshaling{{Name: "who", Type: "address"}, {Name: "n", Type: "int8"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		typ  abi.Type
		word string
		want string // rendered back
	}{
		{mustType("int8"), "-128", "-128"},
		{mustType("int8"), "127", "127"},
		{mustType("uint256"), "0xff", "255"},
		{mustType("int256"), "-0x10", "-16"},
		{mustType("bool"), "TRUE", "true"},
		{mustType("bytes4"), "0x01", "0x01000000"},
		{mustType("string"), `a "b" [c]`, `a "b" [c]`},
		{mustType("uint8[]"), " [ 1 ,2 , 3 ] ", "[1, 2, 3]"},
		{mustType("string[]"), `["a\"b", 'c,d', e, "\u00e9"]`, `["a\"b", "c,d", "e", "é"]`},
		{mustType("int16[][2]"), "[[], [-1, 2]]", "[[], [-1, 2]]"},
		{tuple, "(0x0000000000000000000000000000000000000001, -3)", "(0x0000000000000000000000000000000000000001, -3)"},
		{tuple, "[0x0000000000000000000000000000000000000001, 3]", "(0x0000000000000000000000000000000000000001, 3)"},
	} {
		v, err := convertWord(tc.typ, tc.word, nil)
		if err != nil {
			t.Errorf("%s %q: %v", tc.typ, tc.word, err)
			continue
		}
		args := abi.Arguments{{Type: tc.typ}}
		b, err := args.Pack(v)
		if err != nil {
			t.Errorf("%s %q: pack: %v", tc.typ, tc.word, err)
			continue
		}
		out, err := args.Unpack(b)
		if err != nil {
			t.Errorf("%s %q: unpack: %v", tc.typ, tc.word, err)
			continue
		}
		if got := renderValue(tc.typ, out[0], true); got != tc.want {
			t.Errorf("%s %q renders %q, want %q", tc.typ, tc.word, got, tc.want)
		}
	}
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	for _, tc := range []struct {
		typ  abi.Type
		word string
		want string
	}{
		{mustType("uint8[]"), deep, "nested deeper than 32 levels"},
		{mustType("uint8[]"), "[1 2]", "want ',' or ']' at offset 3"},
		{mustType("uint8[]"), "[1, 2)", "want ',' or ']' at offset 5"},
		{mustType("string[]"), `["a]`, "unclosed string at offset 1"},
		{mustType("string[]"), `['a]`, "unclosed string at offset 1"},
		{mustType("string[]"), `["\q"]`, "bad string at offset 1"},
		{mustType("uint8[]"), "", "missing value at offset 0"},
		{mustType("uint8[]"), "[1] [2]", "unexpected '[' at offset 4"},
		{mustType("address"), "Name", `"Name" is not an address`},
		{mustType("int8"), "1e3", `"1e3" is not an integer`},
		{tuple, "(0x0000000000000000000000000000000000000001, -3, 4)", "has 2 components, got 3"},
	} {
		_, err := convertWord(tc.typ, tc.word, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: err %v, want %q", tc.typ, tc.word, err, tc.want)
		}
	}
}
