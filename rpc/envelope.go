package rpc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
)

// Splitting a request body that validJSON (valid.go, json.Valid's rules)
// has accepted. The whole body is checked once; the functions below then
// only find where each value ends, without checking again, and return
// slices of the body (no copies) holding the same bytes json.Unmarshal
// would give a json.RawMessage. They must only be given valid JSON.

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd returns the index just past the string whose opening quote is
// at b[i].
func stringEnd(b []byte, i int) int {
	for j := i + 1; ; {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return len(b)
		}
		j += k
		// The quote ends the string unless an odd number of
		// backslashes precedes it.
		n := 0
		for b[j-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		j++
	}
}

// valueEnd returns the index just past the value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	default: // a number or a literal
		j := i
		for j < len(b) {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return j
			}
			j++
		}
		return j
	}
}

// splitArray returns the elements of the array b holds, as json.Unmarshal
// into a []json.RawMessage does (an empty, non-nil slice for []).
func splitArray(b []byte) []json.RawMessage {
	i := skipSpace(b, 0) + 1 // past '['
	out := []json.RawMessage{}
	if i = skipSpace(b, i); i >= len(b) || b[i] == ']' {
		return out
	}
	for {
		end := valueEnd(b, i)
		out = append(out, b[i:end:end])
		if i = skipSpace(b, end); i >= len(b) || b[i] == ']' {
			return out
		}
		i = skipSpace(b, i+1) // past ','
	}
}

// splitRequest fills r from the request object b holds, as json.Unmarshal
// does, when every member's key is plain: either one of the four names
// spelt exactly, or a key json.Unmarshal ignores too. It reports false,
// leaving r partly filled, for keys json.Unmarshal would match otherwise
// (it ignores case and unescapes keys): those are for json.Unmarshal.
func splitRequest(b []byte, r *jsonRequest) bool {
	i := skipSpace(b, 0) + 1 // past '{'
	if i = skipSpace(b, i); i >= len(b) || b[i] == '}' {
		return true
	}
	for {
		kEnd := stringEnd(b, i)
		key := b[i+1 : kEnd-1]
		i = skipSpace(b, skipSpace(b, kEnd)+1) // past ':'
		end := valueEnd(b, i)
		v := json.RawMessage(b[i:end:end])
		switch string(key) {
		case "jsonrpc":
			r.Version = v
		case "id":
			r.ID = v
		case "method":
			r.Method = v
		case "params":
			r.Params = v
		default:
			if bytes.IndexByte(key, '\\') >= 0 {
				return false
			}
			for _, name := range requestKeys {
				if bytes.EqualFold(key, name) {
					return false
				}
			}
		}
		if i = skipSpace(b, end); i >= len(b) || b[i] == '}' {
			return true
		}
		i = skipSpace(b, i+1) // past ','
	}
}

var requestKeys = [][]byte{[]byte("jsonrpc"), []byte("id"), []byte("method"), []byte("params")}

// decodeRequest decodes a request object (valid JSON) as json.Unmarshal
// into a jsonRequest does.
func decodeRequest(b []byte) (jsonRequest, error) {
	var r jsonRequest
	if splitRequest(b, &r) {
		return r, nil
	}
	var u jsonRequest // r stays on the stack
	err := json.Unmarshal(b, &u)
	return u, err
}

// plainHexBytes decodes raw when it is a JSON string of 0x-prefixed hex
// of even length without escapes, the common form of a data argument;
// ok is false for anything else, which the general path then decodes (or
// refuses with its error).
func plainHexBytes(raw json.RawMessage) (b []byte, ok bool) {
	n := len(raw)
	if n < 4 || raw[0] != '"' || raw[n-1] != '"' || raw[1] != '0' || (raw[2] != 'x' && raw[2] != 'X') || (n-4)%2 != 0 {
		return nil, false
	}
	b = make([]byte, (n-4)/2)
	if _, err := hex.Decode(b, raw[3:n-1]); err != nil {
		return nil, false
	}
	return b, true
}
