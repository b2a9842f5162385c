package ledger

import (
	"bytes"
	"errors"
	"math/big"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

func TestCommitAndReadBack(t *testing.T) {
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(suite.Name(), func(t *testing.T) {
			backends(t, func(t *testing.T, open func() storage.KV) {
				testCommitAndReadBack(t, open(), suite)
			})
		})
	}
}

func testCommitAndReadBack(t *testing.T, kv storage.KV, suite crypto.Suite) {
	l := openLedger(t, kv, suite)
	if l.Head() != nil || l.Height() != 0 {
		t.Fatalf("empty ledger has head %v height %d", l.Head(), l.Height())
	}
	c := newChain(t, suite)
	genesis, grs := c.next(0)
	mustCommit(t, l, genesis, grs, mapState{"s/genesis": "alloc"})
	type committed struct {
		b  *types.Block
		rs []*types.Receipt
	}
	blocks := []committed{{genesis, grs}}
	for _, n := range []int{7, 1, 12} {
		b, rs := c.next(n)
		mustCommit(t, l, b, rs, mapState{"s/acct": "v" + string(rune('0'+b.Header.Number))})
		blocks = append(blocks, committed{b, rs})
	}
	if l.Height() != 3 || l.HeadHash() != c.parHash {
		t.Fatalf("head %d %s, want 3 %s", l.Height(), l.HeadHash(), c.parHash)
	}
	sameHeader(t, l.Head(), c.parent)
	// State writes went into the same KV, untouched by the ledger's prefix.
	if v, err := kv.Get([]byte("s/acct")); err != nil || string(v) != "v3" {
		t.Fatalf("state write: %q, %v", v, err)
	}

	for _, cb := range blocks {
		n, hash := cb.b.Header.Number, cb.b.Header.Hash(suite)
		h, err := l.HeaderByNumber(n)
		if err != nil {
			t.Fatal(err)
		}
		sameHeader(t, h, cb.b.Header)
		if h, err = l.HeaderByHash(hash); err != nil {
			t.Fatal(err)
		}
		sameHeader(t, h, cb.b.Header)
		for _, get := range []func() (*types.Block, error){
			func() (*types.Block, error) { return l.BlockByNumber(n) },
			func() (*types.Block, error) { return l.BlockByHash(hash) },
		} {
			got, err := get()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(types.EncodeBlock(got), types.EncodeBlock(cb.b)) {
				t.Fatalf("block %d differs after read back", n)
			}
			for i, tx := range got.Txs {
				want, _ := cb.b.Txs[i].CachedSender()
				if from, ok := tx.CachedSender(); !ok || from != want {
					t.Fatalf("block %d %s: sender %s %v, want %s", n, describe(tx), from, ok, want)
				}
			}
		}
		rs, err := l.Receipts(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != len(cb.rs) {
			t.Fatalf("block %d: %d receipts, want %d", n, len(rs), len(cb.rs))
		}
		var cum uint64
		for i, tx := range cb.b.Txs {
			cum += cb.rs[i].GasUsed
			checkTx(t, l, tx, n, hash, uint64(i), cb.rs[i], cum)
			if !bytes.Equal(types.EncodeReceipt(rs[i]), types.EncodeReceipt(cb.rs[i])) || rs[i].TxHash != tx.Hash() || rs[i].CumulativeGasUsed != cum {
				t.Fatalf("Receipts(%d)[%d] = %+v", n, i, rs[i])
			}
		}
	}

	// Missing things are ErrNotFound.
	if _, err := l.HeaderByNumber(4); !errors.Is(err, ErrNotFound) {
		t.Fatalf("HeaderByNumber(4) = %v", err)
	}
	if _, err := l.BlockByHash(common.Hash{1}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("BlockByHash(unknown) = %v", err)
	}
	if _, _, err := l.TxByHash(common.Hash{2}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("TxByHash(unknown) = %v", err)
	}
	if _, err := l.Receipt(common.Hash{3}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Receipt(unknown) = %v", err)
	}
	if _, err := l.Receipts(9); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Receipts(9) = %v", err)
	}
	if ok, err := l.TxCommitted(common.Hash{4}); ok || err != nil {
		t.Fatalf("TxCommitted(unknown) = %v, %v", ok, err)
	}
	if ok, err := l.NativeNonceUsed(big.NewInt(42)); ok || err != nil {
		t.Fatalf("NativeNonceUsed(unused) = %v, %v", ok, err)
	}
	if ok, _ := l.NativeNonceUsed(nil); ok {
		t.Fatal("NativeNonceUsed(nil) = true")
	}
	// Receipts of an empty block: none, no error.
	if rs, err := l.Receipts(0); err != nil || len(rs) != 0 {
		t.Fatalf("Receipts(genesis) = %v, %v", rs, err)
	}
}

func checkTx(t *testing.T, l *Ledger, tx *types.Transaction, n uint64, bh common.Hash, idx uint64, want *types.Receipt, cum uint64) {
	t.Helper()
	got, loc, err := l.TxByHash(tx.Hash())
	if err != nil {
		t.Fatalf("%s: %v", describe(tx), err)
	}
	if (loc != TxLocation{BlockNumber: n, BlockHash: bh, Index: idx}) {
		t.Fatalf("%s: location %+v, want %d %s %d", describe(tx), loc, n, bh, idx)
	}
	if !bytes.Equal(got.Bytes(), tx.Bytes()) || got.Hash() != tx.Hash() {
		t.Fatalf("%s read back differs", describe(tx))
	}
	sender, _ := tx.CachedSender()
	if from, ok := got.CachedSender(); !ok || from != sender {
		t.Fatalf("%s: sender %s, want %s", describe(tx), from, sender)
	}
	if byIdx, err := l.TxByIndex(n, idx); err != nil || byIdx.Hash() != tx.Hash() {
		t.Fatalf("TxByIndex(%d, %d): %v", n, idx, err)
	}
	if ok, err := l.TxCommitted(tx.Hash()); !ok || err != nil {
		t.Fatalf("TxCommitted: %v %v", ok, err)
	}
	if nat := tx.Native(); nat != nil {
		used, err := l.NativeNonceUsed(nat.Nonce)
		bn, _, _ := l.NativeNonceBlock(nat.Nonce)
		if !used || err != nil || bn != n {
			t.Fatalf("%s: nonce used %v in block %d (%v), want block %d", describe(tx), used, bn, err, n)
		}
	}
	r, err := l.Receipt(tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(types.EncodeReceipt(r), types.EncodeReceipt(want)) {
		t.Fatalf("%s: receipt consensus fields differ: %+v", describe(tx), r)
	}
	if r.TxHash != tx.Hash() || r.BlockNumber != n || r.BlockHash != bh || r.TxIndex != idx ||
		r.CumulativeGasUsed != cum || r.From != sender || r.ContractAddress != want.ContractAddress {
		t.Fatalf("%s: derived receipt fields wrong: %+v", describe(tx), r)
	}
	switch to := tx.To(); {
	case to == nil && r.To != nil, to != nil && (r.To == nil || *r.To != *to):
		t.Fatalf("%s: receipt To %v, tx To %v", describe(tx), r.To, to)
	}
	if tx.To() == nil && r.ContractAddress == (common.Address{}) {
		t.Fatalf("%s: creation receipt lost its contract address", describe(tx))
	}
}

func TestReopenResumesHead(t *testing.T) {
	dir := t.TempDir()
	suite := crypto.ECDSA()
	c := newChain(t, suite)
	kv := openPebble(t, dir)
	l := openLedger(t, kv, suite)
	var last *types.Block
	for i := range 4 {
		b, rs := c.next(i * 2)
		mustCommit(t, l, b, rs, nil)
		last = b
	}
	l.Close()
	if err := kv.Close(); err != nil {
		t.Fatal(err)
	}

	kv = openPebble(t, dir)
	defer kv.Close()
	l = openLedger(t, kv, suite)
	if l.Height() != 3 || l.HeadHash() != last.Header.Hash(suite) {
		t.Fatalf("reopened at %d %s, want 3", l.Height(), l.HeadHash())
	}
	sameHeader(t, l.Head(), last.Header)
	b, rs := c.next(3)
	mustCommit(t, l, b, rs, nil)
	if got, err := l.BlockByNumber(4); err != nil || len(got.Txs) != 3 {
		t.Fatalf("block after reopen: %v", err)
	}

	// A ledger opened with another chain's hash function does not match.
	if _, err := Open(kv, crypto.SM(), nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open with the wrong suite = %v, want ErrCorrupt", err)
	}
}

func TestOpenRefusesUnknownLayout(t *testing.T) {
	kv := storage.NewMemory()
	if err := kv.Put(keyVersion, []byte{99}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(kv, crypto.ECDSA(), nil); !errors.Is(err, ErrUnsupportedVersion) {
		t.Fatalf("Open = %v, want ErrUnsupportedVersion", err)
	}
}

func TestConcurrentReadsWhileCommitting(t *testing.T) {
	backends(t, func(t *testing.T, open func() storage.KV) {
		suite := crypto.ECDSA()
		l := openLedger(t, open(), suite)
		c := newChain(t, suite)
		var blocks []*types.Block
		var receipts [][]*types.Receipt
		for range 12 {
			b, rs := c.next(4)
			blocks, receipts = append(blocks, b), append(receipts, rs)
		}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		errs := make(chan error, 4)
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					head := l.Head()
					if head == nil {
						continue
					}
					b, err := l.BlockByNumber(head.Number)
					if err != nil {
						errs <- err
						return
					}
					for _, tx := range b.Txs {
						if _, err := l.Receipt(tx.Hash()); err != nil {
							errs <- err
							return
						}
					}
				}
			}()
		}
		for i, b := range blocks {
			mustCommit(t, l, b, receipts[i], nil)
		}
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}
