package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/txtest"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

const (
	testChainID = 20
	testGroupID = "group0"
)

// Addresses and topics the test receipts' logs use.
var (
	logAddrA = common.HexToAddress("0xaaaa000000000000000000000000000000000001")
	logAddrB = common.HexToAddress("0xbbbb000000000000000000000000000000000002")
	topicT1  = common.HexToHash("0x1111")
	topicT2  = common.HexToHash("0x2222")
	topicU   = common.HexToHash("0x3333")
	topicV   = common.HexToHash("0x4444")
)

// backends runs f on a Memory store and on a Pebble store.
func backends(t *testing.T, f func(t *testing.T, open func() storage.KV)) {
	t.Run("memory", func(t *testing.T) {
		kv := storage.NewMemory()
		f(t, func() storage.KV { return kv })
	})
	t.Run("pebble", func(t *testing.T) {
		kv := openPebble(t, t.TempDir())
		t.Cleanup(func() { kv.Close() })
		f(t, func() storage.KV { return kv })
	})
}

func openPebble(t testing.TB, dir string) *storage.Pebble {
	t.Helper()
	kv, err := storage.OpenPebble(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func openLedger(t testing.TB, kv storage.KV, suite crypto.Suite) *Ledger {
	t.Helper()
	l, err := Open(kv, suite, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// chain builds signed transactions and consistent blocks for one suite.
type chain struct {
	t       testing.TB
	suite   crypto.Suite
	keys    []crypto.PrivateKey
	ethKey  *ecdsaKey // nil on SM chains
	nonce   int64
	ethN    uint64
	parent  *types.Header
	parHash common.Hash
}

type ecdsaKey struct {
	addr common.Address
	raw  []byte
}

func newChain(t testing.TB, suite crypto.Suite) *chain {
	t.Helper()
	c := &chain{t: t, suite: suite}
	for i := range 3 {
		raw := bytes.Repeat([]byte{byte(i + 1)}, 32)
		k, err := suite.ParsePrivateKey(raw)
		if err != nil {
			t.Fatal(err)
		}
		c.keys = append(c.keys, k)
	}
	if suite.Name() == crypto.NameECDSA {
		raw := bytes.Repeat([]byte{9}, 32)
		k, err := ethcrypto.ToECDSA(raw)
		if err != nil {
			t.Fatal(err)
		}
		c.ethKey = &ecdsaKey{addr: ethcrypto.PubkeyToAddress(k.PublicKey), raw: raw}
	}
	return c
}

// nativeTx signs a native tx with key k; to == nil creates a contract.
func (c *chain) nativeTx(k int, to *common.Address) *types.Transaction {
	c.t.Helper()
	c.nonce++
	n := &types.NativeTx{
		ChainID: testChainID, GroupID: testGroupID, BlockLimit: 1000,
		Nonce: big.NewInt(1_000_000 + c.nonce), To: to, Value: new(big.Int),
		Input: []byte{byte(c.nonce), 0xca, 0xfe},
	}
	key := c.keys[k]
	tx := txtest.SignNative(c.t, c.suite, key, n)
	from, err := tx.Verify(c.suite, testChainID, testGroupID)
	if err != nil {
		c.t.Fatal(err)
	}
	if from != key.Address() {
		c.t.Fatalf("native tx sender %s, key address %s", from, key.Address())
	}
	return tx
}

// ethTx signs an Ethereum tx: legacy EIP-155 when dynamic is false, else EIP-1559.
func (c *chain) ethTx(dynamic bool, to common.Address) *types.Transaction {
	c.t.Helper()
	key, err := ethcrypto.ToECDSA(c.ethKey.raw)
	if err != nil {
		c.t.Fatal(err)
	}
	var inner ethtypes.TxData = &ethtypes.LegacyTx{Nonce: c.ethN, Gas: 50_000, To: &to, Value: big.NewInt(1), GasPrice: new(big.Int)}
	if dynamic {
		inner = &ethtypes.DynamicFeeTx{ChainID: big.NewInt(testChainID), Nonce: c.ethN, Gas: 50_000, To: &to,
			Value: big.NewInt(2), GasTipCap: new(big.Int), GasFeeCap: new(big.Int), Data: []byte{1, 2}}
	}
	c.ethN++
	signed, err := ethtypes.SignTx(ethtypes.NewTx(inner), ethtypes.LatestSignerForChainID(big.NewInt(testChainID)), key)
	if err != nil {
		c.t.Fatal(err)
	}
	tx, err := types.NewEthTx(signed)
	if err != nil {
		c.t.Fatal(err)
	}
	if from, err := tx.Verify(c.suite, testChainID, testGroupID); err != nil || from != c.ethKey.addr {
		c.t.Fatalf("eth tx verify: %s, %v", from, err)
	}
	return tx
}

// mixedTxs returns n txs: on ECDSA chains native, legacy and EIP-1559 in
// turn, on SM chains native only; every fifth creates a contract.
func (c *chain) mixedTxs(n int) []*types.Transaction {
	to := common.HexToAddress("0x00000000000000000000000000000000000c0de5")
	var txs []*types.Transaction
	for i := range n {
		switch {
		case i%5 == 4:
			txs = append(txs, c.nativeTx(i%len(c.keys), nil))
		case c.ethKey != nil && i%3 == 1:
			txs = append(txs, c.ethTx(false, to))
		case c.ethKey != nil && i%3 == 2:
			txs = append(txs, c.ethTx(true, to))
		default:
			txs = append(txs, c.nativeTx(i%len(c.keys), &to))
		}
	}
	return txs
}

// receiptsFor makes receipts: tx i emits i%3 logs from A or B with topics
// (T1|T2, U|V); creations get a contract address; every seventh fails.
func receiptsFor(txs []*types.Transaction) []*types.Receipt {
	rs := make([]*types.Receipt, len(txs))
	for i, tx := range txs {
		r := &types.Receipt{Status: types.ReceiptSuccess, GasUsed: 21_000 + uint64(i), Output: []byte{byte(i)}}
		if i%7 == 6 {
			r.Status, r.ErrorMessage = types.ReceiptFailed, "execution reverted"
		}
		if tx.To() == nil {
			r.ContractAddress = common.BytesToAddress(tx.Hash().Bytes())
		}
		for j := range i % 3 {
			addr, t0, t1 := logAddrA, topicT1, topicU
			if (i+j)%2 == 1 {
				addr, t0 = logAddrB, topicT2
			}
			if j == 1 {
				t1 = topicV
			}
			r.Logs = append(r.Logs, &types.Log{Address: addr, Topics: []common.Hash{t0, t1}, Data: []byte{byte(i), byte(j)}})
		}
		rs[i] = r
	}
	return rs
}

// block builds the next block over txs and receipts with correct roots.
func (c *chain) block(txs []*types.Transaction, rs []*types.Receipt) *types.Block {
	h := &types.Header{
		Timestamp:   1_700_000_000,
		TxRoot:      types.TxRoot(c.suite, txs),
		ReceiptRoot: types.ReceiptRoot(c.suite, rs),
		StateRoot:   common.HexToHash("0x5757"),
		LogsBloom:   types.LogsBloom(rs),
		GasLimit:    30_000_000,
		Sealer:      c.keys[0].Address(),
		Signatures:  []types.CommitSig{{Index: 0, Signature: []byte("sig")}},
	}
	for _, r := range rs {
		h.GasUsed += r.GasUsed
	}
	if c.parent != nil {
		h.Number = c.parent.Number + 1
		h.ParentHash = c.parHash
		h.Timestamp = c.parent.Timestamp + 1
	}
	return &types.Block{Header: h, Txs: txs}
}

// next builds the next block with n mixed txs and its receipts, and
// records it as the parent of the following one.
func (c *chain) next(n int) (*types.Block, []*types.Receipt) {
	txs := c.mixedTxs(n)
	rs := receiptsFor(txs)
	b := c.block(txs, rs)
	c.advance(b)
	return b, rs
}

func (c *chain) advance(b *types.Block) {
	c.parent, c.parHash = b.Header, b.Header.Hash(c.suite)
}

// mapState is a StateWrites over a map of keys.
type mapState map[string]string

func (m mapState) ApplyTo(w storage.Writer) error {
	for k, v := range m {
		if err := w.Put([]byte(k), []byte(v)); err != nil {
			return err
		}
	}
	return nil
}

type failingState struct{}

func (failingState) ApplyTo(w storage.Writer) error {
	if err := w.Put([]byte("s/partial"), []byte("x")); err != nil {
		return err
	}
	return errors.New("state: out of disk in the middle of the write set")
}

// faultyKV wraps a KV: it can make batch commits fail without writing
// (as a crash before the commit would) and counts receipt reads.
type faultyKV struct {
	storage.KV
	failCommit   atomic.Bool
	receiptIters atomic.Int64
}

var errInjected = errors.New("injected commit failure")

func (f *faultyKV) NewBatch() storage.Batch { return &faultyBatch{Batch: f.KV.NewBatch(), kv: f} }

func (f *faultyKV) NewIterator(prefix, start []byte) storage.Iterator {
	if bytes.HasPrefix(prefix, prefixReceipt) {
		f.receiptIters.Add(1)
	}
	return f.KV.NewIterator(prefix, start)
}

type faultyBatch struct {
	storage.Batch
	kv *faultyKV
}

func (b *faultyBatch) Commit() error {
	if b.kv.failCommit.Load() {
		return errInjected
	}
	return b.Batch.Commit()
}

// openAtGenesis opens a ledger on kv and commits a new chain's genesis
// block to it.
func openAtGenesis(t testing.TB, kv storage.KV, suite crypto.Suite) (*Ledger, *chain) {
	t.Helper()
	l := openLedger(t, kv, suite)
	c := newChain(t, suite)
	g, grs := c.next(0)
	mustCommit(t, l, g, grs, nil)
	return l, c
}

func mustCommit(t testing.TB, l *Ledger, b *types.Block, rs []*types.Receipt, st StateWrites) {
	t.Helper()
	if err := l.Commit(b, rs, nil, st, nil); err != nil {
		t.Fatalf("commit block %d: %v", b.Header.Number, err)
	}
}

func sameHeader(t testing.TB, got, want *types.Header) {
	t.Helper()
	if !bytes.Equal(types.EncodeHeader(got), types.EncodeHeader(want)) {
		t.Fatalf("header %d differs:\n got %+v\nwant %+v", want.Number, got, want)
	}
}

func describe(tx *types.Transaction) string {
	return fmt.Sprintf("tx %s (type 0x%02x)", tx.Hash(), tx.Type())
}
