package ledger

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// BenchmarkCommit1000TxBlock commits blocks of 1,000 native txs, each with
// one log, on Pebble (fsync per block). Txs are not signed: the ledger
// stores senders established by earlier verification and does not check
// signatures, so building blocks stays out of the measurement's way.
func BenchmarkCommit1000TxBlock(b *testing.B) {
	suite := crypto.ECDSA()
	kv := openPebble(b, b.TempDir())
	defer kv.Close()
	l := openLedger(b, kv, suite)
	c := newChain(b, suite)
	g, grs := c.next(0)
	mustCommit(b, l, g, grs, nil)
	to := common.Address{0x10}
	sender := common.Address{0x20}
	var nonce int64
	build := func() (*types.Block, []*types.Receipt) {
		txs := make([]*types.Transaction, 1000)
		rs := make([]*types.Receipt, 1000)
		for i := range txs {
			nonce++
			n := &types.NativeTx{ChainID: testChainID, GroupID: testGroupID, BlockLimit: 1 << 40, Nonce: big.NewInt(nonce),
				To: &to, Value: new(big.Int), Input: make([]byte, 68), Signature: make([]byte, 65), PublicKey: make([]byte, 65)}
			txs[i] = types.NewNativeTx(suite, n)
			txs[i].SetSender(sender)
			rs[i] = &types.Receipt{Status: types.ReceiptSuccess, GasUsed: 30_000, Output: make([]byte, 32),
				Logs: []*types.Log{{Address: to, Topics: []common.Hash{topicT1, common.BigToHash(big.NewInt(nonce))}, Data: make([]byte, 64)}}}
		}
		blk := c.block(txs, rs)
		c.advance(blk)
		return blk, rs
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		blk, rs := build()
		b.StartTimer()
		if err := l.Commit(blk, rs, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
