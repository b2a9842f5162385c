package rpc

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/types"
)

// acceptingChain is the fake backend whose SendTx accepts every tx without
// checking it and whose PreverifyTxs does nothing: what is left is the
// server's own cost of a batch of sends.
type acceptingChain struct{ *fakeChain }

func (acceptingChain) SendTx(context.Context, *types.Transaction) error   { return nil }
func (acceptingChain) PreverifyTxs(context.Context, []*types.Transaction) {}

// BenchmarkBatchSendRaw: the server's cost (parsing, decoding the txs,
// dispatching, encoding the answers) of a JSON-RPC batch of 100
// eth_sendRawTransaction requests over HTTP.
func BenchmarkBatchSendRaw(b *testing.B) {
	s := NewServer(acceptingChain{newFakeChain(b)}, Config{}, nil)
	b.Cleanup(func() { s.Shutdown(context.Background()) })
	const n = 100
	body := rawSendBatch(b, n)
	h := s.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if w := post(b, h, body); w.Code != 200 || strings.Contains(w.Body.String(), `"error"`) {
			b.Fatalf("answer %d %s", w.Code, w.Body.String())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/tx")
}

// rawSendBatch is a JSON-RPC batch of n eth_sendRawTransaction requests,
// each of a signed transfer, as the load generator sends them.
func rawSendBatch(tb testing.TB, n int) string {
	tf := &txFactory{t: tb, key: testKey(tb, 1)}
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"jsonrpc":"2.0","id":%d,"method":"eth_sendRawTransaction","params":[%q]}`, i, hexutil.Encode(tf.legacy(&otherAddr, 1, nil).Bytes()))
	}
	sb.WriteByte(']')
	return sb.String()
}

// BenchmarkBatchBlockReceipts: the server's cost of a JSON-RPC batch of 10
// eth_getBlockReceipts requests over HTTP, each for a block of 500 token
// transfers with a log each, as a load generator fetches its receipts.
func BenchmarkBatchBlockReceipts(b *testing.B) {
	f := newFakeChain(b)
	tf := &txFactory{t: b, key: testKey(b, 1)}
	const blocks, perBlock = 10, 500
	for n := range blocks {
		txs := make([]*types.Transaction, perBlock)
		for i := range txs {
			txs[i] = tf.legacy(&tokenAddr, 1, nil)
		}
		f.appendBlock(txs, nil, uint64(1700000010+n))
	}
	s := NewServer(f, Config{}, nil)
	b.Cleanup(func() { s.Shutdown(context.Background()) })
	var sb strings.Builder
	sb.WriteByte('[')
	for n := range blocks {
		if n > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"jsonrpc":"2.0","id":%d,"method":"eth_getBlockReceipts","params":["%s"]}`, n, hexutil.EncodeUint64(uint64(n+1)))
	}
	sb.WriteByte(']')
	body := sb.String()
	h := s.Handler()
	w := post(b, h, body)
	if w.Code != 200 || bytes.Contains(w.Body.Bytes(), []byte(`"error"`)) {
		b.Fatalf("answer %d %.300s", w.Code, w.Body.Bytes())
	}
	size := w.Body.Len()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		// The answer goes to a writer that keeps nothing, as a connection
		// would: a recorder's buffer would grow with it.
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		d := &discardResponse{header: http.Header{}}
		h.ServeHTTP(d, req)
		if d.code != 200 || d.n != size {
			b.Fatalf("answer %d of %d bytes, want 200 and %d", d.code, d.n, size)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*blocks*perBlock), "ns/receipt")
}

// discardResponse is an http.ResponseWriter that counts what it is given.
type discardResponse struct {
	header http.Header
	code   int
	n      int
}

func (d *discardResponse) Header() http.Header { return d.header }

func (d *discardResponse) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}

func (d *discardResponse) Write(p []byte) (int, error) {
	d.WriteHeader(http.StatusOK)
	d.n += len(p)
	return len(p), nil
}
