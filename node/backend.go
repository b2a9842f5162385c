package node

import (
	"context"
	"errors"
	"math/big"
	"strconv"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/ledger"
	"github.com/gobcos/gobcos/rpc"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/types"
)

// backend serves the JSON-RPC server from the group's components.
type backend struct{ n *Node }

var _ rpc.Backend = (*backend)(nil)

func (b *backend) ChainID() uint64       { return b.n.genesis.ChainID }
func (b *backend) GroupID() string       { return b.n.genesis.GroupID }
func (b *backend) Suite() crypto.Suite   { return b.n.suite }
func (b *backend) ClientVersion() string { return "gobcos/v" + Version }
func (b *backend) PeerCount() int        { return 0 }

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
	return nil, err
}

func (b *backend) reader() *state.Reader { return state.NewReader(b.n.kv) }

func (b *backend) Balance(addr common.Address) (*big.Int, error) { return b.reader().Balance(addr) }
func (b *backend) Nonce(addr common.Address) (uint64, error)     { return b.reader().Nonce(addr) }
func (b *backend) Code(addr common.Address) ([]byte, error)      { return b.reader().Code(addr) }

func (b *backend) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	return b.reader().Storage(addr, slot)
}

func (b *backend) PendingNonce(addr common.Address) (uint64, error) {
	return b.n.pool.PendingNonce(addr), nil
}

func (b *backend) PendingTxCount() int {
	count, _ := b.n.pool.Stats()
	return count
}

func (b *backend) SendTx(ctx context.Context, tx *types.Transaction) error {
	return b.n.pool.Add(ctx, []*types.Transaction{tx})[0]
}

// callEnv is the block context calls run in: the head block's.
func (b *backend) callEnv() executor.BlockEnv {
	h := b.n.ledger.Head()
	return executor.BlockEnv{
		Number:    h.Number,
		Timestamp: h.Timestamp,
		Sealer:    h.Sealer,
		GetHash: func(n uint64) common.Hash {
			hash, _ := b.n.ledger.HashByNumber(n)
			return hash
		},
	}
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

func (b *backend) Call(ctx context.Context, msg rpc.CallMsg) (*rpc.ExecResult, error) {
	snap, err := b.n.kv.NewSnapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Release()
	res, err := b.n.exec.Call(ctx, b.callEnv(), toExecMsg(msg), snap)
	if err != nil {
		return nil, err
	}
	return fromCallResult(res), nil
}

func (b *backend) EstimateGas(ctx context.Context, msg rpc.CallMsg) (*rpc.ExecResult, error) {
	snap, err := b.n.kv.NewSnapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Release()
	gas, res, err := b.n.exec.EstimateGas(ctx, b.callEnv(), toExecMsg(msg), snap)
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
	return rpc.ChainInfo{
		Consensus:        g.Consensus,
		Sealers:          sealers,
		Version:          Version,
		BlockLimitWindow: g.BlockLimitWindow,
		TxGasLimit:       g.TxGasLimit,
	}
}

func (b *backend) SystemConfig() (map[string]string, error) {
	g := b.n.genesis
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	return map[string]string{
		"tx_gas_limit":          u(g.TxGasLimit),
		"block_gas_limit":       u(g.BlockGasLimit),
		"tx_count_limit":        strconv.Itoa(g.BlockTxLimit),
		"min_seal_interval_ms":  u(g.MinSealIntervalMs),
		"block_limit_window":    u(g.BlockLimitWindow),
		"compatibility_version": Version,
	}, nil
}

func (b *backend) Syncing() (rpc.SyncProgress, bool) { return rpc.SyncProgress{}, false }

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
