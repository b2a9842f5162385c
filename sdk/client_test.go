package sdk

import (
	"context"
	"errors"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/keystore"
)

var suites = []crypto.Suite{crypto.ECDSA(), crypto.SM()}

func TestDialReadsChainInfo(t *testing.T) {
	for _, s := range suites {
		t.Run(s.Name(), func(t *testing.T) {
			f := newFake(t, s)
			c := dial(t, f.httpURL())
			if c.Suite().Name() != s.Name() || c.ChainID() != 20 || c.GroupID() != "group0" || c.BlockLimitWindow() != 1000 {
				t.Fatalf("chain info: suite %s chain %d group %s window %d", c.Suite().Name(), c.ChainID(), c.GroupID(), c.BlockLimitWindow())
			}
			info, err := c.ChainInfo(testCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			if len(info.Sealers) != 1 || info.Consensus != "solo" || info.TxGasLimit != 3000000 {
				t.Fatalf("info = %+v", info)
			}
		})
	}
}

func TestDialRejectsOtherNodes(t *testing.T) {
	f := newFake(t, crypto.ECDSA())
	f.set(func(f *fakeNode) { f.noChainInfo = true })
	_, err := Dial(testCtx(t), f.httpURL())
	if !errors.Is(err, ErrBadChainInfo) {
		t.Fatalf("err = %v, want ErrBadChainInfo", err)
	}
}

// Over HTTP the height is cached and re-read once older than the maximum
// age; the block limit follows the chain when it moves past the window.
func TestBlockLimitRefreshesStaleHeight(t *testing.T) {
	f := newFake(t, crypto.ECDSA())
	clock := &fakeClock{t: time.Unix(1000, 0)}
	c := dial(t, f.httpURL(), withClock(clock.now), WithHeightMaxAge(10*time.Second))
	ctx := testCtx(t)

	bl, err := c.BlockLimit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if bl != 100+900 {
		t.Fatalf("block limit = %d, want 1000 (height 100 + 9/10 of window 1000)", bl)
	}
	f.setHeight(5000)
	if bl, _ := c.BlockLimit(ctx); bl != 1000 {
		t.Fatalf("fresh cache was re-read: block limit %d", bl)
	}
	clock.advance(11 * time.Second)
	if bl, _ := c.BlockLimit(ctx); bl != 5900 {
		t.Fatalf("stale cache not re-read: block limit %d, want 5900", bl)
	}
	// A transaction built now is accepted.
	key, _ := crypto.ECDSA().GenerateKey()
	to := common.HexToAddress("0x1234")
	tx, err := c.NewNativeTx(ctx, key, &to, big.NewInt(1), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if got := f.limits(); len(got) != 1 || got[0] != 5900 {
		t.Fatalf("node saw block limits %v", got)
	}
}

// Over WebSocket a newHeads subscription keeps the height current without
// polling, whatever the clock says.
func TestBlockLimitFollowsNewHeads(t *testing.T) {
	f := newFake(t, crypto.SM())
	clock := &fakeClock{t: time.Unix(1000, 0)}
	c := dial(t, f.wsURL(), withClock(clock.now))
	ctx := testCtx(t)
	waitFor(t, "newHeads subscription", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.headsLive
	})
	clock.advance(time.Hour) // a stale age must not matter while heads are live
	f.setHeight(7000)
	waitFor(t, "height 7000 from newHeads", func() bool {
		bl, err := c.BlockLimit(ctx)
		return err == nil && bl == 7900
	})
}

// When the node rejects the block limit, the SDK re-reads the height,
// re-signs and resends, once.
func TestRetryOnceOnBlockLimitRejection(t *testing.T) {
	f := newFake(t, crypto.ECDSA())
	clock := &fakeClock{t: time.Unix(1000, 0)}
	c := dial(t, f.httpURL(), withClock(clock.now))
	ctx := testCtx(t)
	key, _ := crypto.ECDSA().GenerateKey()
	to := common.HexToAddress("0x1234")

	// A transaction signed earlier cannot be re-signed: SendTransaction
	// reports ErrBlockLimit.
	old, err := c.NewNativeTx(ctx, key, &to, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.setHeight(3000) // the cached height (100) is now beyond the window
	if _, err := c.SendTransaction(ctx, old); !errors.Is(err, ErrBlockLimit) {
		t.Fatalf("stale tx: err = %v, want ErrBlockLimit", err)
	}

	r, err := c.SendNativeWait(ctx, key, &to, big.NewInt(5), nil, 0)
	if err != nil {
		t.Fatalf("SendNativeWait: %v", err)
	}
	if !r.Succeeded() || r.BlockNumber != 3001 {
		t.Fatalf("receipt %+v", r)
	}
	lim := f.limits()
	if len(lim) != 3 || lim[1] != 1000 || lim[2] != 3900 {
		t.Fatalf("node saw block limits %v, want [1000 1000 3900]", lim)
	}

	// A node that keeps rejecting gets exactly one retry.
	f.set(func(f *fakeNode) { f.rejectBlockLimit = true })
	if _, err := c.SendNative(ctx, key, &to, nil, nil, 0); !errors.Is(err, ErrBlockLimit) {
		t.Fatalf("err = %v, want ErrBlockLimit", err)
	}
	if n := len(f.limits()); n != 5 {
		t.Fatalf("node saw %d sends, want 5 (one retry)", n)
	}
}

// A transaction the chain never includes is reported dropped once the
// height passes its block limit, instead of waiting forever.
func TestWaitReceiptReportsDroppedTx(t *testing.T) {
	f := newFake(t, crypto.ECDSA())
	f.set(func(f *fakeNode) { f.swallow = true })
	c := dial(t, f.httpURL(), WithHeightMaxAge(0))
	key, _ := crypto.ECDSA().GenerateKey()
	to := common.HexToAddress("0x1234")
	_, err := c.SendNativeWait(testCtx(t), key, &to, nil, nil, 0)
	if !errors.Is(err, ErrTxDropped) {
		t.Fatalf("err = %v, want ErrTxDropped", err)
	}
}

func TestWrongSuiteKeyRefused(t *testing.T) {
	f := newFake(t, crypto.ECDSA())
	c := dial(t, f.httpURL())
	key, _ := crypto.SM().GenerateKey()
	if _, err := c.NewNativeTx(testCtx(t), key, nil, nil, nil, 0); !errors.Is(err, ErrWrongSuite) {
		t.Fatalf("err = %v, want ErrWrongSuite", err)
	}
}

func TestEthereumTransactions(t *testing.T) {
	f := newFake(t, crypto.ECDSA())
	c := dial(t, f.httpURL())
	ctx := testCtx(t)
	key, _ := crypto.ECDSA().GenerateKey()
	to := common.HexToAddress("0x1234")
	for i := 0; i < 2; i++ { // the second one needs the incremented nonce
		h, err := c.SendEthTransaction(ctx, key, &to, big.NewInt(1), nil, 0)
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		r, err := c.WaitReceipt(ctx, h)
		if err != nil || !r.Succeeded() || r.From != key.Address() {
			t.Fatalf("receipt %d: %+v, %v", i, r, err)
		}
	}
	a := testABI(t)
	addr, _, err := c.Deploy(ctx, key, a, testBytecode, big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	k := c.Contract(addr, a).WithEthereumTxs()
	if _, err := k.Transact(ctx, key, "set", big.NewInt(9)); err != nil {
		t.Fatal(err)
	}
	if out, err := k.Call(ctx, key.Address(), "get"); err != nil || out[0].(*big.Int).Int64() != 9 {
		t.Fatalf("get = %v, %v", out, err)
	}

	sm := newFake(t, crypto.SM())
	cs := dial(t, sm.httpURL())
	skey, _ := crypto.SM().GenerateKey()
	if _, err := cs.SendEthTransaction(ctx, skey, &to, nil, nil, 21000); !errors.Is(err, ErrEthTxUnsupported) {
		t.Fatalf("SM chain: err = %v, want ErrEthTxUnsupported", err)
	}
}

// Keys kept in a keystore sign transactions of their suite.
func TestKeystoreKeysSign(t *testing.T) {
	for _, s := range suites {
		t.Run(s.Name(), func(t *testing.T) {
			ks := keystore.NewStore(filepath.Join(t.TempDir(), "ks"), true)
			gen, _ := s.GenerateKey()
			acct, err := ks.Save(gen, "pw")
			if err != nil {
				t.Fatal(err)
			}
			key, err := ks.Load(acct.Address, "pw")
			if err != nil {
				t.Fatal(err)
			}
			f := newFake(t, s)
			c := dial(t, f.httpURL())
			to := common.HexToAddress("0x1234")
			r, err := c.SendNativeWait(testCtx(t), key, &to, nil, []byte("hi"), 0)
			if err != nil {
				t.Fatal(err)
			}
			if r.From != acct.Address {
				t.Fatalf("sender %s, want %s", r.From, acct.Address)
			}
		})
	}
}

// waitFor polls cond until it holds; it fails the test only after a long
// deadline, so it asserts an outcome, never a duration.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
