package node

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/ledger"
	"github.com/gobcos/gobcos/rpc"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// backend serves the JSON-RPC server from the group's components.
type backend struct{ n *Node }

var _ rpc.Backend = (*backend)(nil)
var _ rpc.TxPreverifier = (*backend)(nil)
var _ rpc.TxBatchSender = (*backend)(nil)
var _ rpc.PoolInspector = (*backend)(nil)

func (b *backend) ChainID() uint64       { return b.n.genesis.ChainID }
func (b *backend) GroupID() string       { return b.n.genesis.GroupID }
func (b *backend) Suite() crypto.Suite   { return b.n.suite }
func (b *backend) ClientVersion() string { return "gobcos/v" + Version }

// PeerCount is the number of connected P2P peers (0 on a solo chain).
func (b *backend) PeerCount() int { return b.n.PeerCount() }

func (b *backend) Head() *types.Header { return b.n.ledger.Head() }

func (b *backend) HeaderByNumber(number uint64) (*types.Header, error) {
	return b.n.ledger.HeaderByNumber(number)
}

func (b *backend) HeaderByHash(hash common.Hash) (*types.Header, error) {
	return b.n.ledger.HeaderByHash(hash)
}

func (b *backend) BlockByNumber(number uint64) (*types.Block, error) {
	return b.n.ledger.BlockByNumber(number)
}

func (b *backend) BlockByHash(hash common.Hash) (*types.Block, error) {
	return b.n.ledger.BlockByHash(hash)
}

func (b *backend) Receipts(number uint64) ([]*types.Receipt, error) {
	return b.n.ledger.Receipts(number)
}

func (b *backend) TxByHash(hash common.Hash) (*rpc.TxLookup, error) {
	tx, loc, err := b.n.ledger.TxByHash(hash)
	if err == nil && loc.BlockNumber > b.n.ledger.Height() {
		// Committed to storage a moment ago, but the head has not moved
		// yet: answer as of the head, where the tx is not visible.
		err = ledger.ErrNotFound
	}
	if err == nil {
		return &rpc.TxLookup{Tx: tx, BlockNumber: loc.BlockNumber, BlockHash: loc.BlockHash, Index: loc.Index}, nil
	}
	if !errors.Is(err, ledger.ErrNotFound) {
		return nil, err
	}
	if tx := b.n.pool.Get(hash); tx != nil {
		return &rpc.TxLookup{Tx: tx, Pending: true}, nil
	}
	// The tx may have left the pool for the ledger after the ledger was
	// asked: ask it again before answering that the tx is unknown.
	if tx, loc, err2 := b.n.ledger.TxByHash(hash); err2 == nil && loc.BlockNumber <= b.n.ledger.Height() {
		return &rpc.TxLookup{Tx: tx, BlockNumber: loc.BlockNumber, BlockHash: loc.BlockHash, Index: loc.Index}, nil
	}
	return nil, fmt.Errorf("%w: %w", rpc.ErrNotFound, err)
}

// stateAt returns a read-only view of the state after block number (at
// most the ledger's head) and the function that releases it. The view is
// over a storage snapshot, so a block committed meanwhile does not show:
// at the state's latest block it is the snapshot's flat state, before it
// the state history (state.AtBlock).
func (b *backend) stateAt(number uint64) (storage.Reader, func(), error) {
	snap, err := b.n.kv.NewSnapshot()
	if err != nil {
		return nil, nil, fmt.Errorf("state at block %d: %w", number, err)
	}
	view, err := state.AtBlock(snap, number)
	if errors.Is(err, state.ErrNoHistory) && number == b.n.ledger.Height() {
		// A store written before history was kept, with no block since:
		// its flat state is the head's.
		view, err = snap, nil
	}
	if err != nil {
		snap.Release()
		return nil, nil, fmt.Errorf("state at block %d: %w", number, err)
	}
	return view, snap.Release, nil
}

// read runs f on a Reader of the state after block number.
func read[T any](b *backend, number uint64, f func(*state.Reader) (T, error)) (T, error) {
	view, release, err := b.stateAt(number)
	if err != nil {
		var zero T
		return zero, err
	}
	defer release()
	return f(state.NewReader(view))
}

func (b *backend) Balance(addr common.Address, number uint64) (*big.Int, error) {
	return read(b, number, func(r *state.Reader) (*big.Int, error) { return r.Balance(addr) })
}

func (b *backend) Nonce(addr common.Address, number uint64) (uint64, error) {
	return read(b, number, func(r *state.Reader) (uint64, error) { return r.Nonce(addr) })
}

func (b *backend) Code(addr common.Address, number uint64) ([]byte, error) {
	return read(b, number, func(r *state.Reader) ([]byte, error) { return r.Code(addr) })
}

func (b *backend) Storage(addr common.Address, slot common.Hash, number uint64) (common.Hash, error) {
	return read(b, number, func(r *state.Reader) (common.Hash, error) { return r.Storage(addr, slot) })
}

func (b *backend) PendingNonce(addr common.Address) (uint64, error) {
	return b.n.pool.PendingNonce(addr), nil
}

// PendingTxHashes implements rpc.PendingTxLister.
func (b *backend) PendingTxHashes(limit int) []common.Hash {
	txs := b.n.pool.Content()
	out := make([]common.Hash, 0, min(limit, len(txs)))
	for _, tx := range txs[:min(limit, len(txs))] {
		out = append(out, tx.Hash())
	}
	return out
}

// PoolContent implements rpc.PoolInspector.
func (b *backend) PoolContent() (executable, queued []*types.Transaction) {
	return b.n.pool.Inspect()
}

func (b *backend) PendingTxCount() int {
	count, _ := b.n.pool.Stats()
	return count
}

func (b *backend) SendTx(ctx context.Context, tx *types.Transaction) error {
	if err := b.n.checkUpgradeProposal(tx); err != nil {
		return err
	}
	if err := b.n.addTx(ctx, tx, txSourceRPC); err != nil {
		return err
	}
	b.n.journalAccepted([]*types.Transaction{tx})
	b.n.gossipTx(tx)
	return nil
}

// SendTxs implements rpc.TxBatchSender: SendTx for each tx, in order,
// with one admission to the pool for all of them.
func (b *backend) SendTxs(ctx context.Context, txs []*types.Transaction) []error {
	errs := make([]error, len(txs))
	add := make([]*types.Transaction, 0, len(txs))
	at := make([]int, 0, len(txs)) // add[k] is txs[at[k]]
	for i, tx := range txs {
		if err := b.n.checkUpgradeProposal(tx); err != nil {
			errs[i] = err
			continue
		}
		add = append(add, tx)
		at = append(at, i)
	}
	accepted := add[:0:0]
	for k, err := range b.n.addTxs(ctx, add, txSourceRPC) {
		errs[at[k]] = err
		if err == nil {
			accepted = append(accepted, add[k])
		}
	}
	b.n.journalAccepted(accepted)
	for _, tx := range accepted {
		b.n.gossipTx(tx)
	}
	return errs
}

// PreverifyTxs checks the signatures of a JSON-RPC batch's txs together,
// on the verifier's workers; the SendTx calls that follow find them known.
func (b *backend) PreverifyTxs(ctx context.Context, txs []*types.Transaction) {
	b.n.sigs.VerifyBatch(ctx, txs)
}

// callEnv is the block context a call at block number runs in: that
// block's number, timestamp and sealer.
func (b *backend) callEnv(number uint64) (executor.BlockEnv, error) {
	h, err := b.n.ledger.HeaderByNumber(number)
	if err != nil {
		return executor.BlockEnv{}, fmt.Errorf("header of block %d: %w", number, err)
	}
	return executor.BlockEnv{
		Number:    h.Number,
		Timestamp: h.Timestamp,
		Sealer:    h.Sealer,
		GetHash: func(n uint64) common.Hash {
			hash, _ := b.n.ledger.HashByNumber(n)
			return hash
		},
	}, nil
}

// execAt prepares a call at block number: its context and state view.
func (b *backend) execAt(number uint64) (executor.BlockEnv, storage.Reader, func(), error) {
	env, err := b.callEnv(number)
	if err != nil {
		return env, nil, nil, err
	}
	view, release, err := b.stateAt(number)
	return env, view, release, err
}

func toExecMsg(m rpc.CallMsg) executor.CallMsg {
	return executor.CallMsg{From: m.From, To: m.To, Gas: m.Gas, Value: m.Value, Data: m.Data}
}

func fromCallResult(r *executor.CallResult) *rpc.ExecResult {
	if r == nil {
		return nil
	}
	out := &rpc.ExecResult{ReturnData: r.Return, GasUsed: r.GasUsed, Err: r.Err}
	if r.Revert != nil {
		out.Reverted, out.ReturnData, out.Err = true, r.Revert, nil
	}
	return out
}

func (b *backend) Call(ctx context.Context, msg rpc.CallMsg, number uint64) (*rpc.ExecResult, error) {
	env, view, release, err := b.execAt(number)
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := b.n.exec.Call(ctx, env, toExecMsg(msg), view)
	if err != nil {
		return nil, err
	}
	return fromCallResult(res), nil
}

func (b *backend) EstimateGas(ctx context.Context, msg rpc.CallMsg, number uint64) (*rpc.ExecResult, error) {
	env, view, release, err := b.execAt(number)
	if err != nil {
		return nil, err
	}
	defer release()
	gas, res, err := b.n.exec.EstimateGas(ctx, env, toExecMsg(msg), view)
	if err != nil && res == nil {
		return nil, err
	}
	out := fromCallResult(res)
	if out == nil {
		out = &rpc.ExecResult{}
	}
	if err == nil && !out.Reverted && out.Err == nil {
		out.GasUsed = gas
	}
	return out, nil
}

func (b *backend) ChainInfo() rpc.ChainInfo {
	g := b.n.genesis
	sealers := make([]rpc.SealerInfo, len(g.Sealers))
	for i, pub := range g.Sealers {
		sealers[i] = rpc.SealerInfo{NodeID: pub, Address: b.n.suite.Address(pub)}
	}
	txGas := g.TxGasLimit
	if r, err := b.n.RulesAt(b.n.ledger.Height() + 1); err == nil {
		txGas = r.TxGasLimit // the tx_gas_limit in force for the next block
	}
	return rpc.ChainInfo{
		Consensus:        g.Consensus,
		Sealers:          sealers,
		Version:          Version,
		BlockLimitWindow: g.BlockLimitWindow,
		TxGasLimit:       txGas,
	}
}

// SystemConfig returns the system configuration in force for the next
// block: the governance state after the head block (values changed by
// proposal included), with the genesis values for keys a chain made before
// governance does not hold.
func (b *backend) SystemConfig() (map[string]string, error) {
	out := b.n.genesis.GovernanceGenesis().Config
	head := b.n.ledger.Height()
	cfg, err := read(b, head, func(r *state.Reader) (map[string]precompiled.ConfigValue, error) {
		return precompiled.NewGovernanceReader(r).SystemConfig(head + 1)
	})
	if err != nil {
		return nil, err
	}
	for k, v := range cfg {
		out[k] = v.Value
	}
	return out, nil
}

// Syncing reports the block syncer's progress while a peer is ahead.
func (b *backend) Syncing() (rpc.SyncProgress, bool) {
	if b.n.syncer == nil {
		return rpc.SyncProgress{}, false
	}
	st := b.n.syncer.Status()
	if !st.Syncing || st.Highest <= st.Current {
		b.n.syncMu.Lock()
		b.n.syncing = false
		b.n.syncMu.Unlock()
		return rpc.SyncProgress{}, false
	}
	return rpc.SyncProgress{StartingBlock: b.n.syncStart(st.Current), CurrentBlock: st.Current, HighestBlock: st.Highest}, true
}

// SubscribeCommits forwards the ledger's commit events to ch.
func (b *backend) SubscribeCommits(ch chan<- rpc.CommitEvent) func() {
	events, cancel := b.n.ledger.Subscribe(4096)
	done := make(chan struct{})
	var once sync.Once
	go func() {
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					return
				}
				select {
				case ch <- rpc.CommitEvent{Block: ev.Block, Receipts: ev.Receipts}:
				case <-done:
					return
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		once.Do(func() {
			close(done)
			cancel()
		})
	}
}
