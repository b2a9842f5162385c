package txpool

import (
	"errors"
	"math/big"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/txtest"
	"github.com/gobcos/gobcos/types"
)

const (
	testChainID = 20
	testGroup   = "group0"
)

var secp256k1N, _ = new(big.Int).SetString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16)

// fakeChain is an in-memory Chain. commit applies a block the way a ledger would.
type fakeChain struct {
	mu         sync.Mutex
	height     uint64
	nonces     map[common.Address]uint64
	nativeUsed map[string]bool
	committed  map[common.Hash]bool
	err        error // returned by every lookup when set
	lookups    int   // TxCommitted calls
	nonceReads int   // AccountNonce calls
}

func newFakeChain(height uint64) *fakeChain {
	return &fakeChain{
		height:     height,
		nonces:     make(map[common.Address]uint64),
		nativeUsed: make(map[string]bool),
		committed:  make(map[common.Hash]bool),
	}
}

func (c *fakeChain) Height() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.height
}

func (c *fakeChain) AccountNonce(a common.Address) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nonceReads++
	return c.nonces[a], c.err
}

func (c *fakeChain) accountNonceReads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nonceReads
}

func (c *fakeChain) NativeNonceUsed(n *big.Int) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nativeUsed[nonceKey(n)], c.err
}

func (c *fakeChain) TxCommitted(h common.Hash) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lookups++
	return c.committed[h], c.err
}

func (c *fakeChain) txLookups() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lookups
}

func (c *fakeChain) setNonce(a common.Address, n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nonces[a] = n
}

func (c *fakeChain) setErr(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

// commit records b's txs as committed and returns b, for OnCommitted.
// Like the executor, it advances the sender's account nonce for native txs
// too (they skip the nonce check but are counted).
func (c *fakeChain) commit(t testing.TB, txs ...*types.Transaction) *types.Block {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.height++
	for _, tx := range txs {
		c.committed[tx.Hash()] = true
		s, ok := tx.CachedSender()
		if !ok {
			t.Fatalf("committing unverified tx %s", tx.Hash())
		}
		if tx.IsEthereum() {
			if tx.Nonce()+1 > c.nonces[s] {
				c.nonces[s] = tx.Nonce() + 1
			}
		} else {
			c.nativeUsed[nonceKey(tx.Native().Nonce)] = true
			c.nonces[s]++
		}
	}
	return &types.Block{Header: &types.Header{Number: c.height}, Txs: txs}
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Workers = 2
	cfg.MaxNonceGap = 8
	cfg.BlockLimitWindow = 100
	cfg.TxGasLimit = 1_000_000
	return cfg
}

func newTestPool(t testing.TB, suite crypto.Suite, cfg Config, chain Chain) *Pool {
	t.Helper()
	p, err := New(cfg, suite, testChainID, testGroup, chain, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ethTxOpts shapes a signed legacy EIP-155 tx.
type ethTxOpts struct {
	chainID uint64
	gas     uint64
	value   int64
}

func signEth(t testing.TB, key crypto.PrivateKey, nonce uint64, o ethTxOpts) *types.Transaction {
	t.Helper()
	if o.chainID == 0 {
		o.chainID = testChainID
	}
	if o.gas == 0 {
		o.gas = 21000
	}
	to := common.Address{0xaa}
	return txtest.SignEth(t, key, o.chainID, &ethtypes.LegacyTx{
		Nonce: nonce, To: &to, Gas: o.gas, GasPrice: new(big.Int), Value: big.NewInt(o.value),
	})
}

func ethTx(t testing.TB, key crypto.PrivateKey, nonce uint64) *types.Transaction {
	t.Helper()
	return signEth(t, key, nonce, ethTxOpts{})
}

// nativeOpts shapes a signed native tx; zero fields take test defaults.
type nativeOpts struct {
	chainID    uint64
	group      string
	blockLimit uint64
	nonce      int64
	gas        uint64
	input      []byte
	noPubKey   bool
}

func signNative(t testing.TB, suite crypto.Suite, key crypto.PrivateKey, o nativeOpts) *types.Transaction {
	t.Helper()
	if o.chainID == 0 {
		o.chainID = testChainID
	}
	if o.group == "" {
		o.group = testGroup
	}
	if o.blockLimit == 0 {
		o.blockLimit = 50
	}
	to := common.Address{0xbb}
	n := &types.NativeTx{
		ChainID: o.chainID, GroupID: o.group, BlockLimit: o.blockLimit,
		Nonce: big.NewInt(o.nonce), To: &to, Value: new(big.Int),
		Input: o.input, GasLimit: o.gas,
	}
	if err := n.Sign(suite, key.PublicKey(), key.Sign); err != nil {
		t.Fatal(err)
	}
	if o.noPubKey {
		n.PublicKey = nil
	}
	return types.NewNativeTx(suite, n)
}

func nativeTx(t testing.TB, suite crypto.Suite, key crypto.PrivateKey, nonce int64, blockLimit uint64) *types.Transaction {
	t.Helper()
	return signNative(t, suite, key, nativeOpts{nonce: nonce, blockLimit: blockLimit})
}

// addOne adds a single tx and returns its error.
func addOne(t testing.TB, p *Pool, tx *types.Transaction) error {
	t.Helper()
	errs := p.Add(t.Context(), []*types.Transaction{tx})
	if len(errs) != 1 {
		t.Fatalf("Add returned %d errors for 1 tx", len(errs))
	}
	return errs[0]
}

func mustAdd(t testing.TB, p *Pool, txs ...*types.Transaction) {
	t.Helper()
	for i, err := range p.Add(t.Context(), txs) {
		if err != nil {
			t.Fatalf("tx %d (%s): %v", i, txs[i].Hash(), err)
		}
	}
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func hashes(txs []*types.Transaction) []common.Hash {
	out := make([]common.Hash, len(txs))
	for i, tx := range txs {
		out[i] = tx.Hash()
	}
	return out
}

func sameOrder(t testing.TB, got, want []*types.Transaction) {
	t.Helper()
	g, w := hashes(got), hashes(want)
	if len(g) != len(w) {
		t.Fatalf("got %d txs, want %d:\n got  %v\n want %v", len(g), len(w), g, w)
	}
	for i := range g {
		if g[i] != w[i] {
			t.Fatalf("tx %d: got %s, want %s\n got  %v\n want %v", i, g[i], w[i], g, w)
		}
	}
}

func drain(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
