package txverify

import (
	"context"
	"fmt"
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

// BenchmarkVerifyBatch checks 1000 fresh Ethereum txs per op (none cached:
// the verifier is new each time), serially and on more workers; and the
// same block when every tx is cached, as a validated proposal is.
func BenchmarkVerifyBatch(b *testing.B) {
	suite := crypto.ECDSA()
	key := cryptotest.Key(b, suite)
	const n = 1000
	raw := make([][]byte, n)
	for i := range raw {
		raw[i] = ethTx(b, key, testChainID, uint64(i)).Bytes()
	}
	decode := func() []*types.Transaction {
		txs := make([]*types.Transaction, n)
		for i, r := range raw {
			tx, err := types.DecodeTx(suite, r)
			if err != nil {
				b.Fatal(err)
			}
			txs[i] = tx
		}
		return txs
	}
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("unseen/workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				v := newVerifier(b, suite, Config{Workers: workers})
				txs := decode()
				b.StartTimer()
				for _, err := range v.VerifyBatch(context.Background(), txs) {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "txs/s")
		})
	}
	b.Run("cached", func(b *testing.B) {
		v := newVerifier(b, suite, Config{})
		v.VerifyBatch(context.Background(), decode())
		for b.Loop() {
			b.StopTimer()
			txs := decode()
			b.StartTimer()
			for _, err := range v.VerifyBatch(context.Background(), txs) {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "txs/s")
	})
}
