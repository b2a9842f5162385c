package ledger

import (
	"crypto/rand"
	"encoding/binary"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"

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
				check(openLedger(t, kv, suite))
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
	l := openLedger(t, kv, suite)
	c := newChain(t, suite)
	g, grs := c.next(0)
	mustCommit(t, l, g, grs, nil)
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
	// About 1% of 2 x 2000 lookups may be false positives.
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
}

// A block whose commit fails leaves its txs in the filter, but they are
// still reported as not committed (the store is asked), and the block can
// be committed afterwards.
func TestFailedCommitLeavesTxsUncommitted(t *testing.T) {
	suite := crypto.ECDSA()
	kv := &faultyKV{KV: storage.NewMemory()}
	l := openLedger(t, kv, suite)
	c := newChain(t, suite)
	g, grs := c.next(0)
	mustCommit(t, l, g, grs, nil)
	b, rs := c.next(5)
	kv.failCommit.Store(true)
	if err := l.Commit(b, rs, nil, nil); err == nil {
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

// The filter never forgets a key, across generations, while lookups run
// concurrently with adds; its false-positive rate stays near the design's.
func TestKeyFilterGrowsWithoutFalseNegatives(t *testing.T) {
	f := newKeyFilter()
	key := func(i int) []byte { return binary.BigEndian.AppendUint64([]byte("k"), uint64(i)) }
	const total = 5 * filterMinKeys
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var added atomic.Int64 // keys [0, added) are in the filter
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			n := int(added.Load())
			for i := max(0, n-100); i < n; i++ {
				if !f.mayContain(key(i)) {
					t.Errorf("key %d added, then not found while adds go on", i)
					return
				}
			}
		}
	})
	for i := 0; i < total; i += 100 {
		keys := make([][]byte, 0, 100)
		for j := i; j < i+100; j++ {
			keys = append(keys, key(j))
		}
		f.add(keys...)
		added.Store(int64(i + 100))
	}
	close(stop)
	wg.Wait()
	if gens := len(*f.gens.Load()); gens < 2 {
		t.Fatalf("%d keys fit in %d generation(s); the test does not exercise growth", total, gens)
	}
	for i := range total {
		if !f.mayContain(key(i)) {
			t.Fatalf("key %d added, then not found", i)
		}
	}
	fp := 0
	const probes = 100_000
	for i := range probes {
		if f.mayContain(key(total + i)) {
			fp++
		}
	}
	if rate := float64(fp) / probes; rate > 0.05 {
		t.Fatalf("false-positive rate %.3f, want about 0.01 to 0.02", rate)
	}
	t.Logf("%d generations, %d bytes, false positives %.4f", len(*f.gens.Load()), f.bytes(), float64(fp)/probes)
}

// BenchmarkTxCommittedAbsent looks up tx hashes that are not committed (the
// common case at tx admission) in a Pebble-backed ledger holding 20,000
// committed txs.
//
//	go test ./ledger -run '^$' -bench TxCommittedAbsent
func BenchmarkTxCommittedAbsent(b *testing.B) {
	suite := crypto.ECDSA()
	kv := openPebble(b, b.TempDir())
	defer kv.Close()
	l := openLedger(b, kv, suite)
	c := newChain(b, suite)
	g, grs := c.next(0)
	mustCommit(b, l, g, grs, nil)
	to := common.Address{0x10}
	for blk := range 20 {
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
