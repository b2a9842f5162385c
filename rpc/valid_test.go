package rpc

import (
	"encoding/json"
	"strings"
	"testing"
)

// validCases are bodies validJSON must judge as json.Valid does, chosen
// at the edges of each rule.
var validCases = []string{
	``, ` `, `1`, ` 1 `, "\t[1]\r\n", `-`, `-0`, `01`, `-01`, `0.`, `0.5`, `.5`, `1e`, `1e+`, `1E-7`, `1.5e10`, `1ee`, `+1`,
	`true`, `tru`, `truex`, `false`, `null`, `nul`, `True`, `nullnull`,
	`""`, `"`, `"a`, `"\"`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\x"`, `"\u00e9"`, `"\u00G0"`, `"\u12"`, `"é"`, "\"\xff\xfe\"", "\"a\x01\"", "\"a\x7f\"",
	`[]`, `[ ]`, `[`, `]`, `[1,]`, `[,1]`, `[1 2]`, `[1,2]`, `[[],[[]]]`, `[[]`, `[]]`, `[] []`,
	`{}`, `{ }`, `{"a":1}`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a" : [1, {"b":null}] }`, `{"a":1 "b":2}`, `{,}`, `{"a":1}}`, `{]`, `[}`,
	`{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0xf86c"]}`,
}

func TestValidJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range validCases {
		if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid says %v", c, got, want)
		}
	}
}

func TestValidJSONNesting(t *testing.T) {
	for _, depth := range []int{maxNesting - 1, maxNesting, maxNesting + 1} {
		for _, body := range []string{
			strings.Repeat("[", depth) + strings.Repeat("]", depth),
			strings.Repeat(`{"a":`, depth-1) + "{}" + strings.Repeat("}", depth-1),
		} {
			if got, want := validJSON([]byte(body)), json.Valid([]byte(body)); got != want {
				t.Errorf("depth %d: validJSON = %v, json.Valid says %v", depth, got, want)
			}
		}
	}
}

// FuzzValidJSON requires validJSON and json.Valid to agree on any body.
func FuzzValidJSON(f *testing.F) {
	for _, c := range validCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(rawSendBatch(f, 3)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", b, got, want)
		}
	})
}

// BenchmarkValidJSON checks a batch of 50 sends as the request path does,
// with validJSON and with json.Valid.
func BenchmarkValidJSON(b *testing.B) {
	body := []byte(rawSendBatch(b, 50))
	for _, c := range []struct {
		name  string
		valid func([]byte) bool
	}{{"validJSON", validJSON}, {"json.Valid", json.Valid}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if !c.valid(body) {
					b.Fatal("invalid")
				}
			}
		})
	}
}
