package txpool

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	for name, mut := range map[string]func(*Config){
		"MaxTxs":           func(c *Config) { c.MaxTxs = 0 },
		"MaxBytes":         func(c *Config) { c.MaxBytes = -1 },
		"MaxPerSender":     func(c *Config) { c.MaxPerSender = 0 },
		"BlockLimitWindow": func(c *Config) { c.BlockLimitWindow = 0 },
		"Workers":          func(c *Config) { c.Workers = -2 },
		"TxGasLimit":       func(c *Config) { c.TxGasLimit = 0 },
		"MaxTxSize":        func(c *Config) { c.MaxTxSize = 0 },
	} {
		c := DefaultConfig()
		mut(&c)
		err := c.Validate()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: got %v", name, err)
		}
		if _, err := New(c, crypto.ECDSA(), 1, "g", newFakeChain(0), nil); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("New with bad %s: got %v", name, err)
		}
	}
	if _, err := New(DefaultConfig(), nil, 1, "g", newFakeChain(0), nil); err == nil {
		t.Error("New accepted a nil suite")
	}
	if _, err := New(DefaultConfig(), crypto.ECDSA(), 1, "g", nil, nil); err == nil {
		t.Error("New accepted a nil chain")
	}
}

func TestAddAndLookups(t *testing.T) {
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(suite.Name(), func(t *testing.T) {
			chain := newFakeChain(10)
			p := newTestPool(t, suite, testConfig(), chain)
			key := cryptotest.Key(t, suite)
			txs := []*types.Transaction{nativeTx(t, suite, key, 1, 20), nativeTx(t, suite, key, 2, 20)}
			if suite.Name() == crypto.NameECDSA {
				txs = append(txs, ethTx(t, key, 0))
			}
			mustAdd(t, p, txs...)
			count, size := p.Stats()
			wantSize := 0
			for _, tx := range txs {
				wantSize += tx.Size()
				if !p.Has(tx.Hash()) || p.Get(tx.Hash()) != tx {
					t.Fatalf("tx %s not found", tx.Hash())
				}
				if s, ok := tx.CachedSender(); !ok || s != key.Address() {
					t.Fatalf("sender %v %v, want %s", s, ok, key.Address())
				}
			}
			if count != len(txs) || size != wantSize {
				t.Fatalf("Stats = %d, %d; want %d, %d", count, size, len(txs), wantSize)
			}
			sameOrder(t, p.Content(), txs)
			sameOrder(t, p.Pending(0), txs)
			if p.Has(common.Hash{1}) || p.Get(common.Hash{1}) != nil {
				t.Fatal("unknown hash found")
			}
		})
	}
}

func highSEth(t *testing.T, tx *types.Transaction) *types.Transaction {
	t.Helper()
	etx := tx.Eth()
	v, r, s := etx.RawSignatureValues()
	recID := new(big.Int).Sub(v, big.NewInt(35+2*testChainID)).Uint64()
	sig := make([]byte, 65)
	r.FillBytes(sig[:32])
	new(big.Int).Sub(secp256k1N, s).FillBytes(sig[32:64])
	sig[64] = byte(1 - recID)
	etx2, err := etx.WithSignature(ethtypes.NewEIP155Signer(etx.ChainId()), sig)
	if err != nil {
		t.Fatal(err)
	}
	out, err := types.NewEthTx(etx2)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// withSig returns a copy of a native tx with its signature changed by f.
func withSig(tx *types.Transaction, suite crypto.Suite, f func(sig []byte)) *types.Transaction {
	n := *tx.Native()
	n.Signature = common.CopyBytes(n.Signature)
	f(n.Signature)
	return types.NewNativeTx(suite, &n)
}

func TestRejections(t *testing.T) {
	ec, sm := crypto.ECDSA(), crypto.SM()
	ecKey, smKey := cryptotest.Key(t, ec), cryptotest.Key(t, sm)

	type tc struct {
		name  string
		suite crypto.Suite
		setup func(t *testing.T, p *Pool, c *fakeChain) // optional
		cfg   func(c *Config)                           // optional
		tx    func(t *testing.T) *types.Transaction
		want  error
		msg   string // substring of the error message
	}
	cases := []tc{
		{name: "nil tx", suite: ec, tx: func(t *testing.T) *types.Transaction { return nil }, want: ErrNilTx},
		{name: "already known", suite: ec,
			setup: func(t *testing.T, p *Pool, c *fakeChain) { mustAdd(t, p, nativeTx(t, ec, ecKey, 7, 20)) },
			tx:    func(t *testing.T) *types.Transaction { return nativeTx(t, ec, ecKey, 7, 20) }, want: ErrAlreadyKnown},
		{name: "already committed", suite: ec,
			setup: func(t *testing.T, p *Pool, c *fakeChain) { c.committed[nativeTx(t, ec, ecKey, 7, 20).Hash()] = true },
			tx:    func(t *testing.T) *types.Transaction { return nativeTx(t, ec, ecKey, 7, 20) }, want: ErrAlreadyCommitted},
		{name: "invalid signature native", suite: ec, want: ErrInvalidSignature,
			tx: func(t *testing.T) *types.Transaction {
				return withSig(nativeTx(t, ec, ecKey, 1, 20), ec, func(s []byte) { s[5] ^= 1 })
			}},
		{name: "invalid signature sm", suite: sm, want: ErrInvalidSignature,
			tx: func(t *testing.T) *types.Transaction {
				return withSig(nativeTx(t, sm, smKey, 1, 20), sm, func(s []byte) { s[40] ^= 1 })
			}},
		{name: "sm tx without public key", suite: sm, want: types.ErrMissingPublicKey,
			tx: func(t *testing.T) *types.Transaction {
				return signNative(t, sm, smKey, nativeOpts{nonce: 1, noPubKey: true})
			}},
		{name: "high s ethereum", suite: ec, want: ErrHighS,
			tx: func(t *testing.T) *types.Transaction { return highSEth(t, ethTx(t, ecKey, 0)) }},
		{name: "high s native", suite: ec, want: ErrHighS,
			tx: func(t *testing.T) *types.Transaction {
				return withSig(nativeTx(t, ec, ecKey, 1, 20), ec, func(s []byte) {
					new(big.Int).Sub(secp256k1N, new(big.Int).SetBytes(s[32:64])).FillBytes(s[32:64])
					s[64] ^= 1
				})
			}},
		{name: "wrong chain id ethereum", suite: ec, want: ErrWrongChainID,
			tx: func(t *testing.T) *types.Transaction { return signEth(t, ecKey, 0, ethTxOpts{chainID: 99}) }},
		{name: "wrong chain id native", suite: sm, want: ErrWrongChainID,
			tx: func(t *testing.T) *types.Transaction { return signNative(t, sm, smKey, nativeOpts{chainID: 99}) }},
		{name: "wrong group", suite: sm, want: ErrWrongGroupID,
			tx: func(t *testing.T) *types.Transaction { return signNative(t, sm, smKey, nativeOpts{group: "other"}) }},
		{name: "ethereum tx on sm chain", suite: sm, want: ErrEthTxNotAllowed, msg: "SM2",
			tx: func(t *testing.T) *types.Transaction { return ethTx(t, ecKey, 0) }},
		{name: "nonce too low", suite: ec, want: ErrNonceTooLow, msg: "next nonce is 5",
			setup: func(t *testing.T, p *Pool, c *fakeChain) { c.setNonce(ecKey.Address(), 5) },
			tx:    func(t *testing.T) *types.Transaction { return ethTx(t, ecKey, 4) }},
		{name: "nonce too far ahead", suite: ec, want: ErrNonceTooHigh,
			setup: func(t *testing.T, p *Pool, c *fakeChain) { c.setNonce(ecKey.Address(), 5) },
			tx:    func(t *testing.T) *types.Transaction { return ethTx(t, ecKey, 5+8+1) }},
		{name: "nonce already pending", suite: ec, want: ErrNonceAlreadyPending, msg: "use nonce 1",
			setup: func(t *testing.T, p *Pool, c *fakeChain) { mustAdd(t, p, ethTx(t, ecKey, 0)) },
			tx:    func(t *testing.T) *types.Transaction { return signEth(t, ecKey, 0, ethTxOpts{value: 9}) }},
		{name: "block limit expired", suite: ec, want: ErrBlockLimitExpired,
			msg: "block limit 10 expired (chain height 10); refresh the block limit",
			tx:  func(t *testing.T) *types.Transaction { return nativeTx(t, ec, ecKey, 1, 10) }},
		{name: "block limit too far", suite: ec, want: ErrBlockLimitTooFar, msg: "from 11 to 110",
			tx: func(t *testing.T) *types.Transaction { return nativeTx(t, ec, ecKey, 1, 111) }},
		{name: "native nonce pending", suite: sm, want: ErrNativeNonceUsed, msg: "fresh random nonce",
			setup: func(t *testing.T, p *Pool, c *fakeChain) {
				mustAdd(t, p, nativeTx(t, sm, cryptotest.Key(t, sm), 42, 20))
			},
			tx: func(t *testing.T) *types.Transaction { return nativeTx(t, sm, smKey, 42, 20) }},
		{name: "native nonce committed", suite: sm, want: ErrNativeNonceUsed, msg: "committed",
			setup: func(t *testing.T, p *Pool, c *fakeChain) { c.nativeUsed[nonceKey(big.NewInt(42))] = true },
			tx:    func(t *testing.T) *types.Transaction { return nativeTx(t, sm, smKey, 42, 20) }},
		{name: "gas limit ethereum", suite: ec, want: ErrGasLimitTooHigh,
			tx: func(t *testing.T) *types.Transaction { return signEth(t, ecKey, 0, ethTxOpts{gas: 1_000_001}) }},
		{name: "gas limit native", suite: sm, want: ErrGasLimitTooHigh,
			tx: func(t *testing.T) *types.Transaction {
				return signNative(t, sm, smKey, nativeOpts{nonce: 1, gas: 2_000_000})
			}},
		{name: "oversized", suite: ec, want: ErrTxTooLarge, cfg: func(c *Config) { c.MaxTxSize = 300 },
			tx: func(t *testing.T) *types.Transaction {
				return signNative(t, ec, ecKey, nativeOpts{nonce: 1, input: make([]byte, 400)})
			}},
		{name: "pool full by count", suite: ec, want: ErrPoolFull, cfg: func(c *Config) { c.MaxTxs = 2 },
			setup: func(t *testing.T, p *Pool, c *fakeChain) {
				mustAdd(t, p, nativeTx(t, ec, cryptotest.Key(t, ec), 1, 20), nativeTx(t, ec, cryptotest.Key(t, ec), 2, 20))
			},
			tx: func(t *testing.T) *types.Transaction { return nativeTx(t, ec, ecKey, 3, 20) }},
		{name: "pool full by bytes", suite: ec, want: ErrPoolFull, cfg: func(c *Config) { c.MaxBytes = 1000 },
			setup: func(t *testing.T, p *Pool, c *fakeChain) {
				mustAdd(t, p, signNative(t, ec, cryptotest.Key(t, ec), nativeOpts{nonce: 1, input: make([]byte, 700)}))
			},
			tx: func(t *testing.T) *types.Transaction {
				return signNative(t, ec, ecKey, nativeOpts{nonce: 2, input: make([]byte, 200)})
			}},
		{name: "sender quota", suite: ec, want: ErrSenderQuota, cfg: func(c *Config) { c.MaxPerSender = 2 },
			setup: func(t *testing.T, p *Pool, c *fakeChain) {
				mustAdd(t, p, nativeTx(t, ec, ecKey, 1, 20), ethTx(t, ecKey, 0))
			},
			tx: func(t *testing.T) *types.Transaction { return nativeTx(t, ec, ecKey, 3, 20) }},
		{name: "chain state error", suite: ec, want: ErrChainState,
			setup: func(t *testing.T, p *Pool, c *fakeChain) { c.setErr(errors.New("disk on fire")) },
			tx:    func(t *testing.T) *types.Transaction { return ethTx(t, ecKey, 0) }, msg: "disk on fire"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig()
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			chain := newFakeChain(10)
			p := newTestPool(t, c.suite, cfg, chain)
			if c.setup != nil {
				c.setup(t, p, chain)
			}
			before, _ := p.Stats()
			tx := c.tx(t)
			err := addOne(t, p, tx)
			wantErr(t, err, c.want)
			if c.msg != "" && !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %q does not say %q", err, c.msg)
			}
			if after, _ := p.Stats(); after != before {
				t.Fatalf("pool grew from %d to %d on a rejected tx", before, after)
			}
			if tx != nil && c.want != ErrAlreadyKnown && p.Has(tx.Hash()) {
				t.Fatal("rejected tx is in the pool")
			}
		})
	}
}

func TestBatchMixedResults(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	cfg := testConfig()
	cfg.Workers = 4
	p := newTestPool(t, suite, cfg, chain)
	var txs []*types.Transaction
	var bad []bool
	for i := range 200 {
		key := cryptotest.Key(t, suite)
		tx := nativeTx(t, suite, key, int64(i+1), 20)
		isBad := i%7 == 3
		if isBad {
			tx = withSig(tx, suite, func(s []byte) { s[3] ^= 0x40 })
		}
		txs = append(txs, tx)
		bad = append(bad, isBad)
	}
	txs = append(txs, txs[0]) // a duplicate within the batch
	errs := p.Add(t.Context(), txs)
	accepted := 0
	for i, err := range errs[:200] {
		if bad[i] {
			wantErr(t, err, ErrInvalidSignature)
		} else if err != nil {
			t.Fatalf("tx %d: %v", i, err)
		} else {
			accepted++
		}
	}
	wantErr(t, errs[200], ErrAlreadyKnown)
	if n, _ := p.Stats(); n != accepted {
		t.Fatalf("pool holds %d, accepted %d", n, accepted)
	}
}

func TestAddCanceledContext(t *testing.T) {
	suite := crypto.ECDSA()
	p := newTestPool(t, suite, testConfig(), newFakeChain(10))
	key := cryptotest.Key(t, suite)
	var txs []*types.Transaction
	for i := range 100 {
		txs = append(txs, nativeTx(t, suite, key, int64(i+1), 20))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for i, err := range p.Add(ctx, txs) {
		wantErr(t, err, context.Canceled)
		if _, ok := txs[i].CachedSender(); ok {
			t.Fatalf("tx %d was verified under a canceled context", i)
		}
	}
	if n, _ := p.Stats(); n != 0 {
		t.Fatalf("pool holds %d txs", n)
	}
	// The same txs are accepted once the caller retries.
	mustAdd(t, p, txs...)
}
