package bench

import (
	"bytes"
	"encoding/hex"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// scanner walks JSON a node sent, reading only the members asked for and
// skipping the rest. It checks the structure it walks (brackets, commas,
// colons, string ends), not every literal: it reads answers, it does not
// validate them. Any surprise makes its methods report false.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// peek is the next byte, 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// str reads a string and returns its raw contents (escapes kept) and
// whether it has escapes.
func (s *scanner) str() (raw []byte, escaped, ok bool) {
	if s.peek() != '"' {
		return nil, false, false
	}
	start := s.i + 1
	for j := start; ; {
		k := bytes.IndexByte(s.b[j:], '"')
		if k < 0 {
			return nil, false, false
		}
		j += k
		// The quote ends the string unless an odd number of
		// backslashes precedes it.
		n := 0
		for j-1-n >= start && s.b[j-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			raw = s.b[start:j]
			s.i = j + 1
			return raw, bytes.IndexByte(raw, '\\') >= 0, true
		}
		j++
	}
}

// object reads an object, calling member with each key (its raw contents)
// with the scanner at the member's value, which member must consume.
func (s *scanner) object(member func(key []byte) bool) bool {
	s.space()
	if s.peek() != '{' {
		return false
	}
	s.i++
	s.space()
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		s.space()
		key, _, ok := s.str()
		if !ok {
			return false
		}
		s.space()
		if s.peek() != ':' {
			return false
		}
		s.i++
		s.space()
		if !member(key) {
			return false
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// array reads an array, calling elem with the scanner at each element,
// which elem must consume.
func (s *scanner) array(elem func() bool) bool {
	s.space()
	if s.peek() != '[' {
		return false
	}
	s.i++
	s.space()
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		s.space()
		if !elem() {
			return false
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// skip passes over one value.
func (s *scanner) skip() bool {
	s.space()
	switch c := s.peek(); {
	case c == '"':
		_, _, ok := s.str()
		return ok
	case c == '{':
		return s.object(func([]byte) bool { return s.skip() })
	case c == '[':
		return s.array(s.skip)
	case c == 0:
		return false
	default: // a number or a literal: up to the next delimiter
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return s.i > start
			case '"', '{', '[', ':':
				return false
			}
			s.i++
		}
		return s.i > start
	}
}

// value passes over one value and returns its raw bytes; nil if it
// cannot.
func (s *scanner) value() []byte {
	s.space()
	start := s.i
	if !s.skip() {
		return nil
	}
	return s.b[start:s.i]
}

// scanReceipts reads an eth_getBlockReceipts result: an array of receipt
// objects, of which it keeps each one's transactionHash and status (0
// when absent), or null (no receipts). false when it cannot read raw.
func scanReceipts(raw []byte) ([]receiptMsg, bool) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, true
	}
	s := &scanner{b: raw}
	var out []receiptMsg
	ok := s.array(func() bool {
		var r receiptMsg
		out = append(out, r)
		cur := &out[len(out)-1]
		return s.object(func(key []byte) bool {
			switch string(key) {
			case "transactionHash":
				h, ok := s.hash()
				cur.TxHash = h
				return ok
			case "status":
				v, ok := s.quantity()
				cur.Status = hexutil.Uint64(v)
				return ok
			}
			return !otherSpelling(key, "transactionHash", "status") && s.skip()
		})
	})
	s.space()
	return out, ok && s.i == len(s.b)
}

// hash reads a 0x-prefixed 32-byte hex string.
func (s *scanner) hash() (common.Hash, bool) {
	var h common.Hash
	raw, esc, ok := s.str()
	if !ok || esc || len(raw) != 2+2*len(h) || raw[0] != '0' || (raw[1] != 'x' && raw[1] != 'X') {
		return h, false
	}
	if _, err := hex.Decode(h[:], raw[2:]); err != nil {
		return h, false
	}
	return h, true
}

// quantity reads a 0x-prefixed hex quantity of at most 64 bits, without
// leading zeros.
func (s *scanner) quantity() (uint64, bool) {
	raw, esc, ok := s.str()
	if !ok || esc || len(raw) < 3 || len(raw) > 18 || raw[0] != '0' || (raw[1] != 'x' && raw[1] != 'X') || (len(raw) > 3 && raw[2] == '0') {
		return 0, false
	}
	var v uint64
	for _, c := range raw[2:] {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(d)
	}
	return v, true
}

// otherSpelling reports a key that encoding/json would take for one of
// names though it is not spelt exactly so (it matches keys without regard
// to case, and unescapes them): the selective reader declines those.
func otherSpelling(key []byte, names ...string) bool {
	if bytes.IndexByte(key, '\\') >= 0 {
		return true
	}
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}
