package ledger

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

func TestCommitRefusals(t *testing.T) {
	backends(t, func(t *testing.T, open func() storage.KV) {
		suite := crypto.ECDSA()
		kv := open()
		l := openLedger(t, kv, suite)
		c := newChain(t, suite)

		// The first block must be genesis.
		notGenesis := c.block(nil, nil)
		notGenesis.Header.Number = 1
		if err := l.Commit(notGenesis, nil, nil, nil, nil); !errors.Is(err, ErrNotNextBlock) {
			t.Fatalf("non-genesis first block: %v", err)
		}
		g, grs := c.next(0)
		mustCommit(t, l, g, grs, nil)
		b1, rs1 := c.next(3)
		mustCommit(t, l, b1, rs1, nil)

		// refuse checks err and that the ledger did not move or keep anything.
		refuse := func(name string, want error, b *types.Block, rs []*types.Receipt, senders []common.Address, st StateWrites) {
			t.Helper()
			err := l.Commit(b, rs, senders, st, nil)
			if !errors.Is(err, want) {
				t.Fatalf("%s: Commit = %v, want %v", name, err, want)
			}
			if l.Height() != 1 || l.HeadHash() != b1.Header.Hash(suite) {
				t.Fatalf("%s: head moved to %d", name, l.Height())
			}
			if b != nil && b.Header != nil && b.Header.Number == 2 {
				if _, err := l.HeaderByNumber(2); !errors.Is(err, ErrNotFound) {
					t.Fatalf("%s: refused block stored: %v", name, err)
				}
			}
			if ok, _ := kv.Has([]byte("s/refused")); ok {
				t.Fatalf("%s: state writes of a refused block were stored", name)
			}
		}
		fresh := func(n int) (*types.Block, []*types.Receipt) {
			txs := c.mixedTxs(n)
			rs := receiptsFor(txs)
			return c.block(txs, rs), rs
		}
		st := mapState{"s/refused": "x"}

		refuse("nil block", ErrInconsistentBlock, nil, nil, nil, st)
		refuse("nil header", ErrInconsistentBlock, &types.Block{}, nil, nil, st)

		b, rs := fresh(2)
		b.Txs[1] = nil
		refuse("nil tx", ErrInconsistentBlock, b, rs, nil, st)
		b, rs = fresh(2)
		rs[0] = nil
		refuse("nil receipt", ErrInconsistentBlock, b, rs, nil, st)

		b, rs = fresh(2)
		b.Header.Number = 3
		refuse("gap", ErrNotNextBlock, b, rs, nil, st)
		b, rs = fresh(2)
		b.Header.Number = 1
		refuse("same height", ErrNotNextBlock, b, rs, nil, st)
		b, rs = fresh(2)
		b.Header.ParentHash = common.Hash{0xde}
		refuse("wrong parent", ErrWrongParent, b, rs, nil, st)

		b, rs = fresh(2)
		refuse("receipt count", ErrInconsistentBlock, b, rs[:1], nil, st)
		b, rs = fresh(2)
		refuse("sender count", ErrInconsistentBlock, b, rs, []common.Address{{1}}, st)
		b, rs = fresh(2)
		refuse("sender disagrees with verified sender", ErrInconsistentBlock, b, rs, []common.Address{{1}, {2}}, st)

		b, rs = fresh(2)
		b.Header.TxRoot = common.Hash{1}
		refuse("tx root", ErrInconsistentBlock, b, rs, nil, st)
		b, rs = fresh(2)
		rs[1].GasUsed++
		refuse("receipt root", ErrInconsistentBlock, b, rs, nil, st)
		b, rs = fresh(3)
		b.Header.LogsBloom[0] ^= 1
		refuse("logs bloom", ErrInconsistentBlock, b, rs, nil, st)

		// An unverified tx without a sender given.
		to := common.Address{7}
		raw := c.nativeTx(0, &to).Bytes()
		unverified, err := types.DecodeTx(suite, raw)
		if err != nil {
			t.Fatal(err)
		}
		urs := receiptsFor([]*types.Transaction{unverified})
		refuse("unverified tx", ErrInconsistentBlock, c.block([]*types.Transaction{unverified}, urs), urs, nil, st)

		// Duplicates: within the block, and of a committed tx.
		dupTx := c.nativeTx(1, &to)
		dtxs := []*types.Transaction{dupTx, dupTx}
		drs := receiptsFor(dtxs)
		refuse("duplicate in block", ErrDuplicateTx, c.block(dtxs, drs), drs, nil, st)
		again := []*types.Transaction{b1.Txs[0]}
		ars := receiptsFor(again)
		refuse("already committed", ErrDuplicateTx, c.block(again, ars), ars, nil, st)

		// State writes must stay out of the ledger's key space.
		b, rs = fresh(1)
		refuse("state in ledger space", ErrStateKeyInLedgerSpace, b, rs, nil, mapState{"l/head": "evil", "s/refused": "x"})
		b, rs = fresh(1)
		err = l.Commit(b, rs, nil, failingState{}, nil)
		if err == nil || !strings.Contains(err.Error(), "out of disk") {
			t.Fatalf("failing state writes: %v", err)
		}
		if ok, _ := kv.Has([]byte("s/partial")); ok {
			t.Fatal("partial state writes of a failed commit are visible")
		}

		// After all that, the right next block still commits.
		b, rs = fresh(2)
		if err := l.Commit(b, rs, nil, nil, nil); err != nil {
			t.Fatalf("valid block after refusals: %v", err)
		}
		c.advance(b)
		if l.Height() != 2 {
			t.Fatalf("height %d", l.Height())
		}
		l.Close()
		b, rs = c.next(1)
		if err := l.Commit(b, rs, nil, nil, nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("commit after Close: %v", err)
		}
	})
}

// TestUncommittedBatchInvisibleAfterReopen fails the batch commit of block
// 2 (as a crash before the commit would leave it) and checks a reopened
// store and ledger show block 1 as head and nothing of block 2.
func TestUncommittedBatchInvisibleAfterReopen(t *testing.T) {
	dir := t.TempDir()
	suite := crypto.SM()
	c := newChain(t, suite)
	pk := openPebble(t, dir)
	kv := &faultyKV{KV: pk}
	l := openLedger(t, kv, suite)
	for range 2 {
		b, rs := c.next(2)
		mustCommit(t, l, b, rs, mapState{"s/a": fmt.Sprint(b.Header.Number)})
	}
	b2, rs2 := c.next(4)
	kv.failCommit.Store(true)
	if err := l.Commit(b2, rs2, nil, mapState{"s/a": "2", "s/b": "new"}, nil); !errors.Is(err, errInjected) {
		t.Fatalf("commit = %v, want the injected failure", err)
	}
	if l.Height() != 1 {
		t.Fatalf("head moved to %d on a failed commit", l.Height())
	}
	l.Close()
	if err := pk.Close(); err != nil {
		t.Fatal(err)
	}

	pk = openPebble(t, dir)
	defer pk.Close()
	l = openLedger(t, pk, suite)
	if l.Height() != 1 {
		t.Fatalf("reopened at %d, want 1", l.Height())
	}
	if _, err := l.HeaderByNumber(2); !errors.Is(err, ErrNotFound) {
		t.Fatalf("block 2 after reopen: %v", err)
	}
	for _, tx := range b2.Txs {
		if ok, _ := l.TxCommitted(tx.Hash()); ok {
			t.Fatalf("%s of the failed block is indexed", describe(tx))
		}
		if used, _ := l.NativeNonceUsed(tx.Native().Nonce); used {
			t.Fatal("nonce of the failed block is indexed")
		}
	}
	if v, _ := pk.Get([]byte("s/a")); string(v) != "1" {
		t.Fatalf("state s/a = %q, want 1", v)
	}
	if ok, _ := pk.Has([]byte("s/b")); ok {
		t.Fatal("state write of the failed block is visible")
	}
	// The chain continues with the same block.
	if err := l.Commit(b2, rs2, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
}

const (
	helperEnv    = "GOBCOS_LEDGER_TEST_HELPER"
	helperDirEnv = "GOBCOS_LEDGER_TEST_DIR"
)

// TestLedgerHelperProcess commits blocks then exits without closing
// anything, as a killed node would.
// In mode "unsynced-then-synced" the blocks are committed without sync
// and a synced write of the same store follows them, as a PBFT sealer's
// next vote follows its unsynced commits.
func TestLedgerHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode != "exit-without-close" && mode != "unsynced-then-synced" {
		t.Skip("only runs as a helper process")
	}
	kv, err := storage.OpenPebble(os.Getenv(helperDirEnv), nil)
	if err != nil {
		fmt.Println("RESULT", err)
		os.Exit(2)
	}
	suite := crypto.ECDSA()
	l, err := Open(kv, suite, nil)
	if err != nil {
		fmt.Println("RESULT", err)
		os.Exit(2)
	}
	c := newChain(t, suite)
	for i := range 3 {
		b, rs := c.next(i + 1)
		commit := l.Commit
		if mode == "unsynced-then-synced" {
			commit = l.CommitUnsynced
		}
		if err := commit(b, rs, nil, mapState{"s/h": fmt.Sprint(i)}, nil); err != nil {
			fmt.Println("RESULT", err)
			os.Exit(2)
		}
	}
	if mode == "unsynced-then-synced" {
		batch := kv.NewBatch()
		if err := batch.Put([]byte("c/vote"), []byte("after block 2")); err != nil {
			fmt.Println("RESULT", err)
			os.Exit(2)
		}
		if err := batch.Commit(); err != nil {
			fmt.Println("RESULT", err)
			os.Exit(2)
		}
	}
	fmt.Println("RESULT committed", l.HeadHash().Hex())
	os.Exit(0)
}

func TestProcessExitWithoutCloseKeepsBlocks(t *testing.T) {
	exitWithoutClose(t, "exit-without-close")
}

// TestUnsyncedCommitsDurableWithNextSyncedWrite: blocks committed with
// CommitUnsynced, then one synced write to the same store, then the
// process exits without closing anything (Pebble's log buffer is lost
// with it): the reopened ledger holds every block, because the synced
// write carried the log before it.
func TestUnsyncedCommitsDurableWithNextSyncedWrite(t *testing.T) {
	kv := exitWithoutClose(t, "unsynced-then-synced")
	if v, _ := kv.Get([]byte("c/vote")); string(v) != "after block 2" {
		t.Fatalf("the synced write after the blocks = %q", v)
	}
}

// exitWithoutClose runs the helper process in mode, then checks the
// blocks and state it committed survived its exit, and returns the
// reopened store.
func exitWithoutClose(t *testing.T, mode string) storage.KV {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLedgerHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "RESULT committed") {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	kv := openPebble(t, dir)
	t.Cleanup(func() { kv.Close() })
	l := openLedger(t, kv, crypto.ECDSA())
	if l.Height() != 2 || !strings.Contains(string(out), l.HeadHash().Hex()) {
		t.Fatalf("after the process died: head %d %s\n%s", l.Height(), l.HeadHash().Hex(), out)
	}
	for n := range uint64(3) {
		b, err := l.BlockByNumber(n)
		if err != nil || len(b.Txs) != int(n)+1 {
			t.Fatalf("block %d: %v", n, err)
		}
	}
	if v, _ := kv.Get([]byte("s/h")); string(v) != "2" {
		t.Fatalf("state after restart = %q", v)
	}
	return kv
}

// recordingKV records the keys put into its batches, in order.
type recordingKV struct {
	storage.KV
	keys []string
}

func (r *recordingKV) NewBatch() storage.Batch { return &recordingBatch{Batch: r.KV.NewBatch(), kv: r} }

type recordingBatch struct {
	storage.Batch
	kv *recordingKV
}

func (b *recordingBatch) Put(k, v []byte) error {
	b.kv.keys = append(b.kv.keys, string(k))
	return b.Batch.Put(k, v)
}

// TestCommitGroupsKeysByKind checks that a block's batch holds its tx
// records, receipt records, hash index and nonce index each as one run of
// keys, the records in ascending order: Pebble inserts a key next to the
// previous one cheaply, and one elsewhere with a search from the top of
// its skiplist (BenchmarkCommitSmallBlocks).
func TestCommitGroupsKeysByKind(t *testing.T) {
	suite := crypto.ECDSA()
	kv := &recordingKV{KV: storage.NewMemory()}
	l, c := openAtGenesis(t, kv, suite)
	b, rs := c.next(12)
	kv.keys = nil
	mustCommit(t, l, b, rs, nil)

	kinds := []string{string(prefixTx), string(prefixReceipt), string(prefixTxIndex), string(prefixNonceIdx)}
	for _, kind := range kinds {
		first, last, n := -1, -1, 0
		for i, k := range kv.keys {
			if strings.HasPrefix(k, kind) {
				if first < 0 {
					first = i
				}
				last = i
				n++
			}
		}
		if n == 0 {
			t.Fatalf("no %q keys in the block's batch", kind)
		}
		if last-first+1 != n {
			t.Errorf("the %d %q keys are spread over positions %d to %d of the batch, among other keys", n, kind, first, last)
		}
		run := kv.keys[first : last+1]
		if (kind == string(prefixTx) || kind == string(prefixReceipt)) && !slices.IsSorted(run) {
			t.Errorf("the %q keys are not in ascending order", kind)
		}
	}
}

// syncCountingKV counts its batches' synced and unsynced commits.
type syncCountingKV struct {
	storage.KV
	synced, unsynced int
}

func (s *syncCountingKV) NewBatch() storage.Batch {
	return &syncCountingBatch{Batch: s.KV.NewBatch(), kv: s}
}

type syncCountingBatch struct {
	storage.Batch
	kv *syncCountingKV
}

func (b *syncCountingBatch) Commit() error { b.kv.synced++; return b.Batch.Commit() }

func (b *syncCountingBatch) CommitNoSync() error { b.kv.unsynced++; return b.Batch.CommitNoSync() }

// TestCommitUnsyncedDoesNotSync: Commit syncs its batch, CommitUnsynced
// applies the same block without sync, and the block is the head and
// readable at once.
func TestCommitUnsyncedDoesNotSync(t *testing.T) {
	suite := crypto.ECDSA()
	kv := &syncCountingKV{KV: storage.NewMemory()}
	l, c := openAtGenesis(t, kv, suite)
	if kv.synced != 1 || kv.unsynced != 0 {
		t.Fatalf("Commit: %d synced and %d unsynced batch commits, want 1 and 0", kv.synced, kv.unsynced)
	}
	b, rs := c.next(3)
	if err := l.CommitUnsynced(b, rs, nil, mapState{"s/a": "1"}, nil); err != nil {
		t.Fatal(err)
	}
	if kv.synced != 1 || kv.unsynced != 1 {
		t.Fatalf("CommitUnsynced: %d synced and %d unsynced batch commits, want 1 and 1", kv.synced, kv.unsynced)
	}
	if l.Height() != 1 || l.HeadHash() != b.Header.Hash(suite) {
		t.Fatalf("head %d after CommitUnsynced of block 1", l.Height())
	}
	for _, tx := range b.Txs {
		if ok, _ := l.TxCommitted(tx.Hash()); !ok {
			t.Fatalf("%s not committed", describe(tx))
		}
	}
	if v, _ := kv.Get([]byte("s/a")); string(v) != "1" {
		t.Fatalf("state s/a = %q, want 1", v)
	}
}
