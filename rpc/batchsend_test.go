package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/types"
)

// batchSender is the fake backend with the TxBatchSender capability: it
// records the txs of each SendTxs and SendTx call, and sends each tx as
// SendTx does. panics makes SendTxs panic.
type batchSender struct {
	*fakeChain
	mu      sync.Mutex
	batches [][]common.Hash
	singles []common.Hash
	panics  bool
}

func (b *batchSender) SendTxs(ctx context.Context, txs []*types.Transaction) []error {
	hs := make([]common.Hash, len(txs))
	for i, tx := range txs {
		hs[i] = tx.Hash()
	}
	b.mu.Lock()
	b.batches = append(b.batches, hs)
	b.mu.Unlock()
	if b.panics {
		panic("batch send bug")
	}
	errs := make([]error, len(txs))
	for i, tx := range txs {
		errs[i] = b.fakeChain.SendTx(ctx, tx)
	}
	return errs
}

func (b *batchSender) SendTx(ctx context.Context, tx *types.Transaction) error {
	b.mu.Lock()
	b.singles = append(b.singles, tx.Hash())
	b.mu.Unlock()
	return b.fakeChain.SendTx(ctx, tx)
}

// sendBatchBody is a batch of send requests and others: two sends, a
// lookup of the tx the fifth request sends (not sent yet when it runs),
// two sends, a native tx by eth_sendRawTransaction (refused by the
// request), a send with an extra argument (refused by the request), a
// duplicate of the first tx, and one send after a non-send request.
func sendBatchBody(t *testing.T) (body string, txs []*types.Transaction) {
	t.Helper()
	alice := &txFactory{t: t, key: testKey(t, 1)}
	a, b, c, d := alice.legacy(&otherAddr, 1, nil), alice.legacy(&otherAddr, 2, nil), alice.legacy(&otherAddr, 3, nil), alice.legacy(&otherAddr, 4, nil)
	n := nativeTx(t, testKey(t, 2), &otherAddr, nil, 5)
	m := nativeTx(t, testKey(t, 2), &otherAddr, nil, 6)
	hex := func(tx *types.Transaction) string { return hexutil.Encode(tx.Bytes()) }
	body = fmt.Sprintf(`[
		{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":[%q]},
		{"jsonrpc":"2.0","id":2,"method":"bcos_sendTransaction","params":[%q]},
		{"jsonrpc":"2.0","id":3,"method":"eth_getTransactionByHash","params":[%q]},
		{"jsonrpc":"2.0","id":4,"method":"eth_sendRawTransaction","params":[%q]},
		{"jsonrpc":"2.0","id":5,"method":"eth_sendRawTransaction","params":[%q]},
		{"jsonrpc":"2.0","id":6,"method":"eth_sendRawTransaction","params":[%q]},
		{"jsonrpc":"2.0","id":7,"method":"eth_sendRawTransaction","params":[%q, 1]},
		{"jsonrpc":"2.0","id":8,"method":"eth_sendRawTransaction","params":[%q]},
		{"jsonrpc":"2.0","id":9,"method":"eth_sendRawTransaction","params":[%q]},
		{"jsonrpc":"2.0","method":"eth_sendRawTransaction","params":[%q]},
		{"jsonrpc":"2.0","id":11,"method":"eth_chainId"},
		{"jsonrpc":"2.0","id":12,"method":"bcos_sendTransaction","params":[%q]}
	]`, hex(a), hex(n), b.Hash().Hex(), hex(c), hex(b), hex(m), hex(d), hex(a), hex(d), hex(b), hex(m))
	return body, []*types.Transaction{a, b, c, d, n, m}
}

// TestBatchSendsTogether: a batch's runs of consecutive send requests
// reach a TxBatchSender together, and the batch is answered exactly as a
// backend without the capability answers it (request by request).
func TestBatchSendsTogether(t *testing.T) {
	body, txs := sendBatchBody(t)
	a, b, c, d, n, m := txs[0], txs[1], txs[2], txs[3], txs[4], txs[5]

	plain := NewServer(newFakeChain(t), Config{}, nil)
	t.Cleanup(func() { plain.Shutdown(context.Background()) })
	want := post(t, plain.Handler(), body).Body.String()

	bs := &batchSender{fakeChain: newFakeChain(t)}
	s := NewServer(bs, Config{}, nil)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	got := post(t, s.Handler(), body).Body.String()
	if got != want {
		t.Fatalf("answers with batch sends:\n%s\nwithout:\n%s", got, want)
	}
	var rs []rpcResp
	if err := json.Unmarshal([]byte(got), &rs); err != nil || len(rs) != 11 {
		t.Fatalf("batch answer %s: %v", got, err)
	}
	if string(rs[2].Result) != "null" {
		t.Fatalf("a lookup saw a tx sent by a later request: %s", rs[2].Result)
	}
	if rs[0].Error != nil || rs[1].Error != nil || rs[3].Error != nil || rs[4].Error != nil || rs[10].Error != nil {
		t.Fatalf("sends refused: %s", got)
	}
	if rs[5].Error == nil || rs[6].Error == nil || rs[7].Error == nil || !strings.Contains(rs[7].Error.Message, "already known") {
		t.Fatalf("refusals: %s", got)
	}
	wantBatches := fmt.Sprint([][]common.Hash{{a.Hash(), n.Hash()}, {c.Hash(), b.Hash()}, {a.Hash(), d.Hash(), b.Hash()}})
	if got := fmt.Sprint(bs.batches); got != wantBatches {
		t.Fatalf("SendTxs calls %s, want %s", got, wantBatches)
	}
	if got, want := fmt.Sprint(bs.singles), fmt.Sprint([]common.Hash{m.Hash()}); got != want {
		t.Fatalf("SendTx calls %s, want %s", got, want)
	}
}

// TestBatchSendStopsBeforeOverflow: no tx is sent ahead for a request
// that the batch's answer limit leaves unanswered.
func TestBatchSendStopsBeforeOverflow(t *testing.T) {
	alice := &txFactory{t: t, key: testKey(t, 1)}
	var entries []string
	var txs []*types.Transaction
	for i := range 6 {
		tx := alice.legacy(&otherAddr, 1, nil)
		txs = append(txs, tx)
		entries = append(entries, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"eth_sendRawTransaction","params":[%q]}`, i, hexutil.Encode(tx.Bytes())))
	}
	body := "[" + strings.Join(entries, ",") + "]"
	// Room for two answers before the limit is passed: the third is the
	// last one run, the others answer that the batch is too large.
	limit := 2*len(`{"jsonrpc":"2.0","id":0,"result":"0x0000000000000000000000000000000000000000000000000000000000000000"}`) + 10
	for _, withBatch := range []bool{false, true} {
		f := newFakeChain(t)
		var b Backend = f
		bs := &batchSender{fakeChain: f}
		if withBatch {
			b = bs
		}
		s := NewServer(b, Config{MaxBatchResponseBytes: limit}, nil)
		w := post(t, s.Handler(), body)
		s.Shutdown(context.Background())
		var rs []rpcResp
		if err := json.Unmarshal(w.Body.Bytes(), &rs); err != nil || len(rs) != 6 {
			t.Fatalf("batch answer %s: %v", w.Body.String(), err)
		}
		for i, r := range rs {
			if (r.Error == nil) != (i < 3) {
				t.Fatalf("batch sends %v: answer %d: %s", withBatch, i, w.Body.String())
			}
		}
		if len(f.pool) != 3 {
			t.Fatalf("batch sends %v: %d txs sent, want the 3 answered", withBatch, len(f.pool))
		}
	}
}

// TestBatchSendPanic: a panic in SendTxs answers each request of the run
// as a panic in SendTx answers its request.
func TestBatchSendPanic(t *testing.T) {
	alice := &txFactory{t: t, key: testKey(t, 1)}
	bs := &batchSender{fakeChain: newFakeChain(t), panics: true}
	s := NewServer(bs, Config{}, nil)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	body := fmt.Sprintf(`[{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":[%q]},{"jsonrpc":"2.0","id":2,"method":"eth_sendRawTransaction","params":[%q]},{"jsonrpc":"2.0","id":3,"method":"eth_chainId"}]`,
		hexutil.Encode(alice.legacy(&otherAddr, 1, nil).Bytes()), hexutil.Encode(alice.legacy(&otherAddr, 1, nil).Bytes()))
	var rs []rpcResp
	if err := json.Unmarshal(post(t, s.Handler(), body).Body.Bytes(), &rs); err != nil || len(rs) != 3 {
		t.Fatalf("batch answer: %v", err)
	}
	for _, r := range rs[:2] {
		if r.Error == nil || r.Error.Code != CodeInternal || r.Error.Message != "internal error while handling eth_sendRawTransaction" {
			t.Fatalf("answer after a panic: %+v", r)
		}
	}
	if rs[2].Error != nil {
		t.Fatalf("eth_chainId: %+v", rs[2].Error)
	}
}

// TestRequestNamesSpelt: a method or version spelt with escapes is read
// as when spelt plainly; the plain spelling of a known method takes the
// server's own name, and "2.0" is checked, without copies.
func TestRequestNamesSpelt(t *testing.T) {
	s := NewServer(newFakeChain(t), Config{}, nil)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	body := `[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},
		{"jsonrpc":"\u0032.0","id":2,"method":"eth_\u0063hainId"},
		{"jsonrpc":"2.1","id":3,"method":"eth_chainId"},
		{"jsonrpc":"2.0","id":4,"method":"eth_noSuchMethod"}]`
	var rs []rpcResp
	if err := json.Unmarshal(post(t, s.Handler(), body).Body.Bytes(), &rs); err != nil || len(rs) != 4 {
		t.Fatalf("batch answer: %v", err)
	}
	if rs[0].Error != nil || rs[1].Error != nil || string(rs[0].Result) != string(rs[1].Result) {
		t.Fatalf("plain and escaped spellings: %+v %+v", rs[0], rs[1])
	}
	if rs[2].Error == nil || rs[2].Error.Code != CodeInvalidRequest || rs[3].Error == nil || rs[3].Error.Code != CodeMethodNotFound {
		t.Fatalf("bad version, unknown method: %+v %+v", rs[2].Error, rs[3].Error)
	}
	var req request
	if bad := s.parseRequest([]byte(`{"jsonrpc":"2.0","method":"eth_chainId"}`), &req); bad != nil || req.method != "eth_chainId" {
		t.Fatalf("parsed %+v, %s", req, bad)
	}
	raw := []byte(`{"jsonrpc":"2.0","id":7,"method":"eth_chainId"}`)
	if n := testing.AllocsPerRun(100, func() { s.parseRequest(raw, &req) }); n != 0 {
		t.Fatalf("parsing a plain request without params allocates %v times, want 0", n)
	}
}
