package ledger

import (
	"bytes"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// countingHasher is a hasher that counts its calls.
type countingHasher struct {
	types.Hasher
	calls atomic.Int64
}

func (h *countingHasher) Hash(data ...[]byte) common.Hash {
	h.calls.Add(1)
	return h.Hasher.Hash(data...)
}

// TestCommitWithRootsHashesOnlyTheHeader commits blocks with the roots
// computed when their headers were built: the ledger then hashes the
// header and nothing else (no Merkle leaf or level), where without them
// it hashes every tx and receipt again. The stores of both end up byte for
// byte the same.
func TestCommitWithRootsHashesOnlyTheHeader(t *testing.T) {
	suite := crypto.ECDSA()
	h := &countingHasher{Hasher: suite}
	kvWith, kvWithout := storage.NewMemory(), storage.NewMemory()
	with, err := Open(kvWith, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	without, err := Open(kvWithout, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newChain(t, suite)
	g, grs := c.next(0)
	mustCommit(t, with, g, grs, nil)
	mustCommit(t, without, g, grs, nil)
	const n = 30
	for range 3 {
		b, rs := c.next(n)
		roots := types.ComputeBlockRoots(h, b.Txs, rs)
		h.calls.Store(0)
		if err := with.Commit(b, rs, nil, nil, roots); err != nil {
			t.Fatalf("block %d with its roots: %v", b.Header.Number, err)
		}
		if got := h.calls.Load(); got != 1 {
			t.Fatalf("block %d with its roots: %d hashes, want 1 (the header's)", b.Header.Number, got)
		}
		h.calls.Store(0)
		if err := without.Commit(b, rs, nil, nil, nil); err != nil {
			t.Fatalf("block %d without roots: %v", b.Header.Number, err)
		}
		if got := h.calls.Load(); got < 2*n {
			t.Fatalf("block %d without roots: %d hashes, want at least %d (a leaf per tx and receipt)", b.Header.Number, got, 2*n)
		}
	}
	sameStore(t, kvWith, kvWithout)
}

// sameStore fails unless a and b hold the same keys and values.
func sameStore(t *testing.T, a, b storage.KV) {
	t.Helper()
	ia, ib := a.NewIterator(nil, nil), b.NewIterator(nil, nil)
	defer ia.Release()
	defer ib.Release()
	keys := 0
	for {
		na, nb := ia.Next(), ib.Next()
		if na != nb {
			t.Fatalf("the stores hold a different number of keys (after %d)", keys)
		}
		if !na {
			break
		}
		if !bytes.Equal(ia.Key(), ib.Key()) || !bytes.Equal(ia.Value(), ib.Value()) {
			t.Fatalf("the stores differ at key %q / %q", ia.Key(), ib.Key())
		}
		keys++
	}
	if err := errors.Join(ia.Error(), ib.Error()); err != nil {
		t.Fatal(err)
	}
	if keys == 0 {
		t.Fatal("the stores are empty")
	}
}

// TestCommitRefusesRootsNotOfTheBlock hands the ledger blocks whose header
// matches the roots given, but whose txs or receipts are not those the
// roots were computed from (or were computed with another hash function):
// the ledger must not take the roots' word for them, and refuses each
// block, whose header does not commit to what it is given.
func TestCommitRefusesRootsNotOfTheBlock(t *testing.T) {
	suite := crypto.ECDSA()
	kv := storage.NewMemory()
	l := openLedger(t, kv, suite)
	c := newChain(t, suite)
	g, grs := c.next(0)
	mustCommit(t, l, g, grs, nil)

	// fresh returns the next block of n txs, its receipts, and the roots
	// of both, the header built from them.
	fresh := func(h types.Hasher, n int) (*types.Block, []*types.Receipt, *types.BlockRoots) {
		txs := c.mixedTxs(n)
		rs := receiptsFor(txs)
		roots := types.ComputeBlockRoots(h, txs, rs)
		b := c.block(txs, rs)
		b.Header.TxRoot, b.Header.ReceiptRoot, b.Header.LogsBloom = roots.TxRoot(), roots.ReceiptRoot(), roots.LogsBloom()
		return b, rs, roots
	}
	refuse := func(name string, b *types.Block, rs []*types.Receipt, roots *types.BlockRoots) {
		t.Helper()
		if err := l.Commit(b, rs, nil, nil, roots); !errors.Is(err, ErrInconsistentBlock) {
			t.Fatalf("%s: Commit = %v, want %v", name, err, ErrInconsistentBlock)
		}
		if l.Height() != 0 {
			t.Fatalf("%s: head moved to %d", name, l.Height())
		}
	}

	b, rs, roots := fresh(suite, 3)
	other := *rs[1]
	other.GasUsed++
	rs2 := append([]*types.Receipt(nil), rs...)
	rs2[1] = &other
	refuse("a receipt other than the roots'", b, rs2, roots)

	b, rs, roots = fresh(suite, 3)
	b2 := &types.Block{Header: b.Header, Txs: append([]*types.Transaction(nil), b.Txs...)}
	b2.Txs[2] = c.mixedTxs(1)[0]
	refuse("a tx other than the roots'", b2, rs, roots)

	b, rs, roots = fresh(suite, 3)
	b2 = &types.Block{Header: b.Header, Txs: []*types.Transaction{b.Txs[1], b.Txs[0], b.Txs[2]}}
	refuse("the roots' txs and receipts in another order", b2, []*types.Receipt{rs[1], rs[0], rs[2]}, roots)

	b, rs, roots = fresh(suite, 3)
	refuse("one receipt less", b, rs[:2], roots)

	b, rs, roots = fresh(crypto.SM(), 3)
	refuse("roots computed with another hash function", b, rs, roots)

	b, rs, roots = fresh(suite, 3)
	b.Header.TxRoot = common.Hash{1}
	refuse("a header with another tx root", b, rs, roots)
	b, rs, roots = fresh(suite, 3)
	b.Header.LogsBloom[0] ^= 1
	refuse("a header with another logs bloom", b, rs, roots)

	// The roots of a block commit it.
	b, rs, roots = fresh(suite, 3)
	if err := l.Commit(b, rs, nil, nil, roots); err != nil {
		t.Fatalf("block with its roots: %v", err)
	}
	got, err := l.Receipts(1)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if !bytes.Equal(types.EncodeReceipt(r), types.EncodeReceipt(rs[i])) {
			t.Fatalf("receipt %d read back differs", i)
		}
	}
}
