package ledger

import (
	"crypto/rand"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// readCountingKV counts the point reads (Get, Has) that reach the store.
type readCountingKV struct {
	storage.KV
	reads atomic.Int64
}

func (c *readCountingKV) Get(k []byte) ([]byte, error) { c.reads.Add(1); return c.KV.Get(k) }
func (c *readCountingKV) Has(k []byte) (bool, error)   { c.reads.Add(1); return c.KV.Has(k) }

// waitFiltersReady waits until l has loaded its filters.
func waitFiltersReady(t testing.TB, l *Ledger) {
	t.Helper()
	select {
	case <-l.loadDone:
	case <-time.After(60 * time.Second):
		t.Fatal("the filters were not loaded within 60 s")
	}
	if !l.filtersReady.Load() {
		t.Fatal("the filters' load ended without making them ready")
	}
}

func randomHash(t testing.TB) common.Hash {
	var h common.Hash
	if _, err := rand.Read(h[:]); err != nil {
		t.Fatal(err)
	}
	return h
}

// Every committed tx hash and native nonce is found, before and after the
// ledger is opened again over the same store (the filters are rebuilt from
// storage then), and absent ones are not.
func TestCommittedLookupsAcrossReopen(t *testing.T) {
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(suite.Name(), func(t *testing.T) {
			backends(t, func(t *testing.T, open func() storage.KV) {
				kv := open()
				l := openLedger(t, kv, suite)
				c := newChain(t, suite)
				g, grs := c.next(0)
				mustCommit(t, l, g, grs, nil)
				var committed []*types.Transaction
				for range 5 {
					b, rs := c.next(7)
					mustCommit(t, l, b, rs, nil)
					committed = append(committed, b.Txs...)
				}
				check := func(l *Ledger) {
					t.Helper()
					natives := 0
					for _, tx := range committed {
						if ok, err := l.TxCommitted(tx.Hash()); err != nil || !ok {
							t.Fatalf("committed tx %s: TxCommitted = %v, %v", tx.Hash(), ok, err)
						}
						if n := tx.Native(); n != nil {
							natives++
							used, err := l.NativeNonceUsed(n.Nonce)
							if err != nil || !used {
								t.Fatalf("nonce %v of a committed tx: NativeNonceUsed = %v, %v", n.Nonce, used, err)
							}
						}
					}
					if natives == 0 {
						t.Fatal("no native tx was committed; the nonce index is not exercised")
					}
					for range 100 {
						if ok, err := l.TxCommitted(randomHash(t)); err != nil || ok {
							t.Fatalf("random hash: TxCommitted = %v, %v", ok, err)
						}
					}
					if used, err := l.NativeNonceUsed(big.NewInt(7)); err != nil || used {
						t.Fatalf("unused nonce: NativeNonceUsed = %v, %v", used, err)
					}
				}
				check(l)
				// Reopened: while the filters load, and once they are loaded.
				l2 := openLedger(t, kv, suite)
				check(l2)
				waitFiltersReady(t, l2)
				check(l2)
			})
		})
	}
}

// Lookups of tx hashes and native nonces that were never committed are
// answered without reading the store (but for the filter's rare false
// positives); the ones of committed txs still read it.
func TestAbsentLookupsReadNoStorage(t *testing.T) {
	suite := crypto.SM()
	kv := &readCountingKV{KV: storage.NewMemory()}
	l, c := openAtGenesis(t, kv, suite)
	b, rs := c.next(20)
	mustCommit(t, l, b, rs, nil)

	const lookups = 2000
	kv.reads.Store(0)
	for i := range lookups {
		if ok, err := l.TxCommitted(randomHash(t)); err != nil || ok {
			t.Fatalf("random hash: TxCommitted = %v, %v", ok, err)
		}
		if used, err := l.NativeNonceUsed(big.NewInt(int64(1_000_000_000 + i))); err != nil || used {
			t.Fatalf("unused nonce: NativeNonceUsed = %v, %v", used, err)
		}
	}
	// About 0.1% of 2 x 2000 lookups may be false positives.
	if n := kv.reads.Load(); n > lookups/10 {
		t.Fatalf("%d lookups of absent keys made %d storage reads, want almost none", 2*lookups, n)
	}
	kv.reads.Store(0)
	if ok, err := l.TxCommitted(b.Txs[0].Hash()); err != nil || !ok {
		t.Fatalf("committed tx: TxCommitted = %v, %v", ok, err)
	}
	if kv.reads.Load() == 0 {
		t.Fatal("a committed tx was reported without checking the store")
	}

	// Opened again over the same store, once its filters are loaded.
	l2 := openLedger(t, kv, suite)
	waitFiltersReady(t, l2)
	kv.reads.Store(0)
	for range lookups {
		if ok, err := l2.TxCommitted(randomHash(t)); err != nil || ok {
			t.Fatalf("reopened, random hash: TxCommitted = %v, %v", ok, err)
		}
	}
	if n := kv.reads.Load(); n > lookups/10 {
		t.Fatalf("reopened: %d lookups of absent keys made %d storage reads, want almost none", lookups, n)
	}
	for _, tx := range b.Txs {
		if ok, err := l2.TxCommitted(tx.Hash()); err != nil || !ok {
			t.Fatalf("reopened, committed tx: TxCommitted = %v, %v", ok, err)
		}
	}
}

// A ledger closed while it loads its filters stops loading; it commits and
// looks up correctly, reading storage, if it is not closed.
func TestCloseStopsFilterLoad(t *testing.T) {
	suite := crypto.ECDSA()
	kv := storage.NewMemory()
	l, c := openAtGenesis(t, kv, suite)
	b, rs := c.next(10)
	mustCommit(t, l, b, rs, nil)
	for range 20 {
		l2 := openLedger(t, kv, suite)
		if err := l2.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-l2.loadDone:
		default:
			t.Fatal("Close returned while the filters were still loading")
		}
	}
	// A ledger whose filters never load (a failing store iterator) still
	// answers from storage.
	l3 := openLedger(t, failingIterKV{kv}, suite)
	<-l3.loadDone
	if l3.filtersReady.Load() {
		t.Fatal("filters ready after a failed load")
	}
	for _, tx := range b.Txs {
		if ok, err := l3.TxCommitted(tx.Hash()); err != nil || !ok {
			t.Fatalf("committed tx with unloaded filters: TxCommitted = %v, %v", ok, err)
		}
	}
	if ok, err := l3.TxCommitted(randomHash(t)); err != nil || ok {
		t.Fatalf("random hash with unloaded filters: TxCommitted = %v, %v", ok, err)
	}
}

// failingIterKV's iterators over the ledger's indexes fail.
type failingIterKV struct{ storage.KV }

func (f failingIterKV) NewIterator(prefix, start []byte) storage.Iterator {
	if string(prefix) == string(prefixTxIndex) {
		return &failingIter{}
	}
	return f.KV.NewIterator(prefix, start)
}

type failingIter struct{}

func (*failingIter) Next() bool    { return false }
func (*failingIter) Key() []byte   { return nil }
func (*failingIter) Value() []byte { return nil }
func (*failingIter) Error() error  { return errInjected }
func (*failingIter) Release()      {}

// A block whose commit fails leaves its txs in the filter, but they are
// still reported as not committed (the store is asked), and the block can
// be committed afterwards.
func TestFailedCommitLeavesTxsUncommitted(t *testing.T) {
	suite := crypto.ECDSA()
	kv := &faultyKV{KV: storage.NewMemory()}
	l, c := openAtGenesis(t, kv, suite)
	b, rs := c.next(5)
	kv.failCommit.Store(true)
	if err := l.Commit(b, rs, nil, nil, nil); err == nil {
		t.Fatal("commit succeeded with a failing store")
	}
	kv.failCommit.Store(false)
	for _, tx := range b.Txs {
		if ok, err := l.TxCommitted(tx.Hash()); err != nil || ok {
			t.Fatalf("tx of a failed commit: TxCommitted = %v, %v", ok, err)
		}
		if n := tx.Native(); n != nil {
			if used, err := l.NativeNonceUsed(n.Nonce); err != nil || used {
				t.Fatalf("nonce of a failed commit: NativeNonceUsed = %v, %v", used, err)
			}
		}
	}
	mustCommit(t, l, b, rs, nil)
	for _, tx := range b.Txs {
		if ok, err := l.TxCommitted(tx.Hash()); err != nil || !ok {
			t.Fatalf("committed tx: TxCommitted = %v, %v", ok, err)
		}
	}
}

// commitNativeBlocks commits blocks of 1000 native txs (with distinct
// nonces) over a fresh ledger on Pebble and returns it.
func commitNativeBlocks(b *testing.B, kv storage.KV, blocks int) *Ledger {
	suite := crypto.ECDSA()
	l := openLedger(b, kv, suite)
	c := newChain(b, suite)
	g, grs := c.next(0)
	mustCommit(b, l, g, grs, nil)
	to := common.Address{0x10}
	for blk := range blocks {
		txs := make([]*types.Transaction, 1000)
		rs := make([]*types.Receipt, 1000)
		for i := range txs {
			n := &types.NativeTx{ChainID: testChainID, GroupID: testGroupID, BlockLimit: 1 << 40,
				Nonce: big.NewInt(int64(blk*1000 + i + 1)), To: &to, Value: new(big.Int), Signature: make([]byte, 65), PublicKey: make([]byte, 65)}
			txs[i] = types.NewNativeTx(suite, n)
			txs[i].SetSender(common.Address{0x20})
			rs[i] = &types.Receipt{Status: types.ReceiptSuccess, GasUsed: 21_000}
		}
		blk := c.block(txs, rs)
		c.advance(blk)
		mustCommit(b, l, blk, rs, nil)
	}
	return l
}

// BenchmarkTxCommittedAbsent looks up tx hashes that are not committed (the
// common case at tx admission) in a Pebble-backed ledger holding 20,000
// committed txs.
//
//	go test ./ledger -run '^$' -bench TxCommittedAbsent
func BenchmarkTxCommittedAbsent(b *testing.B) {
	kv := openPebble(b, b.TempDir())
	defer kv.Close()
	l := commitNativeBlocks(b, kv, 20)
	hashes := make([]common.Hash, 4096)
	for i := range hashes {
		hashes[i] = randomHash(b)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if ok, err := l.TxCommitted(hashes[i%len(hashes)]); err != nil || ok {
			b.Fatal(ok, err)
		}
		i++
	}
}

// BenchmarkOpen100kTxs opens a Pebble-backed ledger holding 100,000
// committed native txs and waits until their hashes and nonces are loaded
// into the filters (in the background: Open itself returns at once).
//
//	go test ./ledger -run '^$' -bench Open100kTxs -benchtime 10x
func BenchmarkOpen100kTxs(b *testing.B) {
	kv := openPebble(b, b.TempDir())
	defer kv.Close()
	commitNativeBlocks(b, kv, 100)
	for b.Loop() {
		l := openLedger(b, kv, crypto.ECDSA())
		waitFiltersReady(b, l)
	}
}
