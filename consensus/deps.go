package consensus

import (
	"context"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/types"
)

// TxPool is what an engine needs of the txpool.
type TxPool interface {
	// Pending returns up to max executable txs with verified senders.
	Pending(max int) []*types.Transaction
	// Notify signals when executable txs may have appeared.
	Notify() <-chan struct{}
	// OnCommitted is told of every block the engine committed.
	OnCommitted(b *types.Block)
}

// Executor runs a block's transactions on the state at parentRoot.
type Executor interface {
	ExecuteBlock(ctx context.Context, env BlockEnv, parentRoot common.Hash, txs []*types.Transaction) (*Result, error)
}

// Pending is a block executed and being committed, not yet durable: its
// header and its executor Result's State.
type Pending struct {
	Header *types.Header
	State  any
}

// PendingExecutor is an optional interface of an Executor: it also runs a
// block on top of executed blocks whose commits are still under way
// (pending, oldest first, the last one the block's parent, each pending
// block the child of the one before and the first one the child of a
// committed block), reading the state those commits will leave. The
// result is the one ExecuteBlock would return once they are committed.
// It fails, with no verdict on the block, when pending does not extend
// the committed chain or when it cannot run on them (the caller then waits
// for the commits and executes on the new head).
type PendingExecutor interface {
	Executor
	ExecuteBlockOn(ctx context.Context, env BlockEnv, parentRoot common.Hash, txs []*types.Transaction, pending []Pending) (*Result, error)
}

// Ledger is what an engine needs of the group's ledger to commit blocks.
type Ledger interface {
	// Head is the header of the latest committed block (genesis at first).
	Head() *types.Header
	// Commit stores b with its receipts, the senders of its txs and the
	// executor's write set (Result.State) atomically and durably (for the
	// PBFT driver, durably with its next synced write: package node); it
	// refuses a block not extending the head, or whose header does not
	// commit to its txs and receipts. roots, when not nil, is what
	// BuildHeader computed of b's txs and receipts: the ledger takes the
	// roots and receipt encodings from it instead of computing them again
	// when it matches them and b's header (types.BlockRoots.Match).
	Commit(b *types.Block, receipts []*types.Receipt, senders []common.Address, state any, roots *types.BlockRoots) error
}

// SealerLedger is the Ledger of the PBFT and Raft drivers, which also
// check the transactions of the blocks they order against the committed
// ones (TxLedger, txcheck.go) and read older block hashes.
type SealerLedger interface {
	Ledger
	HashByNumber
	TxLedger
}
