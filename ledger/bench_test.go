package ledger

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
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
		if err := l.Commit(blk, rs, nil, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealCommit1000Transfers builds the header of a block of 1,000
// native transfers (no logs, no output), as consensus.BuildHeader does,
// and commits the block on a Memory store: the CPU a node spends on a
// block's roots and commit, without the fsync. With "roots" the ledger is
// handed the roots computed for the header; with "recompute" it computes
// them again.
func BenchmarkSealCommit1000Transfers(b *testing.B) {
	for _, handRoots := range []bool{false, true} {
		name := "recompute"
		if handRoots {
			name = "roots"
		}
		b.Run(name, func(b *testing.B) {
			suite := crypto.ECDSA()
			l := openLedger(b, storage.NewMemory(), suite)
			c := newChain(b, suite)
			g, grs := c.next(0)
			mustCommit(b, l, g, grs, nil)
			to, sender := common.Address{0x10}, common.Address{0x20}
			var nonce int64
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				txs := make([]*types.Transaction, 1000)
				rs := make([]*types.Receipt, 1000)
				for i := range txs {
					nonce++
					n := &types.NativeTx{ChainID: testChainID, GroupID: testGroupID, BlockLimit: 1 << 40, Nonce: big.NewInt(nonce),
						To: &to, Value: big.NewInt(1), Signature: make([]byte, 65), PublicKey: make([]byte, 65)}
					txs[i] = types.NewNativeTx(suite, n)
					txs[i].SetSender(sender)
					rs[i] = &types.Receipt{Status: types.ReceiptSuccess, GasUsed: 21_000}
				}
				b.StartTimer()
				roots := types.ComputeBlockRoots(suite, txs, rs)
				blk := &types.Block{Txs: txs, Header: &types.Header{
					ParentHash: c.parHash, Number: c.parent.Number + 1, Timestamp: c.parent.Timestamp + 1,
					TxRoot: roots.TxRoot(), ReceiptRoot: roots.ReceiptRoot(), LogsBloom: roots.LogsBloom(),
					GasUsed: 21_000 * 1000, GasLimit: 30_000_000, Sealer: sender,
				}}
				if !handRoots {
					roots = nil
				}
				if err := l.Commit(blk, rs, nil, nil, roots); err != nil {
					b.Fatal(err)
				}
				c.advance(blk)
			}
		})
	}
}

// randomWrites stands in for a block's state write set in
// BenchmarkCommitSmallBlocks: per tx, two account keys and their two
// history entries, at random places of the key space as the accounts of
// random addresses and their history are, in sorted order as a write set
// applies them.
type randomWrites [][]byte

func (w randomWrites) ApplyTo(s storage.Writer) error {
	for _, k := range w {
		if err := s.Put(k, k[:20]); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkCommitSmallBlocks commits blocks of 40 native transfers with
// their state writes on Pebble (fsync per block) whose memtable already
// holds some 150,000 keys: the blocks of a chain at a moderate, steady
// rate. A block's keys land at random places of a large skiplist, so
// inserting them, not encoding, is most of the CPU (BENCHMARKS.md, "At
// half the maximum rate: where the extra CPU goes"). Run it with a fixed
// count (-benchtime 2000x) so that every run fills the memtable alike.
func BenchmarkCommitSmallBlocks(b *testing.B) {
	suite := crypto.ECDSA()
	kv := openPebble(b, b.TempDir())
	defer kv.Close()
	l := openLedger(b, kv, suite)
	c := newChain(b, suite)
	g, grs := c.next(0)
	mustCommit(b, l, g, grs, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	build := func() (*types.Block, []*types.Receipt, randomWrites) {
		const n = 40
		txs := make([]*types.Transaction, n)
		rs := make([]*types.Receipt, n)
		ws := make(randomWrites, 0, 4*n)
		for i := range txs {
			var to, from common.Address
			for _, a := range []*common.Address{&to, &from} {
				binary.LittleEndian.PutUint64(a[:], rng.Uint64())
				binary.LittleEndian.PutUint64(a[8:], rng.Uint64())
				ws = append(ws, append([]byte("s/a/"), a[:]...), append([]byte("s/h/s/a/"), a[:]...))
			}
			tx := &types.NativeTx{ChainID: testChainID, GroupID: testGroupID, BlockLimit: 1 << 40, Nonce: big.NewInt(rng.Int64()),
				To: &to, Value: big.NewInt(1), Signature: make([]byte, 65), PublicKey: make([]byte, 65)}
			txs[i] = types.NewNativeTx(suite, tx)
			txs[i].SetSender(from)
			rs[i] = &types.Receipt{Status: types.ReceiptSuccess, GasUsed: 21_000}
		}
		slices.SortFunc(ws, bytes.Compare)
		blk := c.block(txs, rs)
		c.advance(blk)
		return blk, rs, ws
	}
	for range 500 {
		blk, rs, ws := build()
		if err := l.Commit(blk, rs, nil, ws, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		blk, rs, ws := build()
		b.StartTimer()
		if err := l.Commit(blk, rs, nil, ws, nil); err != nil {
			b.Fatal(err)
		}
	}
}
