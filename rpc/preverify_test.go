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

// preverifyingChain is the fake backend with the TxPreverifier capability;
// it records the hashes of each PreverifyTxs call.
type preverifyingChain struct {
	*fakeChain
	mu    sync.Mutex
	calls [][]common.Hash
}

func (p *preverifyingChain) PreverifyTxs(_ context.Context, txs []*types.Transaction) {
	hs := make([]common.Hash, len(txs))
	for i, tx := range txs {
		hs[i] = tx.Hash()
	}
	p.mu.Lock()
	p.calls = append(p.calls, hs)
	p.mu.Unlock()
}

// TestBatchPreverifies: the raw txs of a batch's send requests reach the
// backend's PreverifyTxs together, in order, before the requests run;
// other entries and undecodable txs are left to the requests' answers.
func TestBatchPreverifies(t *testing.T) {
	f := newFakeChain(t)
	pc := &preverifyingChain{fakeChain: f}
	s := NewServer(pc, Config{}, nil)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	alice := &txFactory{t: t, key: testKey(t, 1)}
	a, b := alice.legacy(&otherAddr, 1, nil), alice.legacy(&otherAddr, 2, nil)
	n := nativeTx(t, testKey(t, 2), &otherAddr, nil, 5)
	body := fmt.Sprintf(`[
		{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":[%q]},
		{"jsonrpc":"2.0","id":2,"method":"eth_chainId"},
		{"jsonrpc":"2.0","id":3,"method":"bcos_sendTransaction","params":[%q]},
		{"jsonrpc":"2.0","id":4,"method":"eth_sendRawTransaction","params":["0x1234"]},
		{"jsonrpc":"2.0","id":5,"method":"eth_sendRawTransaction","params":[%q]}
	]`, hexutil.Encode(a.Bytes()), hexutil.Encode(n.Bytes()), hexutil.Encode(b.Bytes()))
	w := post(t, s.Handler(), body)
	var rs []rpcResp
	if err := json.Unmarshal(w.Body.Bytes(), &rs); err != nil || len(rs) != 5 {
		t.Fatalf("batch answer %s: %v", w.Body.String(), err)
	}
	if rs[0].Error != nil || rs[4].Error != nil || rs[2].Error != nil {
		t.Fatalf("sends refused: %s", w.Body.String())
	}
	if rs[3].Error == nil || rs[3].Error.Code != CodeInvalidParams {
		t.Fatalf("undecodable tx: %s", w.Body.String())
	}
	want := fmt.Sprint([][]common.Hash{{a.Hash(), n.Hash(), b.Hash()}})
	if got := fmt.Sprint(pc.calls); got != want {
		t.Fatalf("PreverifyTxs calls %s, want %s", got, want)
	}

	// A single request or a batch with one tx is not preverified.
	pc.calls = nil
	one := fmt.Sprintf(`[{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":[%q]},{"jsonrpc":"2.0","id":2,"method":"eth_chainId"}]`,
		hexutil.Encode(alice.legacy(&otherAddr, 3, nil).Bytes()))
	if w := post(t, s.Handler(), one); strings.Contains(w.Body.String(), `"error"`) {
		t.Fatalf("answer %s", w.Body.String())
	}
	if len(pc.calls) != 0 {
		t.Fatalf("PreverifyTxs called for one tx: %v", pc.calls)
	}
}

// sendRecorder is preverifyingChain that also records the tx objects
// SendTx receives.
type sendRecorder struct {
	*preverifyingChain
	pre  []*types.Transaction
	sent []*types.Transaction
}

func (r *sendRecorder) PreverifyTxs(ctx context.Context, txs []*types.Transaction) {
	r.pre = append(r.pre, txs...)
	r.preverifyingChain.PreverifyTxs(ctx, txs)
}

func (r *sendRecorder) SendTx(ctx context.Context, tx *types.Transaction) error {
	r.sent = append(r.sent, tx)
	return r.fakeChain.SendTx(ctx, tx)
}

// TestBatchDecodesTxsOnce: a batch's send requests hand SendTx the very tx
// objects PreverifyTxs checked (each tx decoded once), and the checks of
// the requests still apply to them: a native tx sent with
// eth_sendRawTransaction is refused and never reaches SendTx.
func TestBatchDecodesTxsOnce(t *testing.T) {
	r := &sendRecorder{preverifyingChain: &preverifyingChain{fakeChain: newFakeChain(t)}}
	s := NewServer(r, Config{}, nil)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	alice := &txFactory{t: t, key: testKey(t, 1)}
	a, b := alice.legacy(&otherAddr, 1, nil), alice.legacy(&otherAddr, 2, nil)
	n := nativeTx(t, testKey(t, 2), &otherAddr, nil, 5)
	body := fmt.Sprintf(`[
		{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":[%q]},
		{"jsonrpc":"2.0","id":2,"method":"eth_sendRawTransaction","params":[%q]},
		{"jsonrpc":"2.0","id":3,"method":"bcos_sendTransaction","params":[%q, false]},
		{"jsonrpc":"2.0","id":4,"method":"eth_sendRawTransaction","params":[%q, 1]}
	]`, hexutil.Encode(a.Bytes()), hexutil.Encode(n.Bytes()), hexutil.Encode(b.Bytes()), hexutil.Encode(b.Bytes()))
	w := post(t, s.Handler(), body)
	var rs []rpcResp
	if err := json.Unmarshal(w.Body.Bytes(), &rs); err != nil || len(rs) != 4 {
		t.Fatalf("batch answer %s: %v", w.Body.String(), err)
	}
	if rs[0].Error != nil || rs[2].Error != nil {
		t.Fatalf("sends refused: %s", w.Body.String())
	}
	if rs[1].Error == nil || !strings.Contains(rs[1].Error.Message, "bcos_sendTransaction") {
		t.Fatalf("native tx by eth_sendRawTransaction: %s", w.Body.String())
	}
	if rs[3].Error == nil || rs[3].Error.Code != CodeInvalidParams {
		t.Fatalf("extra argument: %s", w.Body.String())
	}
	if len(r.pre) != 4 || len(r.sent) != 2 || r.sent[0] != r.pre[0] || r.sent[1] != r.pre[2] {
		t.Fatalf("preverified %d txs, sent %d; SendTx must get the preverified objects", len(r.pre), len(r.sent))
	}
}
