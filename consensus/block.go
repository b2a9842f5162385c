package consensus

import (
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/types"
)

// BlockEnv is the context a block is executed in.
type BlockEnv struct {
	Number     uint64         // the block's number
	Timestamp  uint64         // seconds since the Unix epoch
	Sealer     common.Address // the proposer's account (COINBASE)
	GasLimit   uint64         // the block's gas limit
	ParentHash common.Hash    // hash of block Number-1
	// GetHash returns the hash of an ancestor block (for BLOCKHASH), or
	// the zero hash when it is unknown. Never nil in an env built by an engine.
	GetHash func(number uint64) common.Hash
}

// Result is the outcome of executing a block's transactions.
type Result struct {
	// Receipts holds one receipt per transaction, in block order.
	Receipts []*types.Receipt
	// StateRoot commits to the block's write set chained to the parent's root.
	StateRoot common.Hash
	// State is the executor's write set, opaque to consensus and handed to
	// the ledger's commit as is.
	State any
	// Bloom, when not nil, is the logs bloom of Receipts (types.LogsBloom),
	// as the executor computed it; nil: it is computed from Receipts.
	Bloom *ethtypes.Bloom
}

// LogsBloom is the logs bloom of r's receipts: Bloom when set.
func (r *Result) LogsBloom() ethtypes.Bloom {
	if r.Bloom != nil {
		return *r.Bloom
	}
	return types.LogsBloom(r.Receipts)
}

// BlockTime is the timestamp of a block sealed at now: now in seconds
// since the Unix epoch (0 before it), but never before floor (the
// parent's timestamp, or the least one the proposal may have), so that
// timestamps never go back.
func BlockTime(now time.Time, floor uint64) uint64 {
	var s uint64
	if u := now.Unix(); u > 0 {
		s = uint64(u)
	}
	return max(s, floor)
}

// HashByNumber is an optional interface of the ledgers given to engines:
// engines use it to answer BlockEnv.GetHash for ancestors older than the parent.
type HashByNumber interface {
	HashByNumber(number uint64) (common.Hash, bool)
}

// HashGetter answers BLOCKHASH (BlockEnv.GetHash) for a block whose parent
// is parentNumber with hash parentHash: the parent directly, older
// ancestors from ledger when it implements HashByNumber, and the zero
// hash for anything else (the block itself, later blocks, or what the
// ledger does not hold). ledger may be nil.
func HashGetter(ledger any, parentNumber uint64, parentHash common.Hash) func(uint64) common.Hash {
	hr, _ := ledger.(HashByNumber)
	return func(n uint64) common.Hash {
		if n == parentNumber {
			return parentHash
		}
		if hr != nil && n < parentNumber {
			if h, ok := hr.HashByNumber(n); ok {
				return h
			}
		}
		return common.Hash{}
	}
}

// BuildHeader makes the header of the block of txs executed in env with
// result res: transaction and receipt roots, logs bloom and gas used are
// derived here so every engine computes them alike. Signatures are left
// empty. It also returns the roots it computed, for the ledger's commit of
// the block (Ledger.Commit), which then need not compute them again.
func BuildHeader(h types.Hasher, env BlockEnv, txs []*types.Transaction, res *Result) (*types.Header, *types.BlockRoots, error) {
	if res == nil {
		return nil, nil, fmt.Errorf("%w: no result", ErrBadResult)
	}
	if len(res.Receipts) != len(txs) {
		return nil, nil, fmt.Errorf("%w: %d receipts for %d transactions", ErrBadResult, len(res.Receipts), len(txs))
	}
	var gasUsed uint64
	for i, r := range res.Receipts {
		if r == nil {
			return nil, nil, fmt.Errorf("%w: receipt %d is missing", ErrBadResult, i)
		}
		gasUsed += r.GasUsed
	}
	roots := types.ComputeBlockRootsWithBloom(h, txs, res.Receipts, res.LogsBloom())
	return &types.Header{
		ParentHash:  env.ParentHash,
		Number:      env.Number,
		Timestamp:   env.Timestamp,
		TxRoot:      roots.TxRoot(),
		ReceiptRoot: roots.ReceiptRoot(),
		StateRoot:   res.StateRoot,
		LogsBloom:   roots.LogsBloom(),
		GasUsed:     gasUsed,
		GasLimit:    env.GasLimit,
		Sealer:      env.Sealer,
	}, roots, nil
}
