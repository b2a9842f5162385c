package sdk

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
)

// deployed returns a client on a fake node with the test contract deployed
// (initial value 7) and the deployer's key.
func deployed(t *testing.T, s crypto.Suite, url func(*fakeNode) string) (*fakeNode, *Client, *Contract, crypto.PrivateKey) {
	t.Helper()
	f := newFake(t, s)
	c := dial(t, url(f))
	key, err := s.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	a := testABI(t)
	addr, r, err := c.Deploy(testCtx(t), key, a, testBytecode, big.NewInt(7))
	if err != nil {
		t.Fatal(err)
	}
	if r.ContractAddress == nil || *r.ContractAddress != addr || !r.Succeeded() {
		t.Fatalf("deploy receipt %+v", r)
	}
	return f, c, c.Contract(addr, a), key
}

func httpOf(f *fakeNode) string { return f.httpURL() }
func wsOf(f *fakeNode) string   { return f.wsURL() }

func TestDeployCallTransactParseEvent(t *testing.T) {
	for _, s := range suites {
		t.Run(s.Name(), func(t *testing.T) {
			_, _, k, key := deployed(t, s, httpOf)
			ctx := testCtx(t)
			out, err := k.Call(ctx, key.Address(), "get")
			if err != nil || len(out) != 1 || out[0].(*big.Int).Int64() != 7 {
				t.Fatalf("get = %v, %v", out, err)
			}
			r, err := k.Transact(ctx, key, "set", big.NewInt(42))
			if err != nil {
				t.Fatal(err)
			}
			if !r.Succeeded() || len(r.Logs) != 1 || r.From != key.Address() || *r.To != k.Address() {
				t.Fatalf("receipt %+v", r)
			}
			ev, err := k.ParseEvent("Set", r.Logs[0])
			if err != nil {
				t.Fatal(err)
			}
			if ev["who"].(common.Address) != key.Address() || ev["value"].(*big.Int).Int64() != 42 {
				t.Fatalf("event = %v", ev)
			}
			if out, _ := k.Call(ctx, key.Address(), "get"); out[0].(*big.Int).Int64() != 42 {
				t.Fatalf("get after set = %v", out)
			}
			if _, err := k.ParseEvent("Nope", r.Logs[0]); !errors.Is(err, ErrUnknownEvent) {
				t.Fatalf("unknown event: %v", err)
			}
			if _, err := k.Call(ctx, key.Address(), "nope"); !errors.Is(err, ErrUnknownMethod) {
				t.Fatalf("unknown method: %v", err)
			}
			other := r.Logs[0]
			other.Topics = []common.Hash{{1}}
			if _, err := k.ParseEvent("Set", other); err == nil {
				t.Fatal("parsed a log of another event")
			}
			// A contract that is not there answers empty.
			ghost := k.c.Contract(common.HexToAddress("0xdead"), *k.ABI())
			if _, err := ghost.Call(ctx, key.Address(), "get"); !errors.Is(err, ErrNoCode) {
				t.Fatalf("no code: err = %v", err)
			}
		})
	}
}

func TestRevertDecoding(t *testing.T) {
	_, c, k, key := deployed(t, crypto.ECDSA(), httpOf)
	ctx := testCtx(t)

	check := func(what string, err error, reason, name string, args ...int64) {
		t.Helper()
		var re *RevertError
		if !errors.As(err, &re) {
			t.Fatalf("%s: err = %v (%T), want *RevertError", what, err, err)
		}
		if !errors.Is(err, ErrReverted) || len(re.Data) < 4 {
			t.Fatalf("%s: not a revert with data: %+v", what, re)
		}
		if re.Reason != reason || re.Name != name || len(re.Args) != len(args) {
			t.Fatalf("%s: reason %q name %q args %v", what, re.Reason, re.Name, re.Args)
		}
		for i, a := range args {
			if re.Args[i].(*big.Int).Int64() != a {
				t.Fatalf("%s: args %v, want %v", what, re.Args, args)
			}
		}
	}

	_, err := k.Call(ctx, key.Address(), "fail")
	check("call fail", err, "nope", "")
	if err.Error() != "execution reverted: nope" {
		t.Fatalf("message %q", err.Error())
	}
	_, err = k.Call(ctx, key.Address(), "failCustom")
	check("call failCustom", err, "", "Insufficient", 10, 7)
	if err.Error() != "execution reverted: Insufficient(10, 7)" {
		t.Fatalf("message %q", err.Error())
	}

	r, err := k.Transact(ctx, key, "fail")
	check("transact fail", err, "nope", "")
	if r == nil || r.Succeeded() {
		t.Fatalf("failed transaction must return its receipt: %+v", r)
	}
	_, err = k.Transact(ctx, key, "failCustom")
	check("transact failCustom", err, "", "Insufficient", 10, 7)

	// Without the ABI the custom error stays raw, Error(string) is decoded.
	_, err = c.CallContract(ctx, key.Address(), k.Address(), k.ABI().Methods["failCustom"].ID)
	var re *RevertError
	if !errors.As(err, &re) || re.Name != "" || len(re.Data) != 4+64 {
		t.Fatalf("raw custom error: %v", err)
	}
}

func TestRevertErrorWithoutData(t *testing.T) {
	e := newRevertError(nil, nil, "out of gas")
	if e.Reverted() || !errors.Is(e, ErrTxFailed) || e.Error() != "execution failed: out of gas" {
		t.Fatalf("%v reverted=%v", e, e.Reverted())
	}
	e = newRevertError(nil, []byte{1, 2}, "execution reverted")
	if !errors.Is(e, ErrReverted) || e.Error() != "execution reverted with data 0x0102" {
		t.Fatalf("%v", e)
	}
	// Panic(uint256) with code 0x11.
	data := append(common.CopyBytes(panicSelector), common.LeftPadBytes([]byte{0x11}, 32)...)
	if e := newRevertError(nil, data, ""); e.Reason != "panic: arithmetic underflow or overflow" {
		t.Fatalf("panic reason %q", e.Reason)
	}
	// Truncated Error(string) data does not panic and stays raw.
	if e := newRevertError(nil, append(common.CopyBytes(errorSelector), 1, 2, 3), ""); e.Reason != "" {
		t.Fatalf("truncated reason %q", e.Reason)
	}
}

func TestSubscribeLogs(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  func(*fakeNode) string
	}{{"http-polling", httpOf}, {"websocket", wsOf}} {
		t.Run(tc.name, func(t *testing.T) {
			_, c, k, key := deployed(t, crypto.ECDSA(), tc.url)
			ctx := testCtx(t)
			ch := make(chan Log, 16)
			sub, err := c.SubscribeLogs(ctx, FilterQuery{Addresses: []common.Address{k.Address()}}, ch)
			if err != nil {
				t.Fatal(err)
			}
			if _, isPoll := sub.(*pollSub); isPoll != (tc.name == "http-polling") {
				t.Fatalf("subscription type %T over %s", sub, tc.name)
			}
			for i := int64(1); i <= 2; i++ {
				if _, err := k.Transact(ctx, key, "set", big.NewInt(i)); err != nil {
					t.Fatal(err)
				}
				select {
				case l := <-ch:
					ev, err := k.ParseEvent("Set", l)
					if err != nil {
						t.Fatal(err)
					}
					if ev["value"].(*big.Int).Int64() != i || l.TxHash == (common.Hash{}) || l.BlockNumber == 0 {
						t.Fatalf("log %+v event %v", l, ev)
					}
				case err := <-sub.Err():
					t.Fatalf("subscription ended: %v", err)
				case <-ctx.Done():
					t.Fatal("no log delivered")
				}
			}
			sub.Unsubscribe()
			select {
			case _, open := <-sub.Err():
				if open {
					t.Fatal("Err delivered an error on Unsubscribe")
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Err not closed after Unsubscribe")
			}
		})
	}
}

func TestPollingSubscriptionReportsLostFilter(t *testing.T) {
	f, c, k, _ := deployed(t, crypto.ECDSA(), httpOf)
	ch := make(chan Log, 1)
	sub, err := c.SubscribeLogs(testCtx(t), FilterQuery{Addresses: []common.Address{k.Address()}}, ch)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	f.set(func(f *fakeNode) { clear(f.filters) }) // as if the node restarted
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case err := <-sub.Err():
		if err == nil {
			t.Fatal("Err closed without an error")
		}
	case <-ctx.Done():
		t.Fatal("lost filter not reported")
	}
}
