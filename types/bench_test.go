package types_test

import (
	"math/big"
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// BenchmarkDecodeVerify measures what a node does once per incoming tx:
// decode the raw bytes and check the signature (recovering or verifying).
func BenchmarkDecodeVerify(b *testing.B) {
	type tc struct {
		name string
		s    crypto.Suite
		raw  func(i int) []byte
	}
	ek, _ := crypto.ECDSA().GenerateKey()
	sk, _ := crypto.SM().GenerateKey()
	native := func(s crypto.Suite, k crypto.PrivateKey) func(int) []byte {
		return func(i int) []byte {
			return nativeTx(b, s, k, func(n *types.NativeTx) { n.Nonce = big.NewInt(int64(i)) }).Bytes()
		}
	}
	cases := []tc{
		{"ecdsa-ethereum-legacy", crypto.ECDSA(), func(int) []byte { return ethTx(b, ek, testChainID, false).Bytes() }},
		{"ecdsa-ethereum-1559", crypto.ECDSA(), func(int) []byte { return ethTx(b, ek, testChainID, true).Bytes() }},
		{"ecdsa-native", crypto.ECDSA(), native(crypto.ECDSA(), ek)},
		{"sm-native", crypto.SM(), native(crypto.SM(), sk)},
	}
	for _, c := range cases {
		raws := make([][]byte, 256)
		for i := range raws {
			raws[i] = c.raw(i)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				tx, err := types.DecodeTx(c.s, raws[i%len(raws)])
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tx.Verify(c.s, testChainID, testGroup); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeEthTx measures decoding alone (no signature check), as a
// node does for every tx it receives by RPC, gossip or fetch.
func BenchmarkDecodeEthTx(b *testing.B) {
	k, _ := crypto.ECDSA().GenerateKey()
	raw := ethTx(b, k, testChainID, false).Bytes()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := types.DecodeTx(crypto.ECDSA(), raw); err != nil {
			b.Fatal(err)
		}
	}
}
