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
// is sealed meanwhile. In "preverified" the verifier knows every sender
// beforehand, which leaves out the signature check; "verify" includes it.
// One op is one batch; ns/tx is per tx, and cpu-ns/tx the process's CPU
// time per tx (all threads, so the garbage collector's work is in).
func BenchmarkRPCBatchAdmit(b *testing.B) {
	for _, pre := range []bool{true, false} {
		name := "verify"
		if pre {
			name = "preverified"
		}
		b.Run(name, func(b *testing.B) { benchRPCBatchAdmit(b, pre) })
	}
}

func benchRPCBatchAdmit(b *testing.B, preverified bool) {
	const batch = 50
	// Enough senders for no nonce to pass the pool's MaxNonceGap (64).
	senders := max(100, (b.N*batch+59)/60)
	dir := b.TempDir()
	if err := InitDir(dir, InitOptions{Suite: crypto.NameECDSA, RPCAddr: "127.0.0.1:0"}); err != nil {
		b.Fatal(err)
	}
	cfg, err := LoadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		b.Fatal(err)
	}
	cfg.Metrics.Listen = "127.0.0.1:0" // metrics on, as a benchmarked chain runs; not served
	n, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Stop() })

	// Pre-sign b.N batches: the senders take turns, each with rising nonces.
	keys := make([]crypto.PrivateKey, senders)
	for i := range keys {
		keys[i] = cryptotest.Key(b, crypto.ECDSA())
	}
	to := common.Address{0xbe, 0xef}
	bodies := make([]string, b.N)
	var known []*types.Transaction
	k := 0
	for i := range bodies {
		var sb strings.Builder
		sb.WriteByte('[')
		for j := range batch {
			s := k % senders
			tx := txtest.SignEth(b, keys[s], n.genesis.ChainID, &ethtypes.LegacyTx{Nonce: uint64(k / senders), GasPrice: new(big.Int), Gas: 21000, To: &to, Value: new(big.Int)})
			k++
			if preverified {
				known = append(known, tx)
			}
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"jsonrpc":"2.0","id":%d,"method":"eth_sendRawTransaction","params":["%s"]}`, j, hexutil.Encode(tx.Bytes()))
		}
		sb.WriteByte(']')
		bodies[i] = sb.String()
	}
	// known[k] is made known to the verifier (its sender remembered by
	// hash, where the handler's decoded copy finds it) before the timed
	// batches that send it, a window at a time: far fewer txs than the
	// verifier remembers, so none is forgotten before it is sent.
	const window = 200
	prewarm := func(from int) {
		txs := known[from*batch : min(from+window, b.N)*batch]
		for i, err := range n.sigs.VerifyBatch(b.Context(), txs) {
			if err != nil {
				b.Fatalf("tx %d: %v", i, err)
			}
		}
	}
	h := n.rpc.Handler()
	var (
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
	runtime.GC() // the setup's garbage
	b.ReportAllocs()
	b.ResetTimer()
	b.StopTimer()
	start()
	for i := range b.N {
		if preverified && i%window == 0 {
			stop()
			prewarm(i)
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
	if preverified && checked != 0 {
		b.Fatalf("%d signatures checked in the timed part", checked)
	}
	if count, _ := n.pool.Stats(); count != b.N*batch {
		b.Fatalf("the pool holds %d txs, want %d", count, b.N*batch)
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
