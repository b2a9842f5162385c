package ledger

import (
	"context"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/types"
)

// LogFilter selects logs with Ethereum's eth_getLogs semantics. Blocks
// FromBlock..ToBlock inclusive are searched (ToBlock is capped at the head).
// A log matches when its address is one of Addresses (any address if
// empty) and, for each position i of Topics, its topic i is one of
// Topics[i] (an empty Topics[i] matches anything there, but the log must
// still have a topic at every position that is constrained).
type LogFilter struct {
	FromBlock, ToBlock uint64
	Addresses          []common.Address
	Topics             [][]common.Hash
}

// LogRecord is a log with its position in the chain.
type LogRecord struct {
	Log         *types.Log
	BlockNumber uint64
	BlockHash   common.Hash
	TxHash      common.Hash
	TxIndex     uint64
	LogIndex    uint64 // index of the log within its block
}

// Matches reports whether log matches the filter's addresses and topics
// (the block range is not considered).
func (f *LogFilter) Matches(log *types.Log) bool {
	if len(f.Addresses) > 0 && !slices.Contains(f.Addresses, log.Address) {
		return false
	}
	for i, alts := range f.Topics {
		if len(alts) == 0 {
			continue
		}
		if i >= len(log.Topics) || !slices.Contains(alts, log.Topics[i]) {
			return false
		}
	}
	return true
}

// mayMatch reports whether a block with this bloom can hold a matching log.
func (f *LogFilter) mayMatch(bloom ethtypes.Bloom) bool {
	if len(f.Addresses) > 0 && !slices.ContainsFunc(f.Addresses, func(a common.Address) bool { return bloom.Test(a[:]) }) {
		return false
	}
	for _, alts := range f.Topics {
		if len(alts) > 0 && !slices.ContainsFunc(alts, func(t common.Hash) bool { return bloom.Test(t[:]) }) {
			return false
		}
	}
	return true
}

// FilterLogs returns the logs matching f in chain order. Blocks whose
// header bloom rules out a match are skipped without reading their
// receipts. If more than limit logs match (limit > 0), it returns
// ErrTooManyLogs rather than a truncated list. An empty ledger, or a range
// starting after the head, gives no logs.
func (l *Ledger) FilterLogs(ctx context.Context, f LogFilter, limit int) ([]*LogRecord, error) {
	if f.FromBlock > f.ToBlock {
		return nil, fmt.Errorf("%w: fromBlock %d, toBlock %d", ErrInvalidRange, f.FromBlock, f.ToBlock)
	}
	head := l.Head()
	if head == nil || f.FromBlock > head.Number {
		return nil, nil
	}
	to := min(f.ToBlock, head.Number)
	var out []*LogRecord
	it := l.kv.NewIterator(prefixHeader, be64(f.FromBlock))
	defer it.Release()
	for it.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := types.DecodeHeader(it.Value())
		if err != nil {
			return nil, fmt.Errorf("%w: header under key %x: %v", ErrCorrupt, it.Key(), err)
		}
		if hdr.Number > to {
			break
		}
		if !f.mayMatch(hdr.LogsBloom) {
			continue
		}
		recs, err := l.receiptRecords(hdr.Number)
		if err != nil {
			return nil, err
		}
		bh, err := l.HashByNumber(hdr.Number)
		if err != nil {
			return nil, err
		}
		for i, rec := range recs {
			logs, err := receiptRecordLogs(rec, hdr.Number, bh, uint64(i))
			if err != nil {
				return nil, err
			}
			for _, lr := range logs {
				if !f.Matches(lr.Log) {
					continue
				}
				if limit > 0 && len(out) >= limit {
					return nil, fmt.Errorf("%w: more than %d logs in blocks %d..%d", ErrTooManyLogs, limit, f.FromBlock, to)
				}
				out = append(out, lr)
			}
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("ledger: iterating headers: %w", err)
	}
	return out, nil
}

func receiptRecordLogs(rec *receiptRecord, n uint64, bh common.Hash, txIndex uint64) ([]*LogRecord, error) {
	r, err := types.DecodeReceipt(rec.Receipt)
	if err != nil {
		return nil, fmt.Errorf("%w: receipt %d of block %d: %v", ErrCorrupt, txIndex, n, err)
	}
	out := make([]*LogRecord, len(r.Logs))
	for j, lg := range r.Logs {
		out[j] = &LogRecord{
			Log: lg, BlockNumber: n, BlockHash: bh, TxHash: rec.TxHash,
			TxIndex: txIndex, LogIndex: rec.FirstLogIndex + uint64(j),
		}
	}
	return out, nil
}

// ReceiptLogs returns the logs of a committed tx with their positions,
// LogIndex counting within the block as eth_getTransactionReceipt reports.
func (l *Ledger) ReceiptLogs(txHash common.Hash) ([]*LogRecord, error) {
	r, rec, err := l.receipt(txHash)
	if err != nil {
		return nil, err
	}
	out := make([]*LogRecord, len(r.Logs))
	for j, lg := range r.Logs {
		out[j] = &LogRecord{
			Log: lg, BlockNumber: r.BlockNumber, BlockHash: r.BlockHash, TxHash: txHash,
			TxIndex: r.TxIndex, LogIndex: rec.FirstLogIndex + uint64(j),
		}
	}
	return out, nil
}
