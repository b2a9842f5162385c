package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/txtest"
	"github.com/gobcos/gobcos/types"
)

// fakeChain is an in-memory Backend: a ledger of blocks and receipts, a
// pool, a state (the live maps answer at the head; a copy taken as each
// block is appended answers for that block later) and a scripted executor.

const (
	testChainID = 20200
	testGroupID = "group0"
)

var (
	revertAddr    = common.HexToAddress("0x00000000000000000000000000000000000000aa")
	customErrAddr = common.HexToAddress("0x00000000000000000000000000000000000000bb")
	oogAddr       = common.HexToAddress("0x00000000000000000000000000000000000000cc")
	tokenAddr     = common.HexToAddress("0x1000000000000000000000000000000000000001")
	otherAddr     = common.HexToAddress("0x2000000000000000000000000000000000000002")
	transferTopic = ethcrypto.Keccak256Hash([]byte("Transfer(address,address,uint256)"))
)

type fakeChain struct {
	mu        sync.Mutex
	suite     crypto.Suite
	sealer    crypto.PrivateKey
	blocks    []*types.Block
	receipts  [][]*types.Receipt
	txIndex   map[common.Hash][2]uint64
	pool      []*types.Transaction
	nonces    map[common.Address]uint64
	balances  map[common.Address]*big.Int
	code      map[common.Address][]byte
	storage   map[common.Address]map[common.Hash]common.Hash
	subs      map[int]chan<- CommitEvent
	pendSubs  map[int]chan<- common.Hash
	nextSub   int
	syncing   *SyncProgress
	sysConfig map[string]string
	reads     int // BlockByNumber calls
	peers     int
	past      []*fakeState // state after each block, taken when it was appended
	execAt    []uint64     // block numbers Call, EstimateGas and CreateAccessList ran at
}

// fakeState is a copy of the fake's state at one block.
type fakeState struct {
	nonces   map[common.Address]uint64
	balances map[common.Address]*big.Int
	code     map[common.Address][]byte
	storage  map[common.Address]map[common.Hash]common.Hash
}

// stateAt returns the state after block n: the live maps at the head, the
// copy taken when block n was appended before it. f.mu must be held.
func (f *fakeChain) stateAt(n uint64) (*fakeState, error) {
	head := uint64(len(f.blocks) - 1)
	switch {
	case n > head:
		return nil, fmt.Errorf("fake backend: state of block %d asked, head is %d", n, head)
	case n == head:
		return &fakeState{nonces: f.nonces, balances: f.balances, code: f.code, storage: f.storage}, nil
	}
	return f.past[n], nil
}

// snapshotState copies the live state. f.mu must be held.
func (f *fakeChain) snapshotState() *fakeState {
	st := &fakeState{
		nonces:   maps.Clone(f.nonces),
		balances: make(map[common.Address]*big.Int, len(f.balances)),
		code:     maps.Clone(f.code),
		storage:  make(map[common.Address]map[common.Hash]common.Hash, len(f.storage)),
	}
	for a, b := range f.balances {
		st.balances[a] = new(big.Int).Set(b)
	}
	for a, m := range f.storage {
		st.storage[a] = maps.Clone(m)
	}
	return st
}

func newFakeChain(t testing.TB) *fakeChain {
	t.Helper()
	suite := crypto.ECDSA()
	sealer := testKey(t, 100)
	f := &fakeChain{
		suite:     suite,
		sealer:    sealer,
		txIndex:   make(map[common.Hash][2]uint64),
		nonces:    make(map[common.Address]uint64),
		balances:  make(map[common.Address]*big.Int),
		code:      make(map[common.Address][]byte),
		storage:   make(map[common.Address]map[common.Hash]common.Hash),
		subs:      make(map[int]chan<- CommitEvent),
		pendSubs:  make(map[int]chan<- common.Hash),
		sysConfig: map[string]string{"tx_count_limit": "1000", "tx_gas_limit": "300000000", "consensus_leader_period": "1"},
		peers:     3,
	}
	f.appendBlock(nil, nil, 1700000000)
	return f
}

func testKey(t testing.TB, seed byte) crypto.PrivateKey {
	t.Helper()
	raw := bytes.Repeat([]byte{seed}, 32)
	k, err := crypto.ECDSA().ParsePrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Backend implementation.

func (f *fakeChain) ChainID() uint64       { return testChainID }
func (f *fakeChain) GroupID() string       { return testGroupID }
func (f *fakeChain) Suite() crypto.Suite   { return f.suite }
func (f *fakeChain) ClientVersion() string { return "gobcos/v0.0.0-test" }
func (f *fakeChain) PeerCount() int        { return f.peers }

func (f *fakeChain) Head() *types.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blocks[len(f.blocks)-1].Header
}

func (f *fakeChain) HeaderByNumber(n uint64) (*types.Header, error) {
	b, err := f.BlockByNumber(n)
	if err != nil {
		return nil, err
	}
	return b.Header, nil
}

func (f *fakeChain) HeaderByHash(h common.Hash) (*types.Header, error) {
	b, err := f.BlockByHash(h)
	if err != nil {
		return nil, err
	}
	return b.Header, nil
}

func (f *fakeChain) BlockByNumber(n uint64) (*types.Block, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if n >= uint64(len(f.blocks)) {
		return nil, fmt.Errorf("block %d: %w", n, ErrNotFound)
	}
	return f.blocks[n], nil
}

func (f *fakeChain) BlockByHash(h common.Hash) (*types.Block, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.blocks {
		if b.Header.Hash(f.suite) == h {
			return b, nil
		}
	}
	return nil, ErrNotFound
}

func (f *fakeChain) Receipts(n uint64) ([]*types.Receipt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n >= uint64(len(f.receipts)) {
		return nil, ErrNotFound
	}
	return f.receipts[n], nil
}

func (f *fakeChain) TxByHash(h common.Hash) (*TxLookup, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if loc, ok := f.txIndex[h]; ok {
		b := f.blocks[loc[0]]
		return &TxLookup{Tx: b.Txs[loc[1]], BlockNumber: loc[0], BlockHash: b.Header.Hash(f.suite), Index: loc[1]}, nil
	}
	for _, tx := range f.pool {
		if tx.Hash() == h {
			return &TxLookup{Tx: tx, Pending: true}, nil
		}
	}
	return nil, nil
}

func (f *fakeChain) Balance(a common.Address, n uint64) (*big.Int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.stateAt(n)
	if err != nil {
		return nil, err
	}
	return st.balances[a], nil
}

func (f *fakeChain) Nonce(a common.Address, n uint64) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.stateAt(n)
	if err != nil {
		return 0, err
	}
	return st.nonces[a], nil
}

func (f *fakeChain) Code(a common.Address, n uint64) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.stateAt(n)
	if err != nil {
		return nil, err
	}
	return st.code[a], nil
}

func (f *fakeChain) Storage(a common.Address, slot common.Hash, n uint64) (common.Hash, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.stateAt(n)
	if err != nil {
		return common.Hash{}, err
	}
	return st.storage[a][slot], nil
}

func (f *fakeChain) PendingNonce(a common.Address) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.nonces[a]
	for _, tx := range f.pool {
		if tx.IsEthereum() && tx.Sender() == a && tx.Nonce() >= n {
			n = tx.Nonce() + 1
		}
	}
	return n, nil
}

func (f *fakeChain) PendingTxHashes(limit int) []common.Hash {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []common.Hash
	for _, tx := range f.pool[:min(limit, len(f.pool))] {
		out = append(out, tx.Hash())
	}
	return out
}

func (f *fakeChain) PendingTxCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pool)
}

var (
	errFakeAlreadyKnown = errors.New("already known")
	errFakeNonceTooLow  = errors.New("nonce too low")
)

func (f *fakeChain) SendTx(_ context.Context, tx *types.Transaction) error {
	from, err := tx.Verify(f.suite, testChainID, testGroupID)
	if err != nil {
		return fmt.Errorf("invalid transaction: %w", err)
	}
	f.mu.Lock()
	if _, ok := f.txIndex[tx.Hash()]; ok {
		f.mu.Unlock()
		return errFakeAlreadyKnown
	}
	for _, p := range f.pool {
		if p.Hash() == tx.Hash() {
			f.mu.Unlock()
			return errFakeAlreadyKnown
		}
	}
	if tx.IsEthereum() && tx.Nonce() < f.nonces[from] {
		n := f.nonces[from]
		f.mu.Unlock()
		return fmt.Errorf("%w: next nonce %d, tx nonce %d", errFakeNonceTooLow, n, tx.Nonce())
	}
	f.pool = append(f.pool, tx)
	subs := make([]chan<- common.Hash, 0, len(f.pendSubs))
	for _, ch := range f.pendSubs {
		subs = append(subs, ch)
	}
	f.mu.Unlock()
	for _, ch := range subs {
		ch <- tx.Hash()
	}
	return nil
}

func revertData(reason string) []byte {
	typ, _ := abi.NewType("string", "", nil)
	enc, _ := abi.Arguments{{Type: typ}}.Pack(reason)
	return append([]byte{0x08, 0xc3, 0x79, 0xa0}, enc...)
}

// customErrData is `error Unauthorized(address)` with otherAddr.
func customErrData() []byte {
	sel := ethcrypto.Keccak256([]byte("Unauthorized(address)"))[:4]
	return append(sel, common.LeftPadBytes(otherAddr.Bytes(), 32)...)
}

func (f *fakeChain) exec(msg CallMsg, n uint64) *ExecResult {
	f.mu.Lock()
	f.execAt = append(f.execAt, n)
	f.mu.Unlock()
	if msg.To != nil {
		switch *msg.To {
		case revertAddr:
			return &ExecResult{ReturnData: revertData("boom"), GasUsed: 30000, Reverted: true}
		case customErrAddr:
			return &ExecResult{ReturnData: customErrData(), GasUsed: 30000, Reverted: true}
		case oogAddr:
			return &ExecResult{GasUsed: msg.Gas, Err: errors.New("out of gas")}
		}
	}
	return &ExecResult{ReturnData: append([]byte{0xca, 0xfe}, msg.Data...), GasUsed: 21000 + uint64(len(msg.Data))*16}
}

func (f *fakeChain) Call(_ context.Context, msg CallMsg, n uint64) (*ExecResult, error) {
	return f.exec(msg, n), nil
}

func (f *fakeChain) EstimateGas(_ context.Context, msg CallMsg, n uint64) (*ExecResult, error) {
	return f.exec(msg, n), nil
}

// lastExecBlock is the block number of the latest Call, EstimateGas or
// CreateAccessList.
func (f *fakeChain) lastExecBlock(t testing.TB) uint64 {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.execAt) == 0 {
		t.Fatal("nothing was executed")
	}
	return f.execAt[len(f.execAt)-1]
}

func (f *fakeChain) ChainInfo() ChainInfo {
	return ChainInfo{
		Consensus:        "pbft",
		Sealers:          []SealerInfo{{NodeID: f.sealer.PublicKey(), Address: f.sealer.Address()}},
		Version:          "3.0.0",
		BlockLimitWindow: 1000,
		TxGasLimit:       300000000,
	}
}

func (f *fakeChain) SystemConfig() (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]string, len(f.sysConfig))
	for k, v := range f.sysConfig {
		out[k] = v
	}
	return out, nil
}

func (f *fakeChain) Syncing() (SyncProgress, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.syncing == nil {
		return SyncProgress{}, false
	}
	return *f.syncing, true
}

func (f *fakeChain) SubscribeCommits(ch chan<- CommitEvent) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextSub
	f.nextSub++
	f.subs[id] = ch
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}

func (f *fakeChain) SubscribePendingTxs(ch chan<- common.Hash) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextSub
	f.nextSub++
	f.pendSubs[id] = ch
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.pendSubs, id)
	}
}

func (f *fakeChain) CreateAccessList(_ context.Context, msg CallMsg, n uint64) (ethtypes.AccessList, *ExecResult, error) {
	res := f.exec(msg, n)
	var al ethtypes.AccessList
	if msg.To != nil {
		al = ethtypes.AccessList{{Address: *msg.To, StorageKeys: []common.Hash{{0x01}}}}
	}
	return al, res, nil
}

// Building the chain.

// executeTx makes the receipt of a tx: value-carrying calls to tokenAddr
// emit a Transfer log, calls to revertAddr fail, creations get an address.
func (f *fakeChain) executeTx(tx *types.Transaction) *types.Receipt {
	from := tx.Sender()
	r := &types.Receipt{Status: types.ReceiptSuccess, GasUsed: 21000 + uint64(len(tx.Data()))*16}
	switch to := tx.To(); {
	case to == nil:
		r.ContractAddress = ethcrypto.CreateAddress(from, tx.Nonce())
		f.code[r.ContractAddress] = tx.Data()
	case *to == revertAddr:
		r.Status = types.ReceiptFailed
		r.Output = revertData("boom")
		r.ErrorMessage = "execution reverted: boom"
	case *to == tokenAddr:
		r.Logs = []*types.Log{{
			Address: tokenAddr,
			Topics:  []common.Hash{transferTopic, common.BytesToHash(from.Bytes()), common.BytesToHash(otherAddr.Bytes())},
			Data:    common.LeftPadBytes(tx.Value().Bytes(), 32),
		}}
	case *to == otherAddr:
		r.Logs = []*types.Log{{Address: otherAddr, Topics: []common.Hash{{0x42}}, Data: []byte{1, 2, 3}}}
	}
	if tx.IsEthereum() {
		f.nonces[from] = tx.Nonce() + 1
	}
	return r
}

// appendBlock commits txs as the next block; f.mu must not be held.
func (f *fakeChain) appendBlock(txs []*types.Transaction, _ []*types.Receipt, timestamp uint64) *types.Block {
	f.mu.Lock()
	number := uint64(len(f.blocks))
	var parent common.Hash
	if number > 0 {
		parent = f.blocks[number-1].Header.Hash(f.suite)
	}
	if number > 0 { // the head's state is final once the next block starts
		f.past = append(f.past, f.snapshotState())
	}
	rs := make([]*types.Receipt, len(txs))
	var gas uint64
	for i, tx := range txs {
		rs[i] = f.executeTx(tx)
		gas += rs[i].GasUsed
	}
	h := &types.Header{
		ParentHash:  parent,
		Number:      number,
		Timestamp:   timestamp,
		TxRoot:      types.TxRoot(f.suite, txs),
		ReceiptRoot: types.ReceiptRoot(f.suite, rs),
		StateRoot:   common.Hash{0x5e, byte(number)},
		LogsBloom:   types.LogsBloom(rs),
		GasUsed:     gas,
		GasLimit:    30000000,
		Sealer:      f.sealer.Address(),
		Extra:       []byte("fake"),
	}
	hash := h.Hash(f.suite)
	sig, _ := f.sealer.Sign(hash[:])
	h.Signatures = []types.CommitSig{{Index: 0, Signature: sig}}
	b := &types.Block{Header: h, Txs: txs}
	var cumulative uint64
	for i, r := range rs {
		cumulative += r.GasUsed
		r.TxHash, r.BlockNumber, r.BlockHash, r.TxIndex = txs[i].Hash(), number, hash, uint64(i)
		r.CumulativeGasUsed, r.From, r.To = cumulative, txs[i].Sender(), txs[i].To()
		f.txIndex[txs[i].Hash()] = [2]uint64{number, uint64(i)}
	}
	f.blocks = append(f.blocks, b)
	f.receipts = append(f.receipts, rs)
	subs := make([]chan<- CommitEvent, 0, len(f.subs))
	for _, ch := range f.subs {
		subs = append(subs, ch)
	}
	f.mu.Unlock()
	for _, ch := range subs {
		ch <- CommitEvent{Block: b, Receipts: rs}
	}
	return b
}

// mine commits the pool as one block.
func (f *fakeChain) mine() *types.Block {
	f.mu.Lock()
	txs := f.pool
	f.pool = nil
	ts := f.blocks[len(f.blocks)-1].Header.Timestamp + 1
	f.mu.Unlock()
	return f.appendBlock(txs, nil, ts)
}

// Transactions.

type txFactory struct {
	t     testing.TB
	key   crypto.PrivateKey
	nonce uint64
}

func (tf *txFactory) sign(inner ethtypes.TxData) *types.Transaction {
	tf.t.Helper()
	tx := txtest.SignEth(tf.t, tf.key, testChainID, inner)
	if _, err := tx.Verify(crypto.ECDSA(), testChainID, testGroupID); err != nil {
		tf.t.Fatal(err)
	}
	tf.nonce++
	return tx
}

func (tf *txFactory) legacy(to *common.Address, value int64, data []byte) *types.Transaction {
	return tf.sign(&ethtypes.LegacyTx{Nonce: tf.nonce, GasPrice: big.NewInt(0), Gas: 100000, To: to, Value: big.NewInt(value), Data: data})
}

func (tf *txFactory) accessList(to *common.Address, value int64) *types.Transaction {
	return tf.sign(&ethtypes.AccessListTx{ChainID: big.NewInt(testChainID), Nonce: tf.nonce, GasPrice: big.NewInt(0), Gas: 100000, To: to, Value: big.NewInt(value),
		AccessList: ethtypes.AccessList{{Address: tokenAddr, StorageKeys: []common.Hash{{0x01}}}}})
}

func (tf *txFactory) dynamic(to *common.Address, value int64) *types.Transaction {
	return tf.sign(&ethtypes.DynamicFeeTx{ChainID: big.NewInt(testChainID), Nonce: tf.nonce, GasTipCap: big.NewInt(2), GasFeeCap: big.NewInt(5), Gas: 100000, To: to, Value: big.NewInt(value)})
}

func nativeTx(t testing.TB, key crypto.PrivateKey, to *common.Address, input []byte, nonce int64) *types.Transaction {
	t.Helper()
	s := crypto.ECDSA()
	tx := txtest.SignNative(t, s, key, &types.NativeTx{ChainID: testChainID, GroupID: testGroupID, BlockLimit: 500,
		Nonce: big.NewInt(nonce), To: to, Value: new(big.Int), Input: input, Extra: []byte("memo")})
	if _, err := tx.Verify(s, testChainID, testGroupID); err != nil {
		t.Fatal(err)
	}
	return tx
}

// testEnv is a server over a fake chain with block 1 holding one tx of
// each kind: legacy, access list, dynamic fee, creation, native, revert.
type testEnv struct {
	t     *testing.T
	s     *Server
	f     *fakeChain
	alice *txFactory
	txs   []*types.Transaction
}

func newTestEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	f := newFakeChain(t)
	alice := &txFactory{t: t, key: testKey(t, 1)}
	bob := testKey(t, 2)
	txs := []*types.Transaction{
		alice.legacy(&tokenAddr, 7, nil),
		alice.accessList(&otherAddr, 0),
		alice.dynamic(&tokenAddr, 9),
		alice.legacy(nil, 0, []byte{0x60, 0x00}),
		nativeTx(t, bob, &otherAddr, []byte{0xab}, 77),
		alice.legacy(&revertAddr, 0, nil),
	}
	f.appendBlock(txs, nil, 1700000010)
	s := NewServer(f, cfg, nil)
	t.Cleanup(func() {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &testEnv{t: t, s: s, f: f, alice: alice, txs: txs}
}

// HTTP helpers.

type rpcResp struct {
	Version string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *Error          `json:"error"`
}

func post(t testing.TB, h http.Handler, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// call sends one request and returns its answer.
func (e *testEnv) call(method string, params ...any) rpcResp {
	e.t.Helper()
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		e.t.Fatal(err)
	}
	w := post(e.t, e.s.Handler(), string(body))
	var r rpcResp
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		e.t.Fatalf("%s: bad response %q: %v", method, w.Body.String(), err)
	}
	if r.Version != "2.0" || string(r.ID) != "1" {
		e.t.Fatalf("%s: bad envelope %s", method, w.Body.String())
	}
	return r
}

// ok calls a method that must succeed and returns its result.
func (e *testEnv) ok(method string, params ...any) json.RawMessage {
	e.t.Helper()
	r := e.call(method, params...)
	if r.Error != nil {
		e.t.Fatalf("%s%v: unexpected error %d %q", method, params, r.Error.Code, r.Error.Message)
	}
	return r.Result
}

// fails calls a method that must fail with code and a message containing
// every fragment.
func (e *testEnv) fails(code int, fragments []string, method string, params ...any) *Error {
	e.t.Helper()
	r := e.call(method, params...)
	if r.Error == nil {
		e.t.Fatalf("%s%v: want error %d, got result %s", method, params, code, r.Result)
	}
	if r.Error.Code != code {
		e.t.Fatalf("%s%v: want code %d, got %d %q", method, params, code, r.Error.Code, r.Error.Message)
	}
	for _, f := range fragments {
		if !strings.Contains(r.Error.Message, f) {
			e.t.Fatalf("%s%v: message %q lacks %q", method, params, r.Error.Message, f)
		}
	}
	return r.Error
}

func decode[T any](t testing.TB, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return v
}

// PoolContent implements PoolInspector: an Ethereum tx is queued when a
// nonce between its sender's committed nonce and its own is not pooled.
func (f *fakeChain) PoolContent() (exec, queued []*types.Transaction) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pooled := make(map[common.Address]map[uint64]bool)
	for _, tx := range f.pool {
		if tx.IsEthereum() {
			if pooled[tx.Sender()] == nil {
				pooled[tx.Sender()] = make(map[uint64]bool)
			}
			pooled[tx.Sender()][tx.Nonce()] = true
		}
	}
	for _, tx := range f.pool {
		gap := false
		if tx.IsEthereum() {
			for n := f.nonces[tx.Sender()]; n < tx.Nonce(); n++ {
				gap = gap || !pooled[tx.Sender()][n]
			}
		}
		if gap {
			queued = append(queued, tx)
		} else {
			exec = append(exec, tx)
		}
	}
	return exec, queued
}
