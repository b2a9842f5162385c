package node_test

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// scrape is one /metrics answer, by metric name.
type scrape map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, addr string) scrape {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics on %s: %s", addr, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics of %s: %v", addr, err)
	}
	return mfs
}

// value sums the samples of name whose labels include want (counters and
// gauges: the value; histograms: the observation count).
func (s scrape) value(name string, want map[string]string) float64 {
	mf := s[name]
	if mf == nil {
		return 0
	}
	var sum float64
next:
	for _, m := range mf.GetMetric() {
		for k, v := range want {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			sum += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			sum += m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// labelNames are the label names of name's samples, besides group.
func (s scrape) labelNames(name string) map[string]bool {
	out := map[string]bool{}
	if mf := s[name]; mf != nil {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				out[lp.GetName()] = true
			}
		}
	}
	return out
}

// TestMetricsMoveWithLoad runs a 4-node PBFT chain with metrics on, scrapes
// every node, sends transactions, scrapes again and checks that the values
// move and carry the documented names and labels.
func TestMetricsMoveWithLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := buildPBFTChain(t, "ecdsa", 4)
	for _, name := range c.names {
		path := filepath.Join(c.dir, name, node.ConfigFile)
		cfg, err := node.LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Metrics.Listen = "127.0.0.1:0"
		cfg.Log.TxFlowSample = 1 // every tx: the flow log path runs too
		if err := node.WriteConfig(path, cfg); err != nil {
			t.Fatal(err)
		}
	}
	c.startAll()

	before := make([]scrape, len(c.nodes))
	for i, n := range c.nodes {
		if n.MetricsAddr() == "" {
			t.Fatalf("node %d serves no metrics", i)
		}
		before[i] = scrapeMetrics(t, n.MetricsAddr())
	}

	// Load: txs through node 0 and node 2 (waiting for their receipts).
	const perNode = 4
	var top uint64
	for _, via := range []int{0, 2} {
		client, err := sdk.Dial(ctx, "http://"+c.nodes[via].RPCAddr())
		if err != nil {
			t.Fatal(err)
		}
		key := cryptotest.Key(t, client.Suite())
		to := common.Address{0x77}
		for range perNode {
			r, err := client.SendNativeWait(ctx, key, &to, nil, []byte("metrics"), 0)
			if err != nil || !r.Succeeded() {
				t.Fatalf("via node %d: %+v, %v", via, r, err)
			}
			top = max(top, r.BlockNumber)
		}
		client.Close()
	}
	// An Ethereum tx sent twice: the second copy is refused by the pool
	// (already committed), an RPC error counted by method and reason.
	ec, err := ethclient.DialContext(ctx, "http://"+c.nodes[0].RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	ekey, _ := ethcrypto.GenerateKey()
	signer := ethtypes.LatestSignerForChainID(new(big.Int).SetUint64(c.nodes[0].Genesis().ChainID))
	to := common.Address{0x78}
	etx := ethtypes.MustSignNewTx(ekey, signer, &ethtypes.LegacyTx{Nonce: 0, GasPrice: new(big.Int), Gas: 21000, To: &to})
	if err := ec.SendTransaction(ctx, etx); err != nil {
		t.Fatal(err)
	}
	r := waitReceipt(t, ctx, ec, etx.Hash())
	if r.Status != 1 {
		t.Fatalf("eth tx receipt %+v", r)
	}
	top = max(top, r.BlockNumber.Uint64())
	if err := ec.SendTransaction(ctx, etx); err == nil {
		t.Fatal("the same tx was accepted twice")
	}
	c.waitHeight(top)

	after := make([]scrape, len(c.nodes))
	for i, n := range c.nodes {
		after[i] = scrapeMetrics(t, n.MetricsAddr())
	}

	grew := func(i int, name string, labels map[string]string, atLeast float64) {
		t.Helper()
		b, a := before[i].value(name, labels), after[i].value(name, labels)
		if a-b < atLeast {
			t.Errorf("node %d: %s%v went from %v to %v, want a rise of at least %v", i, name, labels, b, a, atLeast)
		}
	}
	phases := map[string]float64{}
	for i := range c.nodes {
		if h := after[i].value("gobcos_block_height", nil); h < float64(top) {
			t.Errorf("node %d: gobcos_block_height %v, want at least %d", i, h, top)
		}
		grew(i, "gobcos_txs_committed_total", nil, 2*perNode)
		grew(i, "gobcos_blocks_committed_total", nil, 1)
		grew(i, "gobcos_gas_used_total", nil, 2*perNode*21000)
		grew(i, "gobcos_block_execution_duration_seconds", nil, 1)
		grew(i, "gobcos_block_commit_duration_seconds", nil, 1)
		grew(i, "gobcos_consensus_phase_duration_seconds", nil, 1)
		for _, module := range []string{"consensus", "txgossip"} {
			grew(i, "gobcos_p2p_received_bytes_total", map[string]string{"module": module}, 1)
		}
		grew(i, "gobcos_p2p_sent_bytes_total", map[string]string{"module": "consensus"}, 1)
		grew(i, "gobcos_p2p_sent_messages_total", map[string]string{"module": "consensus"}, 1)
		if p := after[i].value("gobcos_p2p_peers", nil); p != 3 {
			t.Errorf("node %d: gobcos_p2p_peers %v, want 3", i, p)
		}
		if _, ok := after[i]["gobcos_consensus_view"]; !ok {
			t.Errorf("node %d (a sealer) reports no gobcos_consensus_view", i)
		}
		for _, ph := range []string{"seal", "prepare", "commit", "checkpoint"} {
			phases[ph] += after[i].value("gobcos_consensus_phase_duration_seconds", map[string]string{"phase": ph})
		}
	}
	for ph, n := range phases {
		if n == 0 {
			t.Errorf("no node recorded the %s phase", ph)
		}
	}
	for _, via := range []int{0, 2} {
		grew(via, "gobcos_rpc_requests_total", nil, perNode)
		grew(via, "gobcos_rpc_request_duration_seconds", nil, perNode)
		grew(via, "gobcos_txpool_txs_accepted_total", map[string]string{"source": "rpc"}, perNode)
		grew(via, "gobcos_p2p_sent_bytes_total", map[string]string{"module": "txgossip"}, 1)
		grew(via, "gobcos_txgossip_txs_queued_total", nil, perNode)
		grew(via, "gobcos_txgossip_txs_total", map[string]string{"direction": "sent"}, perNode)
		grew(via, "gobcos_txgossip_batches_total", map[string]string{"direction": "sent"}, 1)
		grew(via, "gobcos_tx_commit_latency_seconds", nil, perNode)
	}
	grew(1, "gobcos_txpool_txs_accepted_total", map[string]string{"source": "gossip"}, 1)
	grew(1, "gobcos_txgossip_txs_total", map[string]string{"direction": "received"}, 2*perNode)
	grew(1, "gobcos_txgossip_batches_total", map[string]string{"direction": "received"}, 1)
	// Exactly one rejection from clients; peers may add some of their own
	// (a tx re-gossiped while it waits is refused as already known).
	if b, a := before[0].value("gobcos_txpool_txs_rejected_total", nil), after[0].value("gobcos_txpool_txs_rejected_total", nil); a-b < 1 {
		t.Errorf("node 0: gobcos_txpool_txs_rejected_total went from %v to %v, want at least one more", b, a)
	}
	if b, a := before[0].value("gobcos_txpool_txs_rejected_total", map[string]string{"source": "rpc"}), after[0].value("gobcos_txpool_txs_rejected_total", map[string]string{"source": "rpc"}); a-b != 1 {
		t.Errorf("node 0: rejections from rpc went from %v to %v, want one more", b, a)
	}
	if !after[0].labelNames("gobcos_txpool_txs_rejected_total")["reason"] {
		t.Error("gobcos_txpool_txs_rejected_total has no reason label")
	}
	grew(0, "gobcos_rpc_errors_total", map[string]string{"method": "eth_sendRawTransaction"}, 1)

	// Names and labels as documented (docs/metrics.md): every gobcos
	// metric carries the group; by-type metrics carry their label.
	last := after[0]
	for name, mf := range last {
		if !strings.HasPrefix(name, "gobcos_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			ok := false
			for _, lp := range m.GetLabel() {
				ok = ok || (lp.GetName() == "group" && lp.GetValue() == "group0")
			}
			if !ok {
				t.Errorf("%s has a sample without group=\"group0\"", name)
			}
		}
		if mf.GetType() == dto.MetricType_COUNTER && !strings.HasSuffix(name, "_total") {
			t.Errorf("counter %s does not end in _total", name)
		}
	}
	for name, label := range map[string]string{
		"gobcos_rpc_requests_total":               "method",
		"gobcos_rpc_request_duration_seconds":     "method",
		"gobcos_p2p_sent_bytes_total":             "module",
		"gobcos_p2p_received_bytes_total":         "module",
		"gobcos_consensus_phase_duration_seconds": "phase",
		"gobcos_txpool_txs_accepted_total":        "source",
	} {
		if !last.labelNames(name)[label] {
			t.Errorf("%s has no %q label", name, label)
		}
	}
	if last.value("gobcos_rpc_requests_total", map[string]string{"method": "bcos_sendTransaction"})+
		last.value("gobcos_rpc_requests_total", map[string]string{"method": "eth_sendRawTransaction"}) == 0 {
		t.Errorf("no send-transaction method counted by name: %v", methodsOf(last))
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := last[name]; !ok {
			t.Errorf("%s missing: the Go and process collectors are served", name)
		}
	}
}

func methodsOf(s scrape) []string {
	var out []string
	if mf := s["gobcos_rpc_requests_total"]; mf != nil {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "method" {
					out = append(out, fmt.Sprintf("%s=%v", lp.GetValue(), m.GetCounter().GetValue()))
				}
			}
		}
	}
	return out
}
