package console

import (
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// maxValueDepth bounds the nesting of array and tuple literals.
const maxValueDepth = 32

// valueNode is a parsed argument literal: a list, written [a, b] or (a, b),
// or a scalar word, bare or quoted.
type valueNode struct {
	list   bool
	quoted bool
	text   string
	items  []*valueNode
}

// valueParser reads the literal syntax of array and tuple arguments:
//
//	value  = list | quoted | bare
//	list   = "[" [value {"," value}] "]" | "(" [value {"," value}] ")"
//	quoted = a double-quoted string with Go/JSON escapes, or '...' verbatim
//	bare   = characters up to , ] ) or white space
type valueParser struct {
	s   string
	pos int
}

// parseValue parses s as one literal, all of s.
func parseValue(s string) (*valueNode, error) {
	p := &valueParser{s: s}
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.s) {
		return nil, fmt.Errorf("unexpected %q at offset %d after the value", p.s[p.pos], p.pos)
	}
	return n, nil
}

func (p *valueParser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n' || p.s[p.pos] == '\r') {
		p.pos++
	}
}

func (p *valueParser) value(depth int) (*valueNode, error) {
	p.space()
	if p.pos >= len(p.s) {
		return nil, fmt.Errorf("missing value at offset %d", p.pos)
	}
	switch c := p.s[p.pos]; c {
	case '[', '(':
		if depth >= maxValueDepth {
			return nil, fmt.Errorf("nested deeper than %d levels", maxValueDepth)
		}
		closer := byte(']')
		if c == '(' {
			closer = ')'
		}
		start := p.pos
		p.pos++
		n := &valueNode{list: true}
		p.space()
		if p.pos < len(p.s) && p.s[p.pos] == closer {
			p.pos++
			return n, nil
		}
		for {
			item, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, item)
			p.space()
			if p.pos >= len(p.s) {
				return nil, fmt.Errorf("unclosed %q opened at offset %d", c, start)
			}
			switch p.s[p.pos] {
			case ',':
				p.pos++
			case closer:
				p.pos++
				return n, nil
			default:
				return nil, fmt.Errorf("want ',' or %q at offset %d, got %q", closer, p.pos, p.s[p.pos])
			}
		}
	case ']', ')', ',':
		return nil, fmt.Errorf("missing value at offset %d before %q", p.pos, c)
	case '"':
		end := p.pos + 1
		for end < len(p.s) && p.s[end] != '"' {
			if p.s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(p.s) {
			return nil, fmt.Errorf("unclosed string at offset %d", p.pos)
		}
		s, err := strconv.Unquote(p.s[p.pos : end+1])
		if err != nil {
			return nil, fmt.Errorf("bad string at offset %d: %v", p.pos, err)
		}
		p.pos = end + 1
		return &valueNode{quoted: true, text: s}, nil
	case '\'':
		end := strings.IndexByte(p.s[p.pos+1:], '\'')
		if end < 0 {
			return nil, fmt.Errorf("unclosed string at offset %d", p.pos)
		}
		s := p.s[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return &valueNode{quoted: true, text: s}, nil
	}
	start := p.pos
	for p.pos < len(p.s) && !strings.ContainsRune(",])( \t\n\r\"'[", rune(p.s[p.pos])) {
		p.pos++
	}
	return &valueNode{text: p.s[start:p.pos]}, nil
}

// resolver turns a CNS name into an address; nil accepts only 0x addresses.
type resolver func(name string) (common.Address, error)

// convertArgs converts console words to the Go values the ABI packer wants.
func convertArgs(in abi.Arguments, words []string, what string, res resolver) ([]any, error) {
	if len(words) != len(in) {
		return nil, fmt.Errorf("%w: %s takes %d arguments (%s), got %d", ErrBadArg, what, len(in), argList(in), len(words))
	}
	out := make([]any, len(in))
	for i, arg := range in {
		v, err := convertWord(arg.Type, words[i], res)
		if err != nil {
			name := ""
			if arg.Name != "" {
				name = " " + arg.Name
			}
			return nil, fmt.Errorf("%w: argument %d (%s%s): %v", ErrBadArg, i+1, arg.Type.String(), name, err)
		}
		out[i] = v
	}
	return out, nil
}

func argList(in abi.Arguments) string {
	parts := make([]string, len(in))
	for i, a := range in {
		parts[i] = strings.TrimSpace(a.Type.String() + " " + a.Name)
	}
	return strings.Join(parts, ", ")
}

// convertWord converts one console word: composite types are parsed as
// literals, scalar types take the word as it is.
func convertWord(t abi.Type, word string, res resolver) (any, error) {
	switch t.T {
	case abi.SliceTy, abi.ArrayTy, abi.TupleTy:
		n, err := parseValue(word)
		if err != nil {
			return nil, err
		}
		v, err := convertNode(t, n, "", res)
		if err != nil {
			return nil, err
		}
		return v.Interface(), nil
	}
	v, err := convertScalar(t, word, res)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// convertNode builds the reflect value of type t.GetType() from n; path
// names the element for errors.
func convertNode(t abi.Type, n *valueNode, path string, res resolver) (reflect.Value, error) {
	where := func() string {
		if path == "" {
			return ""
		}
		return path + ": "
	}
	switch t.T {
	case abi.SliceTy, abi.ArrayTy:
		if !n.list {
			return reflect.Value{}, fmt.Errorf("%swant a list like [a, b] for %s, got %q", where(), t.String(), n.text)
		}
		var v reflect.Value
		if t.T == abi.SliceTy {
			v = reflect.MakeSlice(t.GetType(), len(n.items), len(n.items))
		} else {
			if len(n.items) != t.Size {
				return reflect.Value{}, fmt.Errorf("%s%s takes %d elements, got %d", where(), t.String(), t.Size, len(n.items))
			}
			v = reflect.New(t.GetType()).Elem()
		}
		for i, item := range n.items {
			e, err := convertNode(*t.Elem, item, fmt.Sprintf("%s[%d]", path, i), res)
			if err != nil {
				return reflect.Value{}, err
			}
			v.Index(i).Set(e)
		}
		return v, nil
	case abi.TupleTy:
		if !n.list {
			return reflect.Value{}, fmt.Errorf("%swant a tuple like (a, b) for %s, got %q", where(), t.String(), n.text)
		}
		if len(n.items) != len(t.TupleElems) {
			return reflect.Value{}, fmt.Errorf("%s%s has %d components, got %d", where(), t.String(), len(t.TupleElems), len(n.items))
		}
		v := reflect.New(t.GetType()).Elem()
		for i, item := range n.items {
			name := t.TupleRawNames[i]
			if name == "" {
				name = strconv.Itoa(i)
			}
			e, err := convertNode(*t.TupleElems[i], item, path+"."+name, res)
			if err != nil {
				return reflect.Value{}, err
			}
			v.Field(i).Set(e)
		}
		return v, nil
	}
	if n.list {
		return reflect.Value{}, fmt.Errorf("%swant a %s, got a list", where(), t.String())
	}
	x, err := convertScalar(t, n.text, res)
	if err != nil {
		return reflect.Value{}, fmt.Errorf("%s%v", where(), err)
	}
	return reflect.ValueOf(x), nil
}

// convertScalar converts the text of one elementary value.
func convertScalar(t abi.Type, s string, res resolver) (any, error) {
	switch t.T {
	case abi.UintTy, abi.IntTy:
		n, ok := new(big.Int).SetString(s, 0)
		if !ok {
			return nil, fmt.Errorf("%q is not an integer (decimal, or 0x hex)", s)
		}
		if t.T == abi.UintTy {
			if n.Sign() < 0 {
				return nil, fmt.Errorf("%s is negative, %s is unsigned", s, t.String())
			}
			if n.BitLen() > t.Size {
				return nil, fmt.Errorf("%s does not fit in %s (at most 2^%d-1)", s, t.String(), t.Size)
			}
		} else {
			lim := new(big.Int).Lsh(big.NewInt(1), uint(t.Size-1))
			if n.Cmp(lim) >= 0 || n.Cmp(new(big.Int).Neg(lim)) < 0 {
				return nil, fmt.Errorf("%s does not fit in %s (-2^%d to 2^%d-1)", s, t.String(), t.Size-1, t.Size-1)
			}
		}
		return sizedInt(t, n), nil
	case abi.BoolTy:
		switch strings.ToLower(s) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not true or false", s)
	case abi.StringTy:
		return s, nil
	case abi.AddressTy:
		if common.IsHexAddress(s) {
			return common.HexToAddress(s), nil
		}
		if res == nil || s == "" || strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
			return nil, fmt.Errorf("%q is not an address", s)
		}
		a, err := res(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address nor a known CNS name: %v", s, err)
		}
		return a, nil
	case abi.BytesTy:
		b, err := hexutil.Decode(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not 0x hex bytes", s)
		}
		return b, nil
	case abi.FixedBytesTy, abi.FunctionTy:
		size := t.Size
		if t.T == abi.FunctionTy {
			size = 24
		}
		b, err := hexutil.Decode(s)
		if err != nil || len(b) > size {
			return nil, fmt.Errorf("%q is not 0x hex of at most %d bytes", s, size)
		}
		return reflectFixedBytes(size, b), nil
	}
	return nil, fmt.Errorf("%w %s", errUnsupportedType, t.String())
}

// formatValue turns a decoded value of type t into something that prints
// well as JSON: integers as decimal strings, bytes as 0x hex, arrays as
// lists and tuples as objects keyed by component name (lists when the
// components have no names).
func formatValue(t abi.Type, v any) any {
	rv := reflect.ValueOf(v)
	switch t.T {
	case abi.SliceTy, abi.ArrayTy:
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			break
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = formatValue(*t.Elem, rv.Index(i).Interface())
		}
		return out
	case abi.TupleTy:
		if rv.Kind() != reflect.Struct || rv.NumField() != len(t.TupleElems) {
			break
		}
		named := true
		for _, n := range t.TupleRawNames {
			named = named && n != ""
		}
		if named {
			out := make(map[string]any, len(t.TupleElems))
			for i, e := range t.TupleElems {
				out[t.TupleRawNames[i]] = formatValue(*e, rv.Field(i).Interface())
			}
			return out
		}
		out := make([]any, len(t.TupleElems))
		for i, e := range t.TupleElems {
			out[i] = formatValue(*e, rv.Field(i).Interface())
		}
		return out
	}
	return formatScalar(v)
}

func formatScalar(v any) any {
	switch x := v.(type) {
	case *big.Int:
		return x.String()
	case common.Address:
		return x.Hex()
	case []byte:
		return hexutil.Encode(x)
	case common.Hash:
		return x.Hex()
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Array && rv.Type().Elem().Kind() == reflect.Uint8 {
		b := make([]byte, rv.Len())
		reflect.Copy(reflect.ValueOf(b), rv)
		return hexutil.Encode(b)
	}
	switch rv.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprint(v)
	}
	return v
}

// renderValue writes a decoded value of type t in the console's input
// syntax: [a, b] for arrays, (a, b) for tuples, strings quoted inside them.
func renderValue(t abi.Type, v any, top bool) string {
	rv := reflect.ValueOf(v)
	switch t.T {
	case abi.SliceTy, abi.ArrayTy:
		if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
			parts := make([]string, rv.Len())
			for i := range parts {
				parts[i] = renderValue(*t.Elem, rv.Index(i).Interface(), false)
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
	case abi.TupleTy:
		if rv.Kind() == reflect.Struct && rv.NumField() == len(t.TupleElems) {
			parts := make([]string, len(t.TupleElems))
			for i, e := range t.TupleElems {
				parts[i] = renderValue(*e, rv.Field(i).Interface(), false)
			}
			return "(" + strings.Join(parts, ", ") + ")"
		}
	case abi.StringTy:
		if s, ok := v.(string); ok && !top {
			return strconv.Quote(s)
		}
	}
	return fmt.Sprint(formatScalar(v))
}
