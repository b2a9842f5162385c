package rpc

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// The parsers below turn outside text into values. Their errors say what
// was wrong so the caller can fix the request; they never panic.

var (
	errNoPrefix     = errors.New("hex string without 0x prefix")
	errOddLength    = errors.New("hex string of odd length")
	errEmptyNumber  = errors.New(`hex number "0x" has no digits`)
	errLeadingZero  = errors.New("hex number with leading zero digits")
	errUint64Range  = errors.New("hex number does not fit in 64 bits")
	errUint256Range = errors.New("hex number does not fit in 256 bits")
)

// jsonKind names the JSON type of a raw value for error messages.
func jsonKind(raw json.RawMessage) string {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '"':
			return "a string"
		case '{':
			return "an object"
		case '[':
			return "an array"
		case 't', 'f':
			return "a boolean"
		case 'n':
			return "null"
		default:
			return "a number"
		}
	}
	return "nothing"
}

// isNull reports whether raw is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// jsonString decodes raw as a JSON string.
func jsonString(raw json.RawMessage) (string, error) {
	if s, ok := plainJSONString(raw); ok {
		return s, nil
	}
	if jsonKind(raw) != "a string" {
		return "", fmt.Errorf("want a string, got %s", jsonKind(raw))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("malformed string: %v", err)
	}
	return s, nil
}

// plainJSONString decodes raw when it is one JSON string of printable
// ASCII without escapes (a method name, a hex argument), the common case,
// without json.Unmarshal's reflection; ok is false otherwise.
func plainJSONString(raw json.RawMessage) (string, bool) {
	n := len(raw)
	if n < 2 || raw[0] != '"' || raw[n-1] != '"' {
		return "", false
	}
	for _, c := range raw[1 : n-1] {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(raw[1 : n-1]), true
}

func hasHexPrefix(s string) bool { return len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') }

func checkHexDigits(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return fmt.Errorf("invalid hex character %q at position %d", c, i+2)
		}
	}
	return nil
}

// parseHexBytes decodes 0x-prefixed hex data of even length.
func parseHexBytes(s string) ([]byte, error) {
	if !hasHexPrefix(s) {
		return nil, errNoPrefix
	}
	s = s[2:]
	if len(s)%2 != 0 {
		return nil, errOddLength
	}
	if err := checkHexDigits(s); err != nil {
		return nil, err
	}
	return common.FromHex(s), nil
}

// parseFixedHex decodes exactly n bytes of hex.
func parseFixedHex(s string, n int, what string) ([]byte, error) {
	b, err := parseHexBytes(s)
	if err != nil {
		return nil, err
	}
	if len(b) != n {
		return nil, fmt.Errorf("%s must be %d bytes (%d hex digits), got %d bytes", what, n, 2*n, len(b))
	}
	return b, nil
}

func parseHash(s string) (common.Hash, error) {
	b, err := parseFixedHex(s, common.HashLength, "a hash")
	if err != nil {
		return common.Hash{}, err
	}
	return common.BytesToHash(b), nil
}

func parseAddress(s string) (common.Address, error) {
	b, err := parseFixedHex(s, common.AddressLength, "an address")
	if err != nil {
		return common.Address{}, err
	}
	return common.BytesToAddress(b), nil
}

// quantityDigits checks a hex quantity ("0x0", "0x1a", no leading zeros)
// and returns its digits.
func quantityDigits(s string) (string, error) {
	if !hasHexPrefix(s) {
		return "", errNoPrefix
	}
	d := s[2:]
	if d == "" {
		return "", errEmptyNumber
	}
	if len(d) > 1 && d[0] == '0' {
		return "", errLeadingZero
	}
	if err := checkHexDigits(d); err != nil {
		return "", err
	}
	return d, nil
}

func parseUint64(s string) (uint64, error) {
	d, err := quantityDigits(s)
	if err != nil {
		return 0, err
	}
	if len(d) > 16 {
		return 0, errUint64Range
	}
	var v uint64
	for i := 0; i < len(d); i++ {
		v = v<<4 | uint64(hexVal(d[i]))
	}
	return v, nil
}

func parseBig(s string) (*big.Int, error) {
	d, err := quantityDigits(s)
	if err != nil {
		return nil, err
	}
	if len(d) > 64 {
		return nil, errUint256Range
	}
	v, ok := new(big.Int).SetString(d, 16)
	if !ok {
		return nil, fmt.Errorf("invalid hex number %q", s)
	}
	return v, nil
}

// parseSlot decodes a storage slot: up to 32 bytes of hex, left-padded.
// Odd lengths are accepted as go-ethereum does.
func parseSlot(s string) (common.Hash, error) {
	if !hasHexPrefix(s) {
		return common.Hash{}, errNoPrefix
	}
	d := s[2:]
	if err := checkHexDigits(d); err != nil {
		return common.Hash{}, err
	}
	if len(d)%2 == 1 {
		d = "0" + d
	}
	if len(d) > 64 {
		return common.Hash{}, fmt.Errorf("storage slot is longer than 32 bytes (%d hex digits)", len(d))
	}
	return common.BytesToHash(common.FromHex(d)), nil
}

func hexVal(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
