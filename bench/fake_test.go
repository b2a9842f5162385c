package bench_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/bench"
)

// fakeNode is a plain Ethereum JSON-RPC node, as seen by the bench: no
// bcos_* methods, no subscriptions, gas charged (a non-zero gas price), an
// unlocked account. Each eth_blockNumber call seals the pending txs into a
// block. Like go-ethereum's pool it refuses a raw tx its sender cannot pay
// for together with its pending ones, and like gobcos' pool more than 64
// pending txs of one sender.
type fakeNode struct {
	mu       sync.Mutex
	pending  []common.Hash
	txs      []fakeTx // the pending txs' effects
	blocks   [][]common.Hash
	receipts map[common.Hash]map[string]any
	rawSent  int
	nodeSent int
	// refuseEvery > 0 refuses every refuseEvery-th raw tx (nonce too low).
	refuseEvery int
	rawSeen     int
	refused     int
	chainID     uint64
	// balance is what the sealed txs left each account but the node's
	// own (credited when last credited); spend what a sender's pending
	// txs may cost, senders' most pending txs at once.
	balance  map[common.Address]*big.Int
	credited map[common.Address]time.Time
	spend    map[common.Address]*big.Int
	inPool   map[common.Address]int
	mostPool map[common.Address]int
	// poolLag is how long after a block the pool does not see the funds
	// it credits (go-ethereum's pool follows the head asynchronously).
	poolLag time.Duration
	// gas, if set, prices the txs: a tx with less gas than its cost
	// fails (status 0), one over the per-tx cap is refused.
	gas *fakeGas
	// failed holds the pending txs that ran out of gas.
	failed map[common.Hash]bool
}

// fakeTx is what a pending tx does once sealed.
type fakeTx struct {
	from, to    common.Address
	value, cost *big.Int
}

func newFakeNode() *fakeNode {
	return &fakeNode{receipts: map[common.Hash]map[string]any{}, chainID: 1337, blocks: [][]common.Hash{{}},
		balance: map[common.Address]*big.Int{}, credited: map[common.Address]time.Time{}, spend: map[common.Address]*big.Int{},
		inPool: map[common.Address]int{}, mostPool: map[common.Address]int{}, failed: map[common.Hash]bool{}}
}

// nodeAccount is the fake node's unlocked, rich account.
var nodeAccount = common.Address{0xaa}

func (n *fakeNode) balanceOf(a common.Address) *big.Int {
	if b := n.balance[a]; b != nil {
		return b
	}
	return new(big.Int)
}

// seal applies the pending txs' effects.
func (n *fakeNode) seal() {
	now := time.Now()
	for _, t := range n.txs {
		if t.from != nodeAccount {
			n.balance[t.from] = new(big.Int).Sub(n.balanceOf(t.from), t.cost)
			n.spend[t.from].Sub(n.spend[t.from], t.cost)
			n.inPool[t.from]--
		}
		if t.value.Sign() > 0 {
			n.balance[t.to] = new(big.Int).Add(n.balanceOf(t.to), t.value)
			n.credited[t.to] = now
		}
	}
	n.txs = nil
}

type fakeEthAPI struct{ n *fakeNode }

func (a fakeEthAPI) ChainId() hexutil.Uint64                                   { return hexutil.Uint64(a.n.chainID) }
func (a fakeEthAPI) GasPrice() *hexutil.Big                                    { return (*hexutil.Big)(common.Big1) }
func (a fakeEthAPI) Accounts() []common.Address                                { return []common.Address{nodeAccount} }
func (a fakeEthAPI) GetTransactionCount(common.Address, string) hexutil.Uint64 { return 7 }

// GetBalance: the node's unlocked account is rich, every other holds what
// the sealed txs gave it.
func (a fakeEthAPI) GetBalance(addr common.Address, _ string) *hexutil.Big {
	if addr == nodeAccount {
		return (*hexutil.Big)(new(big.Int).Lsh(common.Big1, 100))
	}
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	return (*hexutil.Big)(new(big.Int).Set(a.n.balanceOf(addr)))
}

func (a fakeEthAPI) BlockNumber() hexutil.Uint64 {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	if len(a.n.pending) > 0 {
		num := len(a.n.blocks)
		for i, h := range a.n.pending {
			// Every receipt names a contract, as a deployment's would.
			status := hexutil.Uint64(1)
			if a.n.failed[h] {
				status = 0
			}
			r := map[string]any{"transactionHash": h, "status": status, "blockNumber": hexutil.Uint64(num),
				"contractAddress": common.Address{0xcc, byte(num), byte(i)}}
			a.n.receipts[h] = r
		}
		a.n.blocks = append(a.n.blocks, a.n.pending)
		a.n.pending = nil
		a.n.seal()
	}
	return hexutil.Uint64(len(a.n.blocks) - 1)
}

func (a fakeEthAPI) SendRawTransaction(raw hexutil.Bytes) (common.Hash, error) {
	tx := new(ethtypes.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		return common.Hash{}, err
	}
	from, err := ethtypes.Sender(ethtypes.LatestSignerForChainID(tx.ChainId()), tx)
	if err != nil {
		return common.Hash{}, err
	}
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	a.n.rawSeen++
	if a.n.refuseEvery > 0 && a.n.rawSeen%a.n.refuseEvery == 0 {
		a.n.refused++
		return common.Hash{}, errors.New("nonce too low")
	}
	if a.n.spend[from] == nil {
		a.n.spend[from] = new(big.Int)
	}
	have := a.n.balanceOf(from)
	if time.Since(a.n.credited[from]) < a.n.poolLag {
		have = new(big.Int)
	}
	if have.Cmp(new(big.Int).Add(a.n.spend[from], tx.Cost())) < 0 {
		return common.Hash{}, errors.New("insufficient funds for gas * price + value")
	}
	if a.n.inPool[from] >= 64 {
		return common.Hash{}, errors.New("nonce too far ahead")
	}
	if err := a.n.checkGas(tx.Hash(), tx.To(), tx.Data(), tx.Gas(), tx.GasFeeCap()); err != nil {
		return common.Hash{}, err
	}
	a.n.spend[from].Add(a.n.spend[from], tx.Cost())
	a.n.inPool[from]++
	a.n.mostPool[from] = max(a.n.mostPool[from], a.n.inPool[from])
	var to common.Address // a deployment credits no one
	if tx.To() != nil {
		to = *tx.To()
	}
	a.n.txs = append(a.n.txs, fakeTx{from: from, to: to, value: tx.Value(), cost: tx.Cost()})
	a.n.pending = append(a.n.pending, tx.Hash())
	a.n.rawSent++
	return tx.Hash(), nil
}

func (a fakeEthAPI) SendTransaction(arg struct {
	To    *common.Address `json:"to"`
	Value *hexutil.Big    `json:"value"`
	Gas   hexutil.Uint64  `json:"gas"`
	Input hexutil.Bytes   `json:"input"`
}) (common.Hash, error) {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(a.n.nodeSent))
	h := common.BytesToHash(ethcrypto.Keccak256([]byte("node tx"), b[:]))
	if err := a.n.checkGas(h, arg.To, arg.Input, uint64(arg.Gas), nil); err != nil {
		return common.Hash{}, err
	}
	if arg.To != nil && arg.Value != nil {
		a.n.txs = append(a.n.txs, fakeTx{from: nodeAccount, to: *arg.To, value: arg.Value.ToInt()})
	}
	a.n.pending = append(a.n.pending, h)
	a.n.nodeSent++
	return h, nil
}

func (a fakeEthAPI) GetTransactionReceipt(h common.Hash) map[string]any {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	return a.n.receipts[h]
}

func (a fakeEthAPI) GetBlockReceipts(n hexutil.Uint64) []map[string]any {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	var out []map[string]any
	if int(n) < len(a.n.blocks) {
		for _, h := range a.n.blocks[n] {
			out = append(out, a.n.receipts[h])
		}
	}
	return out
}

// TestRunPlainEthereumNode runs the erc20 workload against a node that
// speaks only Ethereum JSON-RPC: the bench must fund the accounts from the
// node's account (--funder-node), deploy and mint through it, follow heads
// by polling (no subscriptions over HTTP) and account for every tx.
func TestRunPlainEthereumNode(t *testing.T) {
	n := newFakeNode()
	srv := rpc.NewServer()
	if err := srv.RegisterName("eth", fakeEthAPI{n}); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	hs := httptest.NewServer(srv)
	defer hs.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const txs, accounts = 120, 12
	res, err := bench.Run(ctx, bench.Config{
		RPC: []string{hs.URL}, Workload: bench.WorkloadMixed, Accounts: accounts, Conflict: 0.5, Txs: txs,
		FunderNode: true, Nodes: 1, Wait: 20 * time.Second, CeilingTime: 10 * time.Millisecond, DynamicFee: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Committed != txs || res.Succeeded != txs || len(res.Errors) != 0 || res.Suite != "ecdsa" || res.Nodes != 1 {
		t.Errorf("committed %d succeeded %d errors %v suite %s nodes %d", res.Committed, res.Succeeded, res.Errors, res.Suite, res.Nodes)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	// Setup through the node's account: one funding tx per account (gas
	// costs), two deployments and one mint batch.
	if n.nodeSent != accounts+3 || n.rawSent != txs {
		t.Errorf("node sent %d txs for the bench (want %d), raw txs %d (want %d)", n.nodeSent, accounts+3, n.rawSent, txs)
	}
}

// batchCounter records the JSON-RPC batches (array bodies) an HTTP
// handler receives, and their sizes.
type batchCounter struct {
	next    http.Handler
	mu      sync.Mutex
	batches []int
}

func (b *batchCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '[' {
		var items []json.RawMessage
		if json.Unmarshal(t, &items) == nil {
			b.mu.Lock()
			b.batches = append(b.batches, len(items))
			b.mu.Unlock()
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	b.next.ServeHTTP(w, r)
}

// TestRunBatchesPlainEthereumNode sends the txs in JSON-RPC batches to a
// plain Ethereum node that refuses some of them: no batch is larger than
// --batch, every tx is sent once, and each refused tx is counted under
// its own error kind while the rest of its batch commits.
func TestRunBatchesPlainEthereumNode(t *testing.T) {
	n := newFakeNode()
	n.refuseEvery = 7
	srv := rpc.NewServer()
	if err := srv.RegisterName("eth", fakeEthAPI{n}); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	bc := &batchCounter{next: srv}
	hs := httptest.NewServer(bc)
	defer hs.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const txs, accounts, batch = 140, 7, 8
	var profile bytes.Buffer
	res, err := bench.Run(ctx, bench.Config{
		RPC: []string{hs.URL}, Workload: bench.WorkloadTransfer, Accounts: accounts, Txs: txs, Conns: 2, Batch: batch,
		FunderNode: true, Nodes: 1, Wait: 20 * time.Second, CeilingTime: 10 * time.Millisecond, CPUProfile: &profile,
	})
	if err != nil {
		t.Fatal(err)
	}
	if profile.Len() == 0 {
		t.Error("no CPU profile of the timed phase")
	}
	n.mu.Lock()
	raw, refused := n.rawSeen, n.refused
	n.mu.Unlock()
	if raw != txs || refused != txs/7 {
		t.Fatalf("node saw %d raw txs (want %d), refused %d (want %d)", raw, txs, refused, txs/7)
	}
	if res.Sent != txs-refused || res.Committed != txs-refused || res.Errors["send: nonce too low"] != refused || len(res.Errors) != 1 {
		t.Errorf("sent %d committed %d errors %v; want %d sent and committed, %d nonce too low", res.Sent, res.Committed, res.Errors, txs-refused, refused)
	}
	if res.Batch != batch || !strings.Contains(res.JSON(), `"batch":8`) {
		t.Errorf("summary batch %d, JSON %s", res.Batch, res.JSON())
	}
	bc.mu.Lock()
	defer bc.mu.Unlock()
	inBatches, largest := 0, 0
	for _, size := range bc.batches {
		largest = max(largest, size)
		if size > 1 {
			inBatches += size
		}
	}
	// At --rate max every connection has more than a batch's worth queued,
	// so most txs leave in batches of several (the tracker's receipt
	// batches count too, so only the bound is exact).
	if largest > batch || inBatches < txs/2 {
		t.Errorf("batches %v: want none above %d and at least %d txs in batches", bc.batches, batch, txs/2)
	}
}
