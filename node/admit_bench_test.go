package node

import (
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/txtest"
	"github.com/gobcos/gobcos/types"
)

// BenchmarkRPCBatchAdmit measures a solo ECDSA node's cost of a JSON-RPC
// batch of 50 eth_sendRawTransaction requests, from the HTTP handler to
// the txs sitting in the pool: the server's parsing and answers, the
// node's backend (metrics, tx flow) and the pool's admission, with the
// node's real chain adapters. The node is built, not started: no block
// is sealed meanwhile, and a new node takes over every 100 batches
// (untimed), so that the pool holds up to 5,000 txs as under a steady
// load instead of growing with b.N. In "preverified" the verifier knows
// every sender beforehand, which leaves out the signature check;
// "verify" includes it. One op is one batch; ns/tx is per tx, and
// cpu-ns/tx the process's CPU time per tx (all threads, so the garbage
// collector's work is in).
func BenchmarkRPCBatchAdmit(b *testing.B) {
	for _, pre := range []bool{true, false} {
		name := "verify"
		if pre {
			name = "preverified"
		}
		b.Run(name, func(b *testing.B) { benchRPCBatchAdmit(b, pre) })
	}
}

// admitBenchNode builds (does not start) a solo ECDSA node in dir, with
// metrics on as a benchmarked chain runs them (not served).
func admitBenchNode(b *testing.B, dir string) *Node {
	if err := InitDir(dir, InitOptions{Suite: crypto.NameECDSA, RPCAddr: "127.0.0.1:0"}); err != nil {
		b.Fatal(err)
	}
	cfg, err := LoadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		b.Fatal(err)
	}
	cfg.Metrics.Listen = "127.0.0.1:0"
	n, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func benchRPCBatchAdmit(b *testing.B, preverified bool) {
	const (
		batch  = 50
		window = 100 // batches a node takes
		// Enough senders for no nonce of a window to pass the pool's
		// MaxNonceGap (64).
		senders = window * batch / 50
	)
	keys := make([]crypto.PrivateKey, senders)
	for i := range keys {
		keys[i] = cryptotest.Key(b, crypto.ECDSA())
	}
	var chainID uint64
	{
		n := admitBenchNode(b, b.TempDir())
		chainID = n.genesis.ChainID
		n.Stop()
	}
	// Pre-sign b.N batches: in each window the senders take turns, each
	// with nonces from 0 (a new node's state).
	to := common.Address{0xbe, 0xef}
	bodies := make([]string, b.N)
	txs := make([]*types.Transaction, 0, b.N*batch)
	for i := range bodies {
		var sb strings.Builder
		sb.WriteByte('[')
		for j := range batch {
			k := i%window*batch + j
			tx := txtest.SignEth(b, keys[k%senders], chainID, &ethtypes.LegacyTx{Nonce: uint64(k / senders), GasPrice: new(big.Int), Gas: 21000, To: &to, Value: new(big.Int)})
			txs = append(txs, tx)
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"jsonrpc":"2.0","id":%d,"method":"eth_sendRawTransaction","params":["%s"]}`, j, hexutil.Encode(tx.Bytes()))
		}
		sb.WriteByte(']')
		bodies[i] = sb.String()
	}

	var (
		n       *Node
		h       http.Handler
		cpu     time.Duration // the process's CPU time while timed
		checked uint64        // signatures checked while timed
		cpu0    time.Duration
		checks0 uint64
	)
	start := func() {
		cpu0, checks0 = processCPU(b), n.sigs.Stats().Checks
		b.StartTimer()
	}
	stop := func() {
		b.StopTimer()
		cpu += processCPU(b) - cpu0
		checked += n.sigs.Stats().Checks - checks0
	}
	// next replaces the node by a new one for the window from batch i;
	// with preverified, its verifier learns the window's senders (by
	// hash, where the handler's decoded copies find them).
	next := func(i int) {
		if n != nil {
			if count, _ := n.pool.Stats(); count != window*batch {
				b.Fatalf("the pool holds %d txs, want %d", count, window*batch)
			}
			n.Stop()
		}
		n = admitBenchNode(b, b.TempDir())
		h = n.rpc.Handler()
		if preverified {
			for k, err := range n.sigs.VerifyBatch(b.Context(), txs[i*batch:min(i+window, b.N)*batch]) {
				if err != nil {
					b.Fatalf("tx %d: %v", k, err)
				}
			}
		}
		runtime.GC() // the setup's garbage
	}
	b.Cleanup(func() {
		if n != nil {
			n.Stop()
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	b.StopTimer()
	for i := range b.N {
		if i%window == 0 {
			if i > 0 {
				stop()
			}
			next(i)
			start()
		}
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(bodies[i]))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"error"`) {
			b.Fatalf("answer %d %.300s", w.Code, w.Body.String())
		}
	}
	stop()
	if count, _ := n.pool.Stats(); count != (b.N-(b.N-1)/window*window)*batch {
		b.Fatalf("the pool holds %d txs, want %d", count, (b.N-(b.N-1)/window*window)*batch)
	}
	if preverified && checked != 0 {
		b.Fatalf("%d signatures checked in the timed part", checked)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/tx")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*batch), "cpu-ns/tx")
}

// processCPU is the CPU time the process used so far (user and system,
// all threads: the garbage collector's work included), which other
// processes on a loaded machine do not inflate as they do wall time.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
