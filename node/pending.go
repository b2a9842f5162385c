package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// ErrPendingGovernance is an execution on pending blocks refused because
// one of them changes the system contracts' state and the block is not
// pipelined (the compatibility version at its parent is below 0.4.0): the
// rules of the block (read by the engine from the committed state) may
// change with it, so the caller waits for the commit and executes on the
// new head. From 0.4.0 a pending block's governance changes apply two
// blocks on, so the block's rules do not depend on it; what they change
// at once (freezes, roles, the deploy mode) is read by the execution from
// the overlay, which holds them.
var ErrPendingGovernance = errors.New("node: a pending block changes the system contracts' state")

var _ consensus.PendingExecutor = (*engineExecutor)(nil)

// ExecuteBlockOn implements consensus.PendingExecutor: it runs a block on
// top of blocks being committed, on a state.Overlay of their write sets
// over a snapshot of the store. The head and the snapshot are taken
// together under stateMu's read lock, and the lock is released before
// execution, so the pending blocks' commits (the write lock) go on
// meanwhile: the snapshot does not change, and the pending blocks already
// committed when it was taken are left out of the overlay. Pending blocks
// that do not extend the head are ErrParentMoved.
func (e *engineExecutor) ExecuteBlockOn(ctx context.Context, env consensus.BlockEnv, parentRoot common.Hash, txs []*types.Transaction, pending []consensus.Pending) (*consensus.Result, error) {
	if len(pending) == 0 {
		return e.ExecuteBlock(ctx, env, parentRoot, txs)
	}
	layers := make([]*state.WriteSet, len(pending))
	governance := uint64(0) // a pending block changing the system contracts, if any
	for i, p := range pending {
		ws, ok := p.State.(*state.WriteSet)
		if !ok || p.Header == nil {
			return nil, fmt.Errorf("node: pending block %d carries no write set (%T)", i, p.State)
		}
		if governance == 0 && e.touchesSystem(ws) {
			governance = p.Header.Number
		}
		layers[i] = ws
	}
	last := pending[len(pending)-1].Header
	if last.Number+1 != env.Number || last.StateRoot != parentRoot {
		return nil, fmt.Errorf("%w: block %d is not the child of pending block %d", ErrParentMoved, env.Number, last.Number)
	}

	e.n.stateMu.RLock()
	head := e.n.ledger.Head()
	layers, err := e.uncommitted(head, pending, layers)
	if err != nil {
		e.n.stateMu.RUnlock()
		return nil, err
	}
	snap, err := e.n.kv.NewSnapshot()
	var base storage.Reader
	if err == nil {
		// The snapshot holds the head's state: the cache serves it what
		// it knows to be current at the head (the lock is still held).
		base = e.n.cache.Reader(snap)
	}
	e.n.stateMu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("node: executing block %d on pending blocks: %w", env.Number, err)
	}
	defer snap.Release()
	overlay := state.NewOverlay(base, layers...)
	if governance != 0 {
		// Only the parent may change governance, and only from 0.4.0 (the
		// version in force at the parent, read from the state it leaves).
		p, err := precompiled.NewGovernanceReader(state.NewReader(overlay)).Params(env.Number - 1)
		if err != nil || governance+1 != env.Number || !precompiled.Pipelined(p.Compatibility) {
			return nil, fmt.Errorf("%w: block %d", ErrPendingGovernance, governance)
		}
	}

	start := time.Now()
	res, err := e.n.exec.ExecuteBlock(ctx, executor.BlockEnv{
		Number:    env.Number,
		Timestamp: env.Timestamp,
		Sealer:    env.Sealer,
		GetHash:   env.GetHash,
		// Rules nil: read from the overlay, the state the block runs on.
	}, parentRoot, txs, overlay)
	if err != nil {
		if errors.Is(err, executor.ErrUnsupportedVersion) {
			e.n.halted(err)
		}
		return nil, err
	}
	e.n.metrics.BlockExecuted(time.Since(start))
	// The executor's bloom comes along, as from ExecuteBlock: without it
	// BuildHeader hashes every log again.
	return &consensus.Result{Receipts: res.Receipts, StateRoot: res.StateRoot, State: res.Writes, Bloom: &res.Bloom}, nil
}

// uncommitted returns the layers of the pending blocks above head, after
// checking that the pending chain extends head (a pending block at the
// head's height must be the head itself). The caller holds stateMu.
func (e *engineExecutor) uncommitted(head *types.Header, pending []consensus.Pending, layers []*state.WriteSet) ([]*state.WriteSet, error) {
	if head == nil {
		return nil, fmt.Errorf("%w: no head", ErrParentMoved)
	}
	suite := e.n.suite
	for i, p := range pending {
		switch {
		case p.Header.Number < head.Number:
			continue
		case p.Header.Number == head.Number:
			if p.Header.Hash(suite) != head.Hash(suite) {
				return nil, fmt.Errorf("%w: pending block %d is not the committed one", ErrParentMoved, p.Header.Number)
			}
			continue
		case p.Header.Number == head.Number+1:
			if p.Header.ParentHash != head.Hash(suite) {
				return nil, fmt.Errorf("%w: pending block %d is not the head's child", ErrParentMoved, p.Header.Number)
			}
		default:
			if i == 0 || pending[i-1].Header.Number+1 != p.Header.Number || p.Header.ParentHash != pending[i-1].Header.Hash(suite) {
				return nil, fmt.Errorf("%w: pending block %d does not extend the head %d", ErrParentMoved, p.Header.Number, head.Number)
			}
		}
		for j := i + 1; j < len(pending); j++ {
			if pending[j].Header.ParentHash != pending[j-1].Header.Hash(suite) {
				return nil, fmt.Errorf("%w: pending block %d is not the child of the one before", ErrParentMoved, pending[j].Header.Number)
			}
		}
		return layers[i:], nil
	}
	return nil, nil // all committed: the snapshot holds them
}

// touchesSystem reports whether ws writes an account or a storage slot of
// a system contract.
func (e *engineExecutor) touchesSystem(ws *state.WriteSet) bool {
	addrs := e.n.exec.SystemContracts().Addresses()
	keys := make([][]byte, 0, 2*len(addrs))
	for _, addr := range addrs {
		keys = append(keys, state.AccountKey(addr), state.StoragePrefix(addr))
	}
	for _, w := range ws.Writes() {
		for _, k := range keys {
			if bytes.HasPrefix(w.Key, k) {
				return true
			}
		}
	}
	return false
}
