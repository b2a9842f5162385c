package rpc

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// Positional parameter access. Each helper names the argument in its
// error, e.g. `invalid argument 0 (block hash): hex string without 0x prefix`.

func argError(i int, name string, err error) *Error {
	return invalidParams("invalid argument %d (%s): %v", i, name, err)
}

// maxArgs rejects calls with more than n arguments.
func (c *call) maxArgs(n int) error {
	if len(c.params) > n {
		return invalidParams("too many arguments: %s takes at most %d, got %d", c.method, n, len(c.params))
	}
	return nil
}

// optional returns argument i, or nil when it is absent or null.
func (c *call) optional(i int) json.RawMessage {
	if i >= len(c.params) || isNull(c.params[i]) {
		return nil
	}
	return c.params[i]
}

// required returns argument i or a "missing value" error.
func (c *call) required(i int, name string) (json.RawMessage, error) {
	raw := c.optional(i)
	if raw == nil {
		return nil, invalidParams("missing value for required argument %d (%s)", i, name)
	}
	return raw, nil
}

func (c *call) stringArg(i int, name string) (string, error) {
	raw, err := c.required(i, name)
	if err != nil {
		return "", err
	}
	s, err := jsonString(raw)
	if err != nil {
		return "", argError(i, name, err)
	}
	return s, nil
}

func (c *call) hashArg(i int, name string) (common.Hash, error) {
	s, err := c.stringArg(i, name)
	if err != nil {
		return common.Hash{}, err
	}
	h, err := parseHash(s)
	if err != nil {
		return common.Hash{}, argError(i, name, err)
	}
	return h, nil
}

func (c *call) addressArg(i int, name string) (common.Address, error) {
	s, err := c.stringArg(i, name)
	if err != nil {
		return common.Address{}, err
	}
	a, err := parseAddress(s)
	if err != nil {
		return common.Address{}, argError(i, name, err)
	}
	return a, nil
}

func (c *call) bytesArg(i int, name string) ([]byte, error) {
	if i < len(c.params) {
		if b, ok := plainHexBytes(c.params[i]); ok {
			return b, nil
		}
	}
	s, err := c.stringArg(i, name)
	if err != nil {
		return nil, err
	}
	b, err := parseHexBytes(s)
	if err != nil {
		return nil, argError(i, name, err)
	}
	return b, nil
}

func (c *call) uint64Arg(i int, name string) (uint64, error) {
	s, err := c.stringArg(i, name)
	if err != nil {
		return 0, err
	}
	v, err := parseUint64(s)
	if err != nil {
		return 0, argError(i, name, err)
	}
	return v, nil
}

func (c *call) boolArg(i int, name string) (bool, error) {
	raw, err := c.required(i, name)
	if err != nil {
		return false, err
	}
	var b bool
	if jsonKind(raw) != "a boolean" || json.Unmarshal(raw, &b) != nil {
		return false, argError(i, name, fmt.Errorf("want true or false, got %s", jsonKind(raw)))
	}
	return b, nil
}

// optionalBoolArg is false when the argument is absent.
func (c *call) optionalBoolArg(i int, name string) (bool, error) {
	if c.optional(i) == nil {
		return false, nil
	}
	return c.boolArg(i, name)
}

// Block tags.

type tagKind uint8

const (
	tagLatest tagKind = iota
	tagNumber
	tagEarliest
	tagPending
	tagSafe
	tagFinalized
)

// blockTag is a block number or a named block. Committed blocks are final,
// so pending, safe and finalized all mean the latest block.
type blockTag struct {
	kind   tagKind
	number uint64
}

var latestTag = blockTag{kind: tagLatest}

const tagHelp = `want a block number (hex quantity such as "0x1a") or one of "latest", "earliest", "pending", "safe", "finalized"`

func parseBlockTag(s string) (blockTag, error) {
	switch s {
	case "latest":
		return blockTag{kind: tagLatest}, nil
	case "earliest":
		return blockTag{kind: tagEarliest}, nil
	case "pending":
		return blockTag{kind: tagPending}, nil
	case "safe":
		return blockTag{kind: tagSafe}, nil
	case "finalized":
		return blockTag{kind: tagFinalized}, nil
	}
	if !hasHexPrefix(s) {
		return blockTag{}, fmt.Errorf("%q is not a block: %s", truncate(s, 80), tagHelp)
	}
	n, err := parseUint64(s)
	if err != nil {
		return blockTag{}, fmt.Errorf("block number: %v", err)
	}
	if n > 1<<63-1 {
		return blockTag{}, fmt.Errorf("block number %d is out of range", n)
	}
	return blockTag{kind: tagNumber, number: n}, nil
}

// resolve turns a tag into a number given the head's number.
func (t blockTag) resolve(head uint64) uint64 {
	switch t.kind {
	case tagNumber:
		return t.number
	case tagEarliest:
		return 0
	default:
		return head
	}
}

func (c *call) blockTagArg(i int, name string) (blockTag, error) {
	s, err := c.stringArg(i, name)
	if err != nil {
		return blockTag{}, err
	}
	t, err := parseBlockTag(s)
	if err != nil {
		return blockTag{}, argError(i, name, err)
	}
	return t, nil
}

// optionalBlockTagArg defaults to latest when the argument is absent.
func (c *call) optionalBlockTagArg(i int, name string) (blockTag, error) {
	if c.optional(i) == nil {
		return latestTag, nil
	}
	return c.blockTagArg(i, name)
}

// stateRef names the state a query reads: a tag, or a block hash
// (EIP-1898). The zero value is latest.
type stateRef struct {
	tag  blockTag
	hash *common.Hash
}

// stateArg decodes an optional block parameter of a state query: a tag,
// a number, a block hash, or an EIP-1898 object.
func (c *call) stateArg(i int, name string) (stateRef, error) {
	raw := c.optional(i)
	if raw == nil {
		return stateRef{tag: latestTag}, nil
	}
	ref, err := parseStateRef(raw)
	if err != nil {
		return stateRef{}, argError(i, name, err)
	}
	return ref, nil
}

func parseStateRef(raw json.RawMessage) (stateRef, error) {
	if jsonKind(raw) == "an object" {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return stateRef{}, fmt.Errorf("malformed object: %v", err)
		}
		num, hasNum := obj["blockNumber"]
		hash, hasHash := obj["blockHash"]
		switch {
		case hasNum && hasHash:
			return stateRef{}, fmt.Errorf(`give either "blockNumber" or "blockHash", not both`)
		case hasNum:
			s, err := jsonString(num)
			if err != nil {
				return stateRef{}, fmt.Errorf("blockNumber: %v", err)
			}
			t, err := parseBlockTag(s)
			if err != nil {
				return stateRef{}, fmt.Errorf("blockNumber: %v", err)
			}
			return stateRef{tag: t}, nil
		case hasHash:
			s, err := jsonString(hash)
			if err != nil {
				return stateRef{}, fmt.Errorf("blockHash: %v", err)
			}
			h, err := parseHash(s)
			if err != nil {
				return stateRef{}, fmt.Errorf("blockHash: %v", err)
			}
			// Committed blocks are final and every stored block is
			// canonical, so either value of requireCanonical holds.
			if rc, ok := obj["requireCanonical"]; ok {
				var b bool
				if err := json.Unmarshal(rc, &b); err != nil {
					return stateRef{}, fmt.Errorf("requireCanonical: want a boolean, got %s", jsonKind(rc))
				}
			}
			return stateRef{hash: &h}, nil
		}
		return stateRef{}, fmt.Errorf(`object must have "blockNumber" or "blockHash"`)
	}
	s, err := jsonString(raw)
	if err != nil {
		return stateRef{}, err
	}
	if hasHexPrefix(s) && len(s) == 66 {
		h, err := parseHash(s)
		if err != nil {
			return stateRef{}, err
		}
		return stateRef{hash: &h}, nil
	}
	t, err := parseBlockTag(s)
	if err != nil {
		return stateRef{}, err
	}
	return stateRef{tag: t}, nil
}

// blockRefArg decodes a block number, tag or hash (eth_getBlockReceipts).
func (c *call) blockRefArg(i int, name string) (stateRef, error) {
	raw, err := c.required(i, name)
	if err != nil {
		return stateRef{}, err
	}
	ref, err := parseStateRef(raw)
	if err != nil {
		return stateRef{}, argError(i, name, err)
	}
	return ref, nil
}

// countArg decodes a count given as a hex quantity or a JSON number.
func (c *call) countArg(i int, name string) (uint64, error) {
	raw, err := c.required(i, name)
	if err != nil {
		return 0, err
	}
	switch jsonKind(raw) {
	case "a string":
		return c.uint64Arg(i, name)
	case "a number":
		v, err := strconv.ParseUint(strings.TrimSpace(string(raw)), 10, 64)
		if err != nil {
			return 0, argError(i, name, fmt.Errorf("want a non-negative integer, got %s", truncate(string(raw), 40)))
		}
		return v, nil
	}
	return 0, argError(i, name, fmt.Errorf("want a hex quantity or an integer, got %s", jsonKind(raw)))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// objectFields decodes a JSON object into its raw fields.
func objectFields(raw json.RawMessage) (map[string]json.RawMessage, error) {
	if jsonKind(raw) != "an object" {
		return nil, fmt.Errorf("want an object, got %s", jsonKind(raw))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("malformed object: %v", err)
	}
	return m, nil
}

// Field decoders for objects; each error names the field.

func fieldString(m map[string]json.RawMessage, key string) (string, bool, error) {
	raw, ok := m[key]
	if !ok || isNull(raw) {
		return "", false, nil
	}
	s, err := jsonString(raw)
	if err != nil {
		return "", false, fmt.Errorf("field %q: %v", key, err)
	}
	return s, true, nil
}

func fieldUint64(m map[string]json.RawMessage, key string) (*uint64, error) {
	s, ok, err := fieldString(m, key)
	if err != nil || !ok {
		return nil, err
	}
	v, err := parseUint64(s)
	if err != nil {
		return nil, fmt.Errorf("field %q: %v", key, err)
	}
	return &v, nil
}

func fieldBig(m map[string]json.RawMessage, key string) (*big.Int, error) {
	s, ok, err := fieldString(m, key)
	if err != nil || !ok {
		return nil, err
	}
	v, err := parseBig(s)
	if err != nil {
		return nil, fmt.Errorf("field %q: %v", key, err)
	}
	return v, nil
}

func fieldBytes(m map[string]json.RawMessage, key string) ([]byte, bool, error) {
	s, ok, err := fieldString(m, key)
	if err != nil || !ok {
		return nil, false, err
	}
	b, err := parseHexBytes(s)
	if err != nil {
		return nil, false, fmt.Errorf("field %q: %v", key, err)
	}
	return b, true, nil
}

func fieldAddress(m map[string]json.RawMessage, key string) (*common.Address, error) {
	s, ok, err := fieldString(m, key)
	if err != nil || !ok {
		return nil, err
	}
	a, err := parseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("field %q: %v", key, err)
	}
	return &a, nil
}
