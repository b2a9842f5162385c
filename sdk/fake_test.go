package sdk

// A fake gobcos node for the SDK's tests: go-ethereum's rpc.Server (HTTP
// and WebSocket on one URL) serving just enough eth_* and bcos_* methods.
// It verifies transactions with the real types package, checks block
// limits, "executes" one test contract by its ABI, commits one block per
// transaction (with filler transactions so proofs have several levels)
// and serves real Merkle proofs that tests can tamper with.

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

const testABIJSON = `[
 {"type":"constructor","inputs":[{"name":"initial","type":"uint256"}]},
 {"type":"function","name":"get","inputs":[],"outputs":[{"name":"","type":"uint256"}],"stateMutability":"view"},
 {"type":"function","name":"set","inputs":[{"name":"v","type":"uint256"}],"outputs":[]},
 {"type":"function","name":"fail","inputs":[],"outputs":[]},
 {"type":"function","name":"failCustom","inputs":[],"outputs":[]},
 {"type":"event","name":"Set","inputs":[{"name":"who","type":"address","indexed":true},{"name":"value","type":"uint256","indexed":false}]},
 {"type":"error","name":"Insufficient","inputs":[{"name":"need","type":"uint256"},{"name":"have","type":"uint256"}]}
]`

// testBytecode stands for init code; the fake reads the constructor
// argument from the 32 bytes after it.
var testBytecode = []byte{0x60, 0x80, 0x60, 0x40}

func testABI(t testing.TB) abi.ABI {
	t.Helper()
	a, err := abi.JSON(strings.NewReader(testABIJSON))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type rpcErr struct {
	code int
	msg  string
	data any
}

func (e *rpcErr) Error() string  { return e.msg }
func (e *rpcErr) ErrorCode() int { return e.code }
func (e *rpcErr) ErrorData() any { return e.data }
func execErr(out []byte) *rpcErr { return &rpcErr{3, "execution reverted", hexutil.Encode(out)} }

type fakeBlock struct {
	header   *types.Header
	hash     common.Hash
	txs      []*types.Transaction
	receipts []*types.Receipt
}

type sub struct {
	n    *rpc.Notifier
	s    *rpc.Subscription
	logs bool
}

type fakeNode struct {
	t      testing.TB
	suite  crypto.Suite
	abi    abi.ABI
	chain  uint64
	group  string
	window uint64

	mu        sync.Mutex
	height    uint64
	parent    common.Hash
	blocks    map[common.Hash]*fakeBlock
	txBlock   map[common.Hash]*fakeBlock
	ethNonce  map[common.Address]uint64
	contracts map[common.Address]*big.Int
	fillers   []*types.Transaction
	subs      []sub
	filters   map[string][]map[string]any
	nextID    int

	// Knobs and records for tests.
	sentLimits       []uint64 // block limits of the native txs received, rejected ones included
	rejectBlockLimit bool     // reject every native tx's block limit
	swallow          bool     // accept native txs but never commit them; jump the height past their limit
	tamperProof      func(p map[string]any)
	tamperReceipt    func(r map[string]any)
	noChainInfo      bool

	srv  *rpc.Server
	http *httptest.Server
}

func newFake(t testing.TB, suite crypto.Suite) *fakeNode {
	t.Helper()
	f := &fakeNode{
		t: t, suite: suite, abi: testABI(t), chain: 20, group: "group0", window: 1000,
		height: 100, blocks: map[common.Hash]*fakeBlock{}, txBlock: map[common.Hash]*fakeBlock{},
		ethNonce: map[common.Address]uint64{}, contracts: map[common.Address]*big.Int{}, filters: map[string][]map[string]any{},
	}
	fk, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		n := &types.NativeTx{ChainID: f.chain, GroupID: f.group, BlockLimit: 1 << 40, Nonce: big.NewInt(int64(i)), Value: new(big.Int)}
		if err := n.Sign(suite, fk.PublicKey(), fk.Sign); err != nil {
			t.Fatal(err)
		}
		f.fillers = append(f.fillers, types.NewNativeTx(suite, n))
	}
	f.srv = rpc.NewServer()
	if err := f.srv.RegisterName("eth", &fakeEth{f}); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.RegisterName("bcos", &fakeBcos{f}); err != nil {
		t.Fatal(err)
	}
	ws := f.srv.WebsocketHandler([]string{"*"})
	f.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			ws.ServeHTTP(w, r)
			return
		}
		f.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { f.http.Close(); f.srv.Stop() })
	return f
}

func (f *fakeNode) httpURL() string { return f.http.URL }
func (f *fakeNode) wsURL() string   { return "ws" + strings.TrimPrefix(f.http.URL, "http") }

// setHeight moves the chain height (as if blocks were committed elsewhere)
// and announces it to newHeads subscribers.
func (f *fakeNode) setHeight(h uint64) {
	f.mu.Lock()
	f.height = h
	subs := append([]sub(nil), f.subs...)
	f.mu.Unlock()
	for _, s := range subs {
		if !s.logs {
			s.n.Notify(s.s.ID, map[string]any{"number": hexutil.Uint64(h)})
		}
	}
}

// set changes knobs under the node's lock.
func (f *fakeNode) set(change func(f *fakeNode)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeNode) limits() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]uint64(nil), f.sentLimits...)
}

// execute runs the test contract; it changes state only when commit is set.
func (f *fakeNode) execute(from common.Address, to *common.Address, input []byte, commit bool) (r *types.Receipt) {
	r = &types.Receipt{Status: types.ReceiptSuccess, GasUsed: 21000}
	if to == nil {
		if len(input) < len(testBytecode)+32 {
			r.Status, r.ErrorMessage = types.ReceiptFailed, "bad init code"
			return r
		}
		addr := ethcrypto.CreateAddress(from, uint64(len(f.contracts)))
		if commit {
			f.contracts[addr] = new(big.Int).SetBytes(input[len(testBytecode) : len(testBytecode)+32])
		}
		r.ContractAddress = addr
		return r
	}
	val, ok := f.contracts[*to]
	if !ok {
		return r // a plain transfer
	}
	if len(input) < 4 {
		r.Status, r.ErrorMessage = types.ReceiptFailed, "execution reverted"
		return r
	}
	m, err := f.abi.MethodById(input[:4])
	if err != nil {
		r.Status, r.ErrorMessage = types.ReceiptFailed, "execution reverted"
		return r
	}
	switch m.Name {
	case "get":
		r.Output, _ = m.Outputs.Pack(val)
	case "set":
		args, err := m.Inputs.Unpack(input[4:])
		if err != nil {
			r.Status, r.ErrorMessage = types.ReceiptFailed, "execution reverted"
			return r
		}
		v := args[0].(*big.Int)
		if commit {
			f.contracts[*to] = v
		}
		data, _ := f.abi.Events["Set"].Inputs.NonIndexed().Pack(v)
		r.Logs = []*types.Log{{Address: *to, Topics: []common.Hash{f.abi.Events["Set"].ID, common.BytesToHash(from.Bytes())}, Data: data}}
	case "fail":
		strT, _ := abi.NewType("string", "", nil)
		enc, _ := abi.Arguments{{Type: strT}}.Pack("nope")
		r.Status, r.ErrorMessage, r.Output = types.ReceiptFailed, "execution reverted", append(common.CopyBytes(errorSelector), enc...)
	case "failCustom":
		e := f.abi.Errors["Insufficient"]
		enc, _ := e.Inputs.Pack(big.NewInt(10), val)
		r.Status, r.ErrorMessage, r.Output = types.ReceiptFailed, "execution reverted", append(e.ID[:4:4], enc...)
	}
	return r
}

// admit verifies tx and, unless swallowed, commits it in a new block.
func (f *fakeNode) admit(raw []byte) (*types.Transaction, error) {
	tx, err := types.DecodeTx(f.suite, raw)
	if err != nil {
		return nil, &rpcErr{-32602, err.Error(), nil}
	}
	from, err := tx.Verify(f.suite, f.chain, f.group)
	if err != nil {
		return nil, &rpcErr{-32000, err.Error(), nil}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := tx.Native(); n != nil {
		f.sentLimits = append(f.sentLimits, n.BlockLimit)
		if f.rejectBlockLimit || n.BlockLimit <= f.height || n.BlockLimit > f.height+f.window {
			return nil, &rpcErr{-32000, fmt.Sprintf("invalid block limit %d: expired or beyond the window (chain height %d, window %d)", n.BlockLimit, f.height, f.window), nil}
		}
		if f.swallow {
			f.height = n.BlockLimit
			return tx, nil
		}
	} else {
		if tx.Nonce() != f.ethNonce[from] {
			return nil, &rpcErr{-32000, fmt.Sprintf("nonce %d, want %d", tx.Nonce(), f.ethNonce[from]), nil}
		}
		f.ethNonce[from]++
	}
	f.commitLocked(tx, from)
	return tx, nil
}

func (f *fakeNode) commitLocked(tx *types.Transaction, from common.Address) {
	txs := []*types.Transaction{f.fillers[0], f.fillers[1], tx, f.fillers[2], f.fillers[3]}
	var rs []*types.Receipt
	var cum uint64
	for i, t := range txs {
		r := &types.Receipt{Status: types.ReceiptSuccess, GasUsed: 21000}
		if i == 2 {
			r = f.execute(from, t.To(), t.Data(), true)
			r.From, r.To = from, t.To()
		}
		cum += r.GasUsed
		r.TxHash, r.TxIndex, r.CumulativeGasUsed = t.Hash(), uint64(i), cum
		rs = append(rs, r)
	}
	f.height++
	h := &types.Header{ParentHash: f.parent, Number: f.height, Timestamp: uint64(time.Now().Unix()),
		TxRoot: types.TxRoot(f.suite, txs), ReceiptRoot: types.ReceiptRoot(f.suite, rs), LogsBloom: types.LogsBloom(rs), GasUsed: cum}
	b := &fakeBlock{header: h, hash: h.Hash(f.suite), txs: txs, receipts: rs}
	f.parent = b.hash
	f.blocks[b.hash] = b
	for i, r := range rs {
		r.BlockNumber, r.BlockHash = h.Number, b.hash
		f.txBlock[txs[i].Hash()] = b
	}
	var logs []map[string]any
	for _, l := range f.receiptJSONLocked(rs[2])["logs"].([]map[string]any) {
		logs = append(logs, l)
	}
	for id := range f.filters {
		f.filters[id] = append(f.filters[id], logs...)
	}
	for _, s := range f.subs {
		if s.logs {
			for _, l := range logs {
				s.n.Notify(s.s.ID, l)
			}
		} else {
			s.n.Notify(s.s.ID, map[string]any{"number": hexutil.Uint64(h.Number), "hash": b.hash})
		}
	}
}

func (f *fakeNode) receiptJSONLocked(r *types.Receipt) map[string]any {
	logs := []map[string]any{}
	for i, l := range r.Logs {
		logs = append(logs, map[string]any{
			"address": l.Address, "topics": l.Topics, "data": hexutil.Bytes(l.Data),
			"blockNumber": hexutil.Uint64(r.BlockNumber), "blockHash": r.BlockHash, "transactionHash": r.TxHash,
			"transactionIndex": hexutil.Uint64(r.TxIndex), "logIndex": hexutil.Uint64(i), "removed": false,
		})
	}
	m := map[string]any{
		"transactionHash": r.TxHash, "transactionIndex": hexutil.Uint64(r.TxIndex), "blockHash": r.BlockHash,
		"blockNumber": hexutil.Uint64(r.BlockNumber), "from": r.From, "to": r.To,
		"status": hexutil.Uint64(r.Status), "gasUsed": hexutil.Uint64(r.GasUsed), "cumulativeGasUsed": hexutil.Uint64(r.CumulativeGasUsed),
		"logs": logs, "output": hexutil.Bytes(r.Output), "errorMessage": r.ErrorMessage, "contractAddress": nil,
	}
	if r.ContractAddress != (common.Address{}) {
		m["contractAddress"] = r.ContractAddress
	}
	if f.tamperReceipt != nil {
		f.tamperReceipt(m)
	}
	return m
}

func (f *fakeNode) receiptLocked(hash common.Hash) (*types.Receipt, *fakeBlock, int) {
	b, ok := f.txBlock[hash]
	if !ok {
		return nil, nil, -1
	}
	for i, t := range b.txs {
		if t.Hash() == hash {
			return b.receipts[i], b, i
		}
	}
	return nil, nil, -1
}

func (f *fakeNode) addSub(ctx context.Context, logs bool) (*rpc.Subscription, error) {
	n, ok := rpc.NotifierFromContext(ctx)
	if !ok {
		return nil, rpc.ErrNotificationsUnsupported
	}
	s := n.CreateSubscription()
	f.mu.Lock()
	f.subs = append(f.subs, sub{n, s, logs})
	f.mu.Unlock()
	go func() {
		<-s.Err()
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, x := range f.subs {
			if x.s == s {
				f.subs = append(f.subs[:i], f.subs[i+1:]...)
				break
			}
		}
	}()
	return s, nil
}

type fakeEth struct{ f *fakeNode }

type callArgsJSON struct {
	From  common.Address  `json:"from"`
	To    *common.Address `json:"to"`
	Input hexutil.Bytes   `json:"input"`
	Data  hexutil.Bytes   `json:"data"`
	Value *hexutil.Big    `json:"value"`
}

type filterCrit struct {
	Address []common.Address `json:"address"`
}

func (e *fakeEth) ChainId() hexutil.Uint64 { return hexutil.Uint64(e.f.chain) }

func (e *fakeEth) BlockNumber() hexutil.Uint64 {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	return hexutil.Uint64(e.f.height)
}

func (e *fakeEth) GetTransactionReceipt(hash common.Hash) map[string]any {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	r, _, _ := e.f.receiptLocked(hash)
	if r == nil {
		return nil
	}
	return e.f.receiptJSONLocked(r)
}

func (e *fakeEth) GetBlockByHash(hash common.Hash, full bool) map[string]any {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	b, ok := e.f.blocks[hash]
	if !ok {
		return nil
	}
	return map[string]any{"hash": b.hash, "number": hexutil.Uint64(b.header.Number), "parentHash": b.header.ParentHash,
		"transactionsRoot": b.header.TxRoot, "receiptsRoot": b.header.ReceiptRoot}
}

func (e *fakeEth) Call(args callArgsJSON, tag string) (hexutil.Bytes, error) {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	if len(args.Input) > 0 && len(args.Data) > 0 && string(args.Input) != string(args.Data) {
		return nil, &rpcErr{-32602, "both input and data given, and they differ", nil}
	}
	r := e.f.execute(args.From, args.To, args.Input, false)
	if r.Status != types.ReceiptSuccess {
		return nil, execErr(r.Output)
	}
	return r.Output, nil
}

func (e *fakeEth) EstimateGas(args callArgsJSON) hexutil.Uint64 { return 100000 }

func (e *fakeEth) GetTransactionCount(addr common.Address, tag string) hexutil.Uint64 {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	return hexutil.Uint64(e.f.ethNonce[addr])
}

func (e *fakeEth) SendRawTransaction(raw hexutil.Bytes) (common.Hash, error) {
	tx, err := e.f.admit(raw)
	if err != nil {
		return common.Hash{}, err
	}
	return tx.Hash(), nil
}

func (e *fakeEth) NewFilter(crit filterCrit) string {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	e.f.nextID++
	id := fmt.Sprintf("0x%x", e.f.nextID)
	e.f.filters[id] = []map[string]any{}
	return id
}

func (e *fakeEth) GetFilterChanges(id string) ([]map[string]any, error) {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	logs, ok := e.f.filters[id]
	if !ok {
		return nil, &rpcErr{-32000, "filter not found", nil}
	}
	e.f.filters[id] = []map[string]any{}
	return logs, nil
}

func (e *fakeEth) UninstallFilter(id string) bool {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	_, ok := e.f.filters[id]
	delete(e.f.filters, id)
	return ok
}

func (e *fakeEth) Logs(ctx context.Context, crit filterCrit) (*rpc.Subscription, error) {
	return e.f.addSub(ctx, true)
}

func (e *fakeEth) NewHeads(ctx context.Context) (*rpc.Subscription, error) {
	return e.f.addSub(ctx, false)
}

type fakeBcos struct{ f *fakeNode }

func (b *fakeBcos) GetChainInfo() (map[string]any, error) {
	f := b.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noChainInfo {
		return map[string]any{"hello": "world"}, nil
	}
	return map[string]any{
		"chainId": hexutil.Uint64(f.chain), "groupId": f.group, "cryptoSuite": f.suite.Name(), "consensus": "solo",
		"sealers": []map[string]any{{"nodeId": hexutil.Bytes{4, 1, 2}, "address": common.HexToAddress("0x01")}},
		"version": "test", "blockNumber": hexutil.Uint64(f.height), "blockLimitWindow": hexutil.Uint64(f.window),
		"txGasLimit": hexutil.Uint64(3000000),
	}, nil
}

func (b *fakeBcos) SendTransaction(raw hexutil.Bytes, wait bool) (any, error) {
	tx, err := b.f.admit(raw)
	if err != nil {
		return nil, err
	}
	if !wait || b.f.swallow {
		return tx.Hash(), nil
	}
	b.f.mu.Lock()
	defer b.f.mu.Unlock()
	r, _, _ := b.f.receiptLocked(tx.Hash())
	return b.f.receiptJSONLocked(r), nil
}

func (b *fakeBcos) proof(hash common.Hash, receipt bool) map[string]any {
	f := b.f
	f.mu.Lock()
	defer f.mu.Unlock()
	r, blk, idx := f.receiptLocked(hash)
	if r == nil {
		return nil
	}
	leaves, root := types.TxLeaves(f.suite, blk.txs), blk.header.TxRoot
	if receipt {
		leaves, root = types.ReceiptLeaves(f.suite, blk.receipts), blk.header.ReceiptRoot
	}
	steps, err := types.MerkleProof(f.suite, leaves, idx)
	if err != nil {
		f.t.Errorf("fake: %v", err)
		return nil
	}
	p := map[string]any{"blockNumber": hexutil.Uint64(blk.header.Number), "blockHash": blk.hash, "index": hexutil.Uint64(idx),
		"txHash": hash, "root": root, "proof": steps}
	if receipt {
		p["receipt"] = hexutil.Bytes(types.EncodeReceipt(r))
	}
	if f.tamperProof != nil {
		f.tamperProof(p)
	}
	return p
}

func (b *fakeBcos) GetTransactionProof(hash common.Hash) map[string]any { return b.proof(hash, false) }
func (b *fakeBcos) GetReceiptProof(hash common.Hash) map[string]any     { return b.proof(hash, true) }

// fakeClock is a settable clock for height-cache tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func dial(t testing.TB, url string, opts ...Option) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, append([]Option{WithPollInterval(5 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
