package console

import (
	"fmt"
	"math/big"
	"reflect"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// sizedInt gives n the Go type the ABI packer expects for t: the native
// integer type up to 64 bits, *big.Int above.
func sizedInt(t abi.Type, n *big.Int) any {
	if t.T == abi.UintTy {
		switch t.Size {
		case 8:
			return uint8(n.Uint64())
		case 16:
			return uint16(n.Uint64())
		case 32:
			return uint32(n.Uint64())
		case 64:
			return n.Uint64()
		}
		return n
	}
	switch t.Size {
	case 8:
		return int8(n.Int64())
	case 16:
		return int16(n.Int64())
	case 32:
		return int32(n.Int64())
	case 64:
		return n.Int64()
	}
	return n
}

// reflectFixedBytes returns a [size]byte holding b, left-aligned.
func reflectFixedBytes(size int, b []byte) any {
	arr := reflect.New(reflect.ArrayOf(size, reflect.TypeFor[byte]())).Elem()
	reflect.Copy(arr, reflect.ValueOf(b))
	return arr.Interface()
}

// formatValue turns a decoded ABI value into something that prints well
// both as text and as JSON.
func formatValue(v any) any {
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
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = formatValue(rv.Index(i).Interface())
		}
		return out
	}
	switch rv.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprint(v)
	}
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
