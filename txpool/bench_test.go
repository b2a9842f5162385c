package txpool

import (
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

// BenchmarkAdd measures admission of a batch of txs from raw bytes:
// types.DecodeTx, signature verification on the pool's workers and the
// admission rules. One op is one batch; see the txs/s metric.
func BenchmarkAdd(b *testing.B) {
	const batch = 512
	cases := []struct {
		name  string
		suite crypto.Suite
		make  func(b *testing.B, suite crypto.Suite, i int) *types.Transaction
	}{
		{"ecdsa-eth", crypto.ECDSA(), func(b *testing.B, s crypto.Suite, i int) *types.Transaction {
			return ethTx(b, cryptotest.Key(b, s), 0)
		}},
		{"ecdsa-native", crypto.ECDSA(), func(b *testing.B, s crypto.Suite, i int) *types.Transaction {
			return nativeTx(b, s, cryptotest.Key(b, s), int64(i+1), 50)
		}},
		{"sm-native", crypto.SM(), func(b *testing.B, s crypto.Suite, i int) *types.Transaction {
			return nativeTx(b, s, cryptotest.Key(b, s), int64(i+1), 50)
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			raw := make([][]byte, batch)
			for i := range raw {
				raw[i] = c.make(b, c.suite, i).Bytes()
			}
			cfg := DefaultConfig()
			chain := newFakeChain(10)
			txs := make([]*types.Transaction, batch)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				p, err := New(cfg, c.suite, testChainID, testGroup, chain, nil)
				if err != nil {
					b.Fatal(err)
				}
				for i, r := range raw {
					if txs[i], err = types.DecodeTx(c.suite, r); err != nil {
						b.Fatal(err)
					}
				}
				for i, err := range p.Add(b.Context(), txs) {
					if err != nil {
						b.Fatalf("tx %d: %v", i, err)
					}
				}
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "txs/s")
		})
	}
}
