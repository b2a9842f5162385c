package console

import (
	"math/big"
	"reflect"

	"github.com/ethereum/go-ethereum/accounts/abi"
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
