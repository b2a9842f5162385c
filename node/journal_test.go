package node_test

import (
	"context"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/internal/txtest"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
	"github.com/gobcos/gobcos/types"
)

func journalPath(cfg node.Config) string {
	return filepath.Join(cfg.Path(cfg.DataDir), "txpool.journal")
}

func poolStatus(t *testing.T, ctx context.Context, c *sdk.Client) (pending, queued uint64) {
	t.Helper()
	var st map[string]hexutil.Uint64
	if err := c.RPC().CallContext(ctx, &st, "txpool_status"); err != nil {
		t.Fatal(err)
	}
	return uint64(st["pending"]), uint64(st["queued"])
}

// TestJournalRestoresAcceptedTxs: txs a node accepted and had not
// committed are in its pool again after a restart, with the journal as a
// node killed right after accepting them leaves it (its appends only, no
// rewrite at shutdown), and then commit.
func TestJournalRestoresAcceptedTxs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := nodetest.DevConfig(t, crypto.NameECDSA, nil)
	n := nodetest.Start(t, cfg)
	client := nodetest.Dial(t, ctx, n)
	key := cryptotest.Key(t, client.Suite())
	to := common.Address{0x42}
	sign := func(nonce uint64) *types.Transaction {
		return txtest.SignEth(t, key, client.ChainID(), &ethtypes.LegacyTx{Nonce: nonce, Gas: 21000, GasPrice: new(big.Int), To: &to})
	}
	// Nonces 1 to 20 wait behind the gap at nonce 0: the pool holds them.
	const waiting = 20
	var hashes []common.Hash
	for nonce := uint64(1); nonce <= waiting; nonce++ {
		h, err := client.SendTransaction(ctx, sign(nonce))
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	if _, queued := poolStatus(t, ctx, client); queued != waiting {
		t.Fatalf("queued = %d before the restart, want %d", queued, waiting)
	}
	killed, err := os.ReadFile(journalPath(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(journalPath(cfg), killed, 0o600); err != nil {
		t.Fatal(err)
	}

	n = nodetest.Start(t, cfg)
	client = nodetest.Dial(t, ctx, n)
	if _, queued := poolStatus(t, ctx, client); queued != waiting {
		t.Fatalf("queued = %d after the restart, want the journal's %d", queued, waiting)
	}
	h0, err := client.SendTransaction(ctx, sign(0))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range append(hashes, h0) {
		r, err := client.WaitReceipt(ctx, h)
		if err != nil {
			t.Fatalf("restored tx %s: %v", h, err)
		}
		if !r.Succeeded() {
			t.Fatalf("restored tx %s failed: %+v", h, r)
		}
	}

	// Committed, they are not offered again after the next restart.
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	n = nodetest.Start(t, cfg)
	client = nodetest.Dial(t, ctx, n)
	if pending, queued := poolStatus(t, ctx, client); pending+queued != 0 {
		t.Fatalf("pool after a restart with every tx committed: %d pending, %d queued", pending, queued)
	}
}

// TestJournalOff: with [txpool] journal = false the node writes no
// journal.
func TestJournalOff(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := nodetest.DevConfig(t, crypto.NameECDSA, nil)
	cfg.TxPool.Journal = false
	n := nodetest.Start(t, cfg)
	client := nodetest.Dial(t, ctx, n)
	key := cryptotest.Key(t, client.Suite())
	to := common.Address{0x42}
	if _, err := client.SendTransaction(ctx, txtest.SignEth(t, key, client.ChainID(), &ethtypes.LegacyTx{Nonce: 1, Gas: 21000, GasPrice: new(big.Int), To: &to})); err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(journalPath(cfg)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("journal file with journal = false: %v", err)
	}
}
