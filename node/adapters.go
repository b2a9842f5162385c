package node

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/ledger"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/types"
)

// The adapters below connect the group's components through the small
// interfaces each consumer defines.

// poolChain is the txpool's view of the chain.
type poolChain struct{ n *Node }

func (c *poolChain) Height() uint64 { return c.n.ledger.Height() }

// AccountNonce reads the latest committed state without stateMu, through
// the node's state cache (a reader of the store as it is at each read).
func (c *poolChain) AccountNonce(addr common.Address) (uint64, error) {
	return state.NewReader(c.n.cache.Reader(c.n.kv)).Nonce(addr)
}

func (c *poolChain) NativeNonceUsed(nonce *big.Int) (bool, error) {
	return c.n.ledger.NativeNonceUsed(nonce)
}

func (c *poolChain) TxCommitted(h common.Hash) (bool, error) { return c.n.ledger.TxCommitted(h) }

// AccountFrozen reads the governance state (txpool.FrozenAccounts): the
// account's frozen status from the node's cache of them, else read with
// the Permission slots through the node's cache of those, and those
// through the state cache, whose filter of existing keys answers for the
// record of an account never frozen (almost every sender) without a store
// read.
func (c *poolChain) AccountFrozen(addr common.Address, block uint64) (bool, error) {
	st, err := c.n.freezes.get(addr, func() (precompiled.FreezeStatus, error) {
		r := state.NewReader(c.n.cache.Reader(c.n.kv))
		return precompiled.NewGovernanceReader(c.n.frozen.reader(r)).AccountFreezeStatus(addr)
	})
	return st.FrozenAt(block), err
}

// ErrParentMoved is an execution refused because the ledger's head is no
// longer the block's parent (block sync or the engine committed meanwhile).
// It is no verdict on the block: the caller tries again from the new head.
var ErrParentMoved = errors.New("node: the ledger head moved: the block's parent is no longer the head")

// engineExecutor runs blocks for the consensus engine and block sync on the
// latest state. An execution holds Node.stateMu's read lock, so that no
// commit changes the store it reads, and runs only on the head's state.
type engineExecutor struct{ n *Node }

func (e *engineExecutor) ExecuteBlock(ctx context.Context, env consensus.BlockEnv, parentRoot common.Hash, txs []*types.Transaction) (*consensus.Result, error) {
	e.n.stateMu.RLock()
	defer e.n.stateMu.RUnlock()
	head := e.n.ledger.Head()
	if head == nil || head.Number+1 != env.Number || head.StateRoot != parentRoot {
		var at uint64
		if head != nil {
			at = head.Number
		}
		return nil, fmt.Errorf("%w: block %d, head %d", ErrParentMoved, env.Number, at)
	}
	start := time.Now()
	res, err := e.n.exec.ExecuteBlock(ctx, executor.BlockEnv{
		Number:    env.Number,
		Timestamp: env.Timestamp,
		Sealer:    env.Sealer,
		GetHash:   env.GetHash,
		Rules:     e.n.execRules(head, env.Number),
	}, parentRoot, txs, e.n.cache.Reader(e.n.kv))
	if err != nil {
		if errors.Is(err, executor.ErrUnsupportedVersion) {
			e.n.halted(err)
		}
		return nil, err
	}
	e.n.metrics.BlockExecuted(time.Since(start))
	return &consensus.Result{Receipts: res.Receipts, StateRoot: res.StateRoot, State: res.Writes, Bloom: &res.Bloom}, nil
}

// engineLedger is the consensus engine's view of the ledger.
type engineLedger struct {
	n *Node
	// unsynced commits blocks without waiting for the disk
	// (ledger.CommitUnsynced). The PBFT driver's ledger sets it: a sealer
	// syncs its commit vote for a height before sending it, and its
	// HardState keeps the decided heights above the ledger head, in the
	// same store as the ledger. So a crash (of every node at once, too)
	// that loses a committed block leaves votes from which PBFT decides
	// the same block again, and its next synced vote makes the commits
	// before it durable (package pbft doc, "What is persisted").
	unsynced bool
}

func (l *engineLedger) Head() *types.Header { return l.n.ledger.Head() }

func (l *engineLedger) Commit(b *types.Block, receipts []*types.Receipt, senders []common.Address, st any, roots *types.BlockRoots) error {
	w, ok := st.(ledger.StateWrites)
	if !ok {
		return fmt.Errorf("node: executor result of type %T carries no state writes", st)
	}
	start := time.Now()
	ws, _ := st.(*state.WriteSet) // nil: writes the state cache cannot list; it forgets everything
	l.n.stateMu.Lock()
	release := l.n.slotsCommitting(st)
	commit := l.n.ledger.Commit
	if l.unsynced {
		commit = l.n.ledger.CommitUnsynced
	}
	err := l.n.cache.Commit(ws, func() error { return commit(b, receipts, senders, w, roots) })
	if err == nil {
		l.n.gov.committed(b.Header.Number, st)
	} else {
		l.n.gov.open(l.n.ledger.Height()) // as if governance changed at the head
	}
	release()
	l.n.stateMu.Unlock()
	if err != nil {
		return err
	}
	l.n.metrics.BlockCommitted(len(b.Txs), b.Header.GasUsed, time.Since(start))
	l.n.flow.committed(b)
	l.n.syncRaftMembers()
	l.n.groupsChanged()
	return nil
}

func (l *engineLedger) HashByNumber(number uint64) (common.Hash, bool) {
	h, err := l.n.ledger.HashByNumber(number)
	return h, err == nil
}
