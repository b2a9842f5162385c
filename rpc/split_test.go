package rpc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// splitSeeds are request bodies for the splitter: batches and single
// requests, whitespace, escapes, nested values, duplicate keys, keys that
// json.Unmarshal matches without regard to case or after unescaping.
var splitSeeds = []string{
	`[{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0xf86b80"]},{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber","params":[]}]`,
	" [ { \"id\" : \"a\\\"]}\" , \"method\":\"m\", \"params\" : [ 1 , -2.5e3 , true , null , {\"a\":[{}]} , \"x\\\\\" ] } , 5 , \"s\" , [ ] , null ]\n",
	`{"jsonrpc":"2.0","id":null,"method":"x","params":null}`,
	`{"id":1,"id":"b","method":"a","METHOD":"b"}`,
	`{"Id":1,"method":"m"}`, `{"i\u0064":1,"method":"m"}`, `{"ſ":1,"jſonrpc":"2.0","extra":{"id":7},"method":"m"}`,
	`{"params":[[],[[]],{},""],"id":-0.5E-2}`, `{}`, `[]`, `[[]]`, `[{}]`, `{"a":"\\"}`, `{"params":["\\\\\"\\"]}`,
}

// checkSplit asserts the splitter gives what json.Unmarshal gives, for a
// valid body (the only kind it is given).
func checkSplit(t *testing.T, body []byte) {
	t.Helper()
	if !json.Valid(body) {
		return
	}
	body = bytes.TrimLeft(body, " \t\r\n")
	switch body[0] {
	case '[':
		var want []json.RawMessage
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatal(err)
		}
		if got := splitArray(body); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: split into %q, json.Unmarshal gives %q", body, got, want)
		}
		for _, it := range want {
			checkSplit(t, it)
		}
	case '{':
		var want jsonRequest
		werr := json.Unmarshal(body, &want)
		got, err := decodeRequest(body)
		if (err == nil) != (werr == nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: decoded %+v %v, json.Unmarshal gives %+v %v", body, got, err, want, werr)
		}
		if jsonKind(got.Params) == "an array" {
			checkSplit(t, got.Params)
		}
	}
}

func TestSplitMatchesUnmarshal(t *testing.T) {
	for _, s := range splitSeeds {
		checkSplit(t, []byte(s))
	}
	// The splitter's elements are slices of the body, capped, so that
	// appending to one cannot overwrite the next.
	body := []byte(`[1,2]`)
	items := splitArray(body)
	_ = append(items[0], 'x')
	if string(body) != `[1,2]` {
		t.Fatalf("body changed to %s", body)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkSplit(t, body) })
}

// plainHexBytes decodes what parseHexBytes decodes, the same way, and
// leaves everything else (errors included) to the general path.
func TestPlainHexBytes(t *testing.T) {
	for _, raw := range []string{`"0x"`, `"0xab"`, `"0XAbcD"`, `"0x0"`, `"0xabc"`, `"0xzz"`, `"ab"`, `"0x\u0030"`, `"0x00\""`, `0`, `null`, `"`, `""`, `"0x` + strings.Repeat("f", 400) + `"`} {
		checkPlainHex(t, []byte(raw))
	}
}

func checkPlainHex(t *testing.T, raw []byte) {
	t.Helper()
	b, ok := plainHexBytes(raw)
	if !ok {
		return
	}
	s, err := jsonString(raw)
	if err != nil {
		t.Fatalf("%s: decoded by the fast path, not a string: %v", raw, err)
	}
	want, err := parseHexBytes(s)
	if err != nil || !bytes.Equal(b, want) || (b == nil) != (want == nil) {
		t.Fatalf("%s: fast path %x, parseHexBytes %x %v", raw, b, want, err)
	}
}

func FuzzPlainHexBytes(f *testing.F) {
	for _, s := range []string{`"0x"`, `"0xab"`, `"0XAbcD"`, `"0xabc"`, `"0x\u0030"`, `"0x00\""`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkPlainHex(t, raw) })
}
