package ledger

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

var (
	logAddrC = common.HexToAddress("0xcccc000000000000000000000000000000000003")
	logAddrD = common.HexToAddress("0xdddd000000000000000000000000000000000004")
)

func lg(addr common.Address, topics ...common.Hash) *types.Log {
	return &types.Log{Address: addr, Topics: topics, Data: []byte("data")}
}

// filterChain commits:
//
//	block 0: genesis
//	block 1: tx0 [A(T1,U)]  tx1 []  tx2 [B(T2,U) A(T1,V)]
//	block 2: tx0 [B(T2,V)]
//	block 3: tx0 [A(T1)]  tx1 [C(U,T1)]
//	block 4: tx0 []  tx1 []
func filterChain(t *testing.T, kv storage.KV) (*Ledger, map[string]common.Hash) {
	suite := crypto.ECDSA()
	l := openLedger(t, kv, suite)
	c := newChain(t, suite)
	layout := [][][]*types.Log{
		{},
		{{lg(logAddrA, topicT1, topicU)}, {}, {lg(logAddrB, topicT2, topicU), lg(logAddrA, topicT1, topicV)}},
		{{lg(logAddrB, topicT2, topicV)}},
		{{lg(logAddrA, topicT1)}, {lg(logAddrC, topicU, topicT1)}},
		{{}, {}},
	}
	txHashes := make(map[string]common.Hash)
	to := common.Address{0x70}
	for n, blockLogs := range layout {
		var txs []*types.Transaction
		var rs []*types.Receipt
		for i, logs := range blockLogs {
			tx := c.nativeTx(i%len(c.keys), &to)
			txs = append(txs, tx)
			rs = append(rs, &types.Receipt{Status: types.ReceiptSuccess, GasUsed: 30_000, Logs: logs})
			txHashes[fmt.Sprintf("%d/%d", n, i)] = tx.Hash()
		}
		b := c.block(txs, rs)
		mustCommit(t, l, b, rs, nil)
		c.advance(b)
	}
	return l, txHashes
}

func TestFilterLogs(t *testing.T) {
	backends(t, func(t *testing.T, open func() storage.KV) {
		kv := &faultyKV{KV: open()}
		l, txHashes := filterChain(t, kv)
		all := LogFilter{ToBlock: math.MaxUint64}
		cases := []struct {
			name string
			f    LogFilter
			want []string // block/tx/logIndex
		}{
			{"everything", all, []string{"1/0/0", "1/2/1", "1/2/2", "2/0/0", "3/0/0", "3/1/1"}},
			{"address A", LogFilter{ToBlock: 10, Addresses: []common.Address{logAddrA}}, []string{"1/0/0", "1/2/2", "3/0/0"}},
			{"address A or B", LogFilter{ToBlock: 10, Addresses: []common.Address{logAddrB, logAddrA}}, []string{"1/0/0", "1/2/1", "1/2/2", "2/0/0", "3/0/0"}},
			{"address absent", LogFilter{ToBlock: 10, Addresses: []common.Address{logAddrD}}, nil},
			{"topic0 T1", LogFilter{ToBlock: 10, Topics: [][]common.Hash{{topicT1}}}, []string{"1/0/0", "1/2/2", "3/0/0"}},
			{"topic1 V, topic0 wildcard", LogFilter{ToBlock: 10, Topics: [][]common.Hash{{}, {topicV}}}, []string{"1/2/2", "2/0/0"}},
			{"topic1 U needs a second topic", LogFilter{ToBlock: 10, Topics: [][]common.Hash{nil, {topicU}}}, []string{"1/0/0", "1/2/1"}},
			{"topic0 T1|T2 and topic1 V", LogFilter{ToBlock: 10, Topics: [][]common.Hash{{topicT1, topicT2}, {topicV}}}, []string{"1/2/2", "2/0/0"}},
			{"topic0 U", LogFilter{ToBlock: 10, Topics: [][]common.Hash{{topicU}}}, []string{"3/1/1"}},
			{"third topic never present", LogFilter{ToBlock: 10, Topics: [][]common.Hash{{}, {}, {topicU}}}, nil},
			{"address and topic disagree", LogFilter{ToBlock: 10, Addresses: []common.Address{logAddrA}, Topics: [][]common.Hash{{topicT2}}}, nil},
			{"address B, topic1 U|V", LogFilter{ToBlock: 10, Addresses: []common.Address{logAddrB}, Topics: [][]common.Hash{{}, {topicU, topicV}}}, []string{"1/2/1", "2/0/0"}},
			{"one block", LogFilter{FromBlock: 2, ToBlock: 2}, []string{"2/0/0"}},
			{"range past the head", LogFilter{FromBlock: 3, ToBlock: 100}, []string{"3/0/0", "3/1/1"}},
			{"range after the head", LogFilter{FromBlock: 5, ToBlock: 10}, nil},
			{"genesis only", LogFilter{}, nil},
		}
		for _, c := range cases {
			got, err := l.FilterLogs(context.Background(), c.f, 100)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var pos []string
			for _, r := range got {
				pos = append(pos, fmt.Sprintf("%d/%d/%d", r.BlockNumber, r.TxIndex, r.LogIndex))
				bh, _ := l.HashByNumber(r.BlockNumber)
				if r.BlockHash != bh || r.TxHash != txHashes[fmt.Sprintf("%d/%d", r.BlockNumber, r.TxIndex)] || !c.f.Matches(r.Log) {
					t.Fatalf("%s: record %+v has wrong positions or does not match", c.name, r)
				}
			}
			if !slices.Equal(pos, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, pos, c.want)
			}
		}

		// Blooms let a search skip blocks without reading receipts.
		before := kv.receiptIters.Load()
		if got, err := l.FilterLogs(context.Background(), LogFilter{ToBlock: 10, Addresses: []common.Address{logAddrD}}, 0); err != nil || len(got) != 0 {
			t.Fatalf("absent address: %v %v", got, err)
		}
		if n := kv.receiptIters.Load() - before; n != 0 {
			t.Fatalf("read receipts of %d blocks for an address in no bloom", n)
		}
		before = kv.receiptIters.Load()
		if _, err := l.FilterLogs(context.Background(), LogFilter{ToBlock: 10, Addresses: []common.Address{logAddrC}}, 0); err != nil {
			t.Fatal(err)
		}
		if n := kv.receiptIters.Load() - before; n != 1 {
			t.Fatalf("read receipts of %d blocks for an address in one block's bloom", n)
		}

		if _, err := l.FilterLogs(context.Background(), all, 5); !errors.Is(err, ErrTooManyLogs) {
			t.Fatalf("over the limit: %v", err)
		}
		if got, err := l.FilterLogs(context.Background(), all, 6); err != nil || len(got) != 6 {
			t.Fatalf("at the limit: %d, %v", len(got), err)
		}
		if got, err := l.FilterLogs(context.Background(), all, 0); err != nil || len(got) != 6 {
			t.Fatalf("no limit: %d, %v", len(got), err)
		}
		if _, err := l.FilterLogs(context.Background(), LogFilter{FromBlock: 3, ToBlock: 1}, 0); !errors.Is(err, ErrInvalidRange) {
			t.Fatalf("reversed range: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := l.FilterLogs(ctx, all, 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled context: %v", err)
		}

		// Logs of one receipt carry block-wide indexes.
		rl, err := l.ReceiptLogs(txHashes["1/2"])
		if err != nil || len(rl) != 2 || rl[0].LogIndex != 1 || rl[1].LogIndex != 2 || rl[1].Log.Address != logAddrA || rl[0].TxIndex != 2 {
			t.Fatalf("ReceiptLogs: %+v, %v", rl, err)
		}
	})
}

func TestFilterLogsEmptyLedger(t *testing.T) {
	l := openLedger(t, storage.NewMemory(), crypto.ECDSA())
	got, err := l.FilterLogs(context.Background(), LogFilter{ToBlock: 10}, 0)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty ledger: %v, %v", got, err)
	}
}
