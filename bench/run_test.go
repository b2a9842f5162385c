package bench_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/bench"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
)

// startFundedNode runs a single-node chain of suite in this process whose
// genesis funds a new key, and returns its RPC URL and that key.
func startFundedNode(t *testing.T, suiteName string) (string, crypto.PrivateKey) {
	t.Helper()
	suite, err := crypto.ByName(suiteName)
	if err != nil {
		t.Fatal(err)
	}
	funder, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	balance := new(big.Int).Lsh(big.NewInt(1), 100)
	n := nodetest.Dev(t, suiteName, func(g *node.Genesis) {
		g.Alloc = map[common.Address]node.GenesisAccount{funder.Address(): {Balance: (*math.HexOrDecimal256)(balance)}}
	})
	return "http://" + n.RPCAddr(), funder
}

// checkAccounted checks every signed tx was sent, committed and succeeded,
// and that the JSON summary parses back to the same counts.
func checkAccounted(t *testing.T, res *bench.Result, txs int) {
	t.Helper()
	checkAccountedBut(t, res, txs, 0)
}

// checkWindowRun checks the timed phase of a run on a chain whose
// block-limit window is shorter than the phase may take: every tx is
// committed, refused for its block limit or expired in the pool, and
// nothing else went wrong.
func checkWindowRun(t *testing.T, res *bench.Result, txs int) {
	t.Helper()
	lost := 0
	for kind, n := range res.Errors {
		if kind != bench.ErrKindExpired && kind != "send: block limit" {
			t.Errorf("%s: %d txs failed with %q: only expiry may fail them", res.Workload, n, kind)
		}
		lost += n
	}
	if res.Committed == 0 {
		t.Errorf("%s: no tx committed: %+v", res.Workload, res)
	}
	checkAccountedBut(t, res, txs, lost)
}

// checkAccountedBut checks the figures and the summary of a run of txs of
// which all but lost committed and succeeded.
func checkAccountedBut(t *testing.T, res *bench.Result, txs, lost int) {
	t.Helper()
	sent := txs - res.Errors["send: block limit"]
	if res.Txs != txs || res.Sent != sent || res.Committed != txs-lost || res.Succeeded != txs-lost {
		t.Errorf("%s: txs %d sent %d committed %d succeeded %d, want %d, %d sent; errors %v",
			res.Workload, res.Txs, res.Sent, res.Committed, res.Succeeded, txs-lost, sent, res.Errors)
	}
	if lost == 0 && len(res.Errors) != 0 {
		t.Errorf("%s: errors %v", res.Workload, res.Errors)
	}
	if res.Blocks < 1 || res.TPS <= 0 || res.Latency.Max < res.Latency.P50 || res.CeilingTPS <= 0 || res.CeilingFraction <= 0 {
		t.Errorf("%s: implausible figures %+v", res.Workload, res)
	}
	line := res.JSON()
	if strings.Contains(line, "\n") {
		t.Errorf("summary spans lines: %q", line)
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(line), &back); err != nil {
		t.Fatalf("summary %q does not parse: %v", line, err)
	}
	for key, want := range map[string]float64{"txs": float64(txs), "sent": float64(sent), "committed": float64(txs - lost), "succeeded": float64(txs - lost)} {
		if back[key] != want {
			t.Errorf("summary %s = %v, want %v", key, back[key], want)
		}
	}
	var out strings.Builder
	res.Print(&out)
	if !strings.Contains(out.String(), "committed TPS") || !strings.HasSuffix(strings.TrimSpace(out.String()), line) {
		t.Errorf("report lacks the TPS line or does not end with the JSON line:\n%s", out.String())
	}
}

// TestRunAgainstNode drives every workload against an in-process node,
// with a funder (value transfers) and without (value 0, gas is free).
func TestRunAgainstNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	url, funder := startFundedNode(t, crypto.NameECDSA)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const txs = 300
	for _, c := range []struct {
		workload string
		conflict float64
		funded   bool
		format   string
		dynamic  bool
		batch    int
	}{
		{bench.WorkloadTransfer, 0, true, "", false, 0},
		{bench.WorkloadTransfer, 0.5, false, "", true, 0},
		{bench.WorkloadERC20, 0.5, true, "", false, 0},
		{bench.WorkloadKV, 0.5, false, "", false, 0},
		{bench.WorkloadMixed, 0.2, true, bench.FormatNative, false, 0},
		// JSON-RPC batches of eth_sendRawTransaction and of bcos_sendTransaction.
		{bench.WorkloadTransfer, 0, true, "", false, 32},
		{bench.WorkloadMixed, 0.2, true, bench.FormatNative, false, 32},
	} {
		cfg := bench.Config{
			RPC: []string{url}, Workload: c.workload, Accounts: 20, Conflict: c.conflict, Txs: txs, Batch: c.batch,
			Conns: 2, Wait: 30 * time.Second, Format: c.format, DynamicFee: c.dynamic, CeilingTime: 50 * time.Millisecond,
		}
		if c.funded {
			cfg.FunderKey = funder.Bytes()
		}
		res, err := bench.Run(ctx, cfg)
		if err != nil {
			t.Fatalf("%s conflict %v: %v", c.workload, c.conflict, err)
		}
		checkAccounted(t, res, txs)
		if res.Nodes != 1 || res.Suite != crypto.NameECDSA {
			t.Errorf("%s: nodes %d suite %s, want 1 ecdsa from bcos_getChainInfo", c.workload, res.Nodes, res.Suite)
		}
	}
}

// TestRunSM drives an SM chain, which takes native txs.
func TestRunSM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	url, funder := startFundedNode(t, crypto.NameSM)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const txs = 200
	res, err := bench.Run(ctx, bench.Config{
		RPC: []string{url}, Workload: bench.WorkloadMixed, Accounts: 10, Conflict: 0.5, Txs: txs,
		FunderKey: funder.Bytes(), Wait: 30 * time.Second, CeilingTime: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkAccounted(t, res, txs)
	if res.Format != bench.FormatNative || res.Suite != crypto.NameSM {
		t.Errorf("format %s suite %s, want native sm", res.Format, res.Suite)
	}
}

// TestRunSMLongSetup sets up a mixed workload in more blocks than an SM
// chain's block-limit window (two rounds of funding through intermediate
// accounts, one of deployments, one of minting): native txs signed for
// the head at the start of the setup would expire before its end. The
// intermediates' txs, sent together, can outlast the window too: those
// are signed again.
func TestRunSMLongSetup(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	funder, err := crypto.SM().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	const window = 3
	n := nodetest.Dev(t, crypto.NameSM, func(g *node.Genesis) {
		g.Alloc = map[common.Address]node.GenesisAccount{funder.Address(): {Balance: (*math.HexOrDecimal256)(new(big.Int).Lsh(big.NewInt(1), 100))}}
		g.BlockLimitWindow = window
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const txs, accounts = 250, 250 // the run's txs in one request
	url := "http://" + n.RPCAddr()
	res, err := bench.Run(ctx, bench.Config{
		RPC: []string{url}, Workload: bench.WorkloadMixed, Accounts: accounts, Txs: txs, Batch: txs, Conns: 1,
		FunderKey: funder.Bytes(), Wait: 30 * time.Second, CeilingTime: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkWindowRun(t, res, txs)
	rc, err := rpc.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var head hexutil.Uint64
	if err := rc.Call(&head, "eth_blockNumber"); err != nil {
		t.Fatal(err)
	}
	// Every block holds txs of the bench: those not of the timed phase
	// are the setup's.
	if setup := int(head) - res.Blocks; setup <= window {
		t.Errorf("the setup took %d blocks, not more than the window of %d: the test proves nothing", setup, window)
	}
}

// TestRunSMFundingResigns funds many accounts through intermediates on
// an SM chain whose block-limit window is three blocks: their txs, sent
// together, outlast it (most runs), and those that expire are signed
// again.
func TestRunSMFundingResigns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	funder, err := crypto.SM().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	n := nodetest.Dev(t, crypto.NameSM, func(g *node.Genesis) {
		g.Alloc = map[common.Address]node.GenesisAccount{funder.Address(): {Balance: (*math.HexOrDecimal256)(new(big.Int).Lsh(big.NewInt(1), 100))}}
		g.BlockLimitWindow = 3
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const txs = 600 // 13 intermediates
	res, err := bench.Run(ctx, bench.Config{
		RPC: []string{"http://" + n.RPCAddr()}, Workload: bench.WorkloadTransfer, Accounts: txs, Txs: txs, Batch: txs, Conns: 1,
		FunderKey: funder.Bytes(), Wait: 30 * time.Second, CeilingTime: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkWindowRun(t, res, txs)
}

// TestRunReportsExpiredTxs runs more native txs than the blocks of a
// chain's block-limit window can hold: those no block took are reported
// as expired as soon as the chain passes their limit, not after --wait.
//
// A tx no block took was either accepted and left to expire, or refused
// at its send because the chain had already passed its limit: which one
// depends on how the node's admission of the batch interleaves with its
// sealing, and a loaded machine can seal the whole window while the
// batch is still being admitted. So runs are made, each checked in full,
// until one has accepted txs expire (at most maxRuns).
func TestRunReportsExpiredTxs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	const window, perBlock, txs, maxRuns = 2, 10, 100, 5
	n := nodetest.Dev(t, crypto.NameECDSA, func(g *node.Genesis) {
		g.BlockLimitWindow, g.BlockTxLimit = window, perBlock
	})
	const wait = time.Minute
	for run := 1; ; run++ {
		start := time.Now()
		res, err := bench.Run(context.Background(), bench.Config{
			RPC: []string{"http://" + n.RPCAddr()}, Workload: bench.WorkloadTransfer, Format: bench.FormatNative,
			Accounts: txs, Txs: txs, Batch: txs, Conns: 1, Wait: wait, CeilingTime: 50 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took >= wait {
			t.Errorf("the run took %v: it waited out --wait for txs that had expired", took)
		}
		checkWindowRun(t, res, txs)
		if res.Committed > window*perBlock {
			t.Errorf("%d txs committed, more than the window's %d blocks of %d hold", res.Committed, window, perBlock)
		}
		if res.Errors[bench.ErrKindExpired] > 0 || t.Failed() {
			return
		}
		if run == maxRuns {
			t.Fatalf("no tx reported expired in %d runs: %v", run, res.Errors)
		}
		t.Logf("run %d: every tx no block took was refused at its send (%v); running again", run, res.Errors)
	}
}

// TestRunNeedsFunds checks a run whose txs spend value refuses to start
// without a funder instead of sending txs that cannot succeed.
func TestRunNeedsFunds(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	url, _ := startFundedNode(t, crypto.NameECDSA)
	_, err := bench.Run(context.Background(), bench.Config{
		RPC: []string{url}, Workload: bench.WorkloadTransfer, Accounts: 2, Txs: 4, Value: big.NewInt(5),
	})
	if err == nil || !strings.Contains(err.Error(), "--key") {
		t.Fatalf("Run without funder = %v, want an error naming --key", err)
	}
}

// TestRunFunderWithoutBalance checks a run refuses, before sending, a
// funding key that cannot pay for what it must send.
func TestRunFunderWithoutBalance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	url, _ := startFundedNode(t, crypto.NameECDSA)
	poor, err := crypto.ECDSA().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	_, err = bench.Run(context.Background(), bench.Config{
		RPC: []string{url}, Workload: bench.WorkloadTransfer, Accounts: 2, Txs: 4, Value: big.NewInt(5),
		FunderKey: poor.Bytes(), Wait: 5 * time.Second, CeilingTime: 50 * time.Millisecond,
	})
	if !errors.Is(err, bench.ErrNoFunds) || !strings.Contains(err.Error(), poor.Address().Hex()) || !strings.Contains(err.Error(), "holds 0 wei") {
		t.Fatalf("Run with a funder without balance = %v, want ErrNoFunds naming the account and its balance", err)
	}
}

func TestMeasureVerify(t *testing.T) {
	for _, s := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		c, err := bench.MeasureVerify(s, 20*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if c.PerSec <= 0 || c.Suite != s.Name() {
			t.Errorf("%s: %+v", s.Name(), c)
		}
		if one, four := c.Ceiling(2, 1), c.Ceiling(2, 4); one != 4*four || one != 2*c.PerSec {
			t.Errorf("%s: ceiling of 1 node %v, of 4 nodes %v, per core %v", s.Name(), one, four, c.PerSec)
		}
	}
}

// TestRunRateAndDuration checks a paced run cut short by its duration
// accounts for every signed tx: sent ones commit, the rest are unsent.
func TestRunRateAndDuration(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	url, _ := startFundedNode(t, crypto.NameECDSA)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := bench.Run(ctx, bench.Config{
		RPC: []string{url, url}, Workload: bench.WorkloadKV, Txs: 400, Rate: 200, Duration: 300 * time.Millisecond,
		Wait: 30 * time.Second, CeilingTime: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	// 400 txs at 200 tx/s need 2s: a 300ms sending phase leaves some unsent.
	if res.Unsent == 0 || res.Sent+res.Unsent != res.Txs || res.Committed != res.Sent || len(res.Errors) != 0 {
		t.Errorf("txs %d sent %d unsent %d committed %d errors %v: want sent + unsent = txs, all sent committed, some unsent",
			res.Txs, res.Sent, res.Unsent, res.Committed, res.Errors)
	}
	if res.Accounts != bench.DefaultAccounts || res.Conns != 2*bench.DefaultConns {
		t.Errorf("accounts %d conns %d, want the defaults %d and %d", res.Accounts, res.Conns, bench.DefaultAccounts, 2*bench.DefaultConns)
	}
}
