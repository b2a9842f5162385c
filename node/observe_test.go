package node

import (
	"bytes"
	"log/slog"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/metrics"
	"github.com/gobcos/gobcos/types"
)

func flowTx(nonce int64) *types.Transaction {
	to := common.Address{0x01}
	return types.NewNativeTx(crypto.ECDSA(), &types.NativeTx{ChainID: 1, GroupID: "g", BlockLimit: 10, Nonce: big.NewInt(nonce), To: &to, Value: new(big.Int)})
}

// pickTxs returns a tx that a 1-in-sample flow logs and one it does not.
func pickTxs(t *testing.T, f *txFlow) (sampled, other *types.Transaction) {
	t.Helper()
	for i := int64(0); i < 10000 && (sampled == nil || other == nil); i++ {
		tx := flowTx(i)
		if f.sampled(tx.Hash()) {
			sampled = tx
		} else {
			other = tx
		}
	}
	if sampled == nil || other == nil {
		t.Fatal("no sampled and unsampled tx found")
	}
	return sampled, other
}

func TestTxFlowSamplesByHashAndLogsOneLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := metrics.New("g", nil)
	pending := map[common.Hash]bool{}
	f := newTxFlow(log, m, 4, func(h common.Hash) bool { return pending[h] })
	sampled, other := pickTxs(t, f)

	f.arrived([]common.Hash{sampled.Hash()}, txSourceRPC)
	f.arrived([]common.Hash{other.Hash()}, txSourceGossip)
	if buf.Len() != 0 {
		t.Fatalf("arrival logged: %s", buf.String())
	}
	f.committed(&types.Block{Header: &types.Header{Number: 3}, Txs: []*types.Transaction{other, sampled}})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one flow line, got:\n%s", buf.String())
	}
	for _, want := range []string{`msg="tx flow"`, "tx=" + sampled.Hash().Hex(), "source=rpc", "block=3", "index=1", "latency=", "arrived="} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("flow line lacks %q: %s", want, lines[0])
		}
	}
	if len(f.arrivals) != 0 {
		t.Errorf("committed txs still followed: %d", len(f.arrivals))
	}
	// Both txs' latencies were measured (metrics follow every tx).
	mfs, _ := m.Registry().Gather()
	var count uint64
	for _, mf := range mfs {
		if mf.GetName() == "gobcos_tx_commit_latency_seconds" {
			count = mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	if count != 2 {
		t.Errorf("latency observations %d, want 2", count)
	}
}

func TestTxFlowWithoutMetricsFollowsOnlySampled(t *testing.T) {
	f := newTxFlow(slog.New(slog.DiscardHandler), nil, 4, nil)
	sampled, other := pickTxs(t, f)
	f.arrived([]common.Hash{sampled.Hash()}, txSourceRPC)
	f.arrived([]common.Hash{other.Hash()}, txSourceRPC)
	if len(f.arrivals) != 1 {
		t.Fatalf("followed %d txs, want only the sampled one", len(f.arrivals))
	}
	// Txs arriving together: the sampled ones are followed.
	g := newTxFlow(slog.New(slog.DiscardHandler), nil, 4, nil)
	g.arrived([]common.Hash{other.Hash(), sampled.Hash(), other.Hash()}, txSourceRPC)
	if _, ok := g.arrivals[sampled.Hash()]; !ok || len(g.arrivals) != 1 {
		t.Fatalf("followed %d txs of a batch, want only the sampled one", len(g.arrivals))
	}
	off := newTxFlow(slog.New(slog.DiscardHandler), nil, 0, nil)
	off.arrived([]common.Hash{sampled.Hash()}, txSourceRPC)
	if len(off.arrivals) != 0 || off.sampled(sampled.Hash()) {
		t.Fatal("tx_flow_sample = 0 still follows txs")
	}
}

func TestTxFlowPrunesTxsThatLeftThePool(t *testing.T) {
	pending := map[common.Hash]bool{}
	f := newTxFlow(slog.New(slog.DiscardHandler), metrics.New("g", nil), 100, func(h common.Hash) bool { return pending[h] })
	kept, gone, in := flowTx(1), flowTx(2), flowTx(3)
	pending[kept.Hash()] = true
	f.arrived([]common.Hash{kept.Hash()}, txSourceRPC)
	f.arrived([]common.Hash{gone.Hash()}, txSourceRPC)
	f.arrived([]common.Hash{in.Hash()}, txSourceRPC)
	f.committed(&types.Block{Header: &types.Header{Number: pruneEvery}, Txs: []*types.Transaction{in}})
	if _, ok := f.arrivals[kept.Hash()]; !ok || len(f.arrivals) != 1 {
		t.Fatalf("after prune: %v", f.arrivals)
	}
}
