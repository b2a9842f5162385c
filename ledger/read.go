package ledger

import (
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// TxLocation is where a committed transaction sits.
type TxLocation struct {
	BlockNumber uint64
	BlockHash   common.Hash
	Index       uint64
}

// get reads a key, turning storage.ErrNotFound into ErrNotFound wrapped
// with what was sought.
func (l *Ledger) get(k []byte, what string, args ...any) ([]byte, error) {
	v, err := l.kv.Get(k)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", fmt.Sprintf(what, args...), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: reading %s: %w", fmt.Sprintf(what, args...), err)
	}
	return v, nil
}

// HeaderByNumber returns the header of block n.
func (l *Ledger) HeaderByNumber(n uint64) (*types.Header, error) {
	raw, err := l.get(headerKey(n), "block %d", n)
	if err != nil {
		return nil, err
	}
	h, err := types.DecodeHeader(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: header %d: %v", ErrCorrupt, n, err)
	}
	return h, nil
}

// NumberByHash returns the number of the block with hash h.
func (l *Ledger) NumberByHash(h common.Hash) (uint64, error) {
	raw, err := l.get(hashNumKey(h), "block %s", h)
	if err != nil {
		return 0, err
	}
	return decodeNumber(raw)
}

// HashByNumber returns the hash of block n.
func (l *Ledger) HashByNumber(n uint64) (common.Hash, error) {
	raw, err := l.get(canonKey(n), "block %d", n)
	if err != nil {
		return common.Hash{}, err
	}
	if len(raw) != common.HashLength {
		return common.Hash{}, fmt.Errorf("%w: hash of block %d has %d bytes", ErrCorrupt, n, len(raw))
	}
	return common.BytesToHash(raw), nil
}

// HeaderByHash returns the header of the block with hash h.
func (l *Ledger) HeaderByHash(h common.Hash) (*types.Header, error) {
	n, err := l.NumberByHash(h)
	if err != nil {
		return nil, err
	}
	return l.HeaderByNumber(n)
}

// BlockByNumber returns block n with its transactions, whose senders are
// set from the ledger (they were verified before commit).
func (l *Ledger) BlockByNumber(n uint64) (*types.Block, error) {
	hdr, err := l.HeaderByNumber(n)
	if err != nil {
		return nil, err
	}
	b := &types.Block{Header: hdr}
	err = l.iterate(blockTxPrefix(n), func(i uint32, raw []byte) error {
		if int(i) != len(b.Txs) {
			return fmt.Errorf("%w: block %d is missing tx %d", ErrCorrupt, n, len(b.Txs))
		}
		tx, err := l.decodeTx(raw)
		if err != nil {
			return fmt.Errorf("block %d tx %d: %w", n, i, err)
		}
		b.Txs = append(b.Txs, tx)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// BlockByHash returns the block with hash h.
func (l *Ledger) BlockByHash(h common.Hash) (*types.Block, error) {
	n, err := l.NumberByHash(h)
	if err != nil {
		return nil, err
	}
	return l.BlockByNumber(n)
}

// iterate calls f for each record under a block's tx or receipt prefix,
// with the record's index within the block.
func (l *Ledger) iterate(prefix []byte, f func(i uint32, raw []byte) error) error {
	it := l.kv.NewIterator(prefix, nil)
	defer it.Release()
	for it.Next() {
		k := it.Key()
		if len(k) != len(prefix)+4 {
			return fmt.Errorf("%w: key %x under %q", ErrCorrupt, k, prefix)
		}
		i := uint32(k[len(k)-4])<<24 | uint32(k[len(k)-3])<<16 | uint32(k[len(k)-2])<<8 | uint32(k[len(k)-1])
		if err := f(i, it.Value()); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("ledger: iterating %q: %w", prefix, err)
	}
	return nil
}

func (l *Ledger) decodeTx(raw []byte) (*types.Transaction, error) {
	rec, err := decodeTxRecord(raw)
	if err != nil {
		return nil, err
	}
	tx, err := types.DecodeTx(l.hasher, rec.Tx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if tx.Hash() != rec.Hash {
		return nil, fmt.Errorf("%w: stored tx hashes to %s, recorded as %s (wrong crypto suite for this chain?)", ErrCorrupt, tx.Hash(), rec.Hash)
	}
	tx.SetSender(rec.Sender)
	return tx, nil
}

// TxLocation returns where the committed tx with hash h is.
func (l *Ledger) TxLocation(h common.Hash) (TxLocation, error) {
	raw, err := l.get(txIndexKey(h), "tx %s", h)
	if err != nil {
		return TxLocation{}, err
	}
	n, i, err := decodeLocation(raw)
	if err != nil {
		return TxLocation{}, err
	}
	bh, err := l.HashByNumber(n)
	if err != nil {
		return TxLocation{}, fmt.Errorf("tx %s in block %d: %w", h, n, err)
	}
	return TxLocation{BlockNumber: n, BlockHash: bh, Index: uint64(i)}, nil
}

// TxByHash returns a committed tx (sender set) and where it is.
func (l *Ledger) TxByHash(h common.Hash) (*types.Transaction, TxLocation, error) {
	loc, err := l.TxLocation(h)
	if err != nil {
		return nil, TxLocation{}, err
	}
	raw, err := l.get(txKey(loc.BlockNumber, uint32(loc.Index)), "tx %s body", h)
	if err != nil {
		return nil, TxLocation{}, fmt.Errorf("%w: indexed tx missing: %v", ErrCorrupt, err)
	}
	tx, err := l.decodeTx(raw)
	if err != nil {
		return nil, TxLocation{}, fmt.Errorf("tx %s: %w", h, err)
	}
	return tx, loc, nil
}

// TxByIndex returns the i-th tx of block n (sender set).
func (l *Ledger) TxByIndex(n uint64, i uint64) (*types.Transaction, error) {
	if i > math.MaxUint32 {
		return nil, fmt.Errorf("tx %d of block %d: %w", i, n, ErrNotFound)
	}
	raw, err := l.get(txKey(n, uint32(i)), "tx %d of block %d", i, n)
	if err != nil {
		return nil, err
	}
	return l.decodeTx(raw)
}

// TxCommitted reports whether a tx with hash h is in the ledger.
func (l *Ledger) TxCommitted(h common.Hash) (bool, error) {
	if l.filtersReady.Load() && !l.committedTxs.MayContain(h[:]) {
		return false, nil
	}
	ok, err := l.kv.Has(txIndexKey(h))
	if err != nil {
		return false, fmt.Errorf("ledger: looking up tx %s: %w", h, err)
	}
	return ok, nil
}

// NativeNonceUsed reports whether a committed native tx carries nonce.
func (l *Ledger) NativeNonceUsed(nonce *big.Int) (bool, error) {
	_, ok, err := l.NativeNonceBlock(nonce)
	return ok, err
}

// NativeNonceBlock returns the number of the latest block holding a native
// tx with nonce, for checks within a block-limit window.
func (l *Ledger) NativeNonceBlock(nonce *big.Int) (uint64, bool, error) {
	if nonce == nil || nonce.Sign() < 0 {
		return 0, false, nil
	}
	if l.filtersReady.Load() && !l.usedNonces.MayContain(nonce.Bytes()) {
		return 0, false, nil
	}
	raw, err := l.kv.Get(nonceKey(nonce))
	if errors.Is(err, storage.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("ledger: looking up native nonce: %w", err)
	}
	n, err := decodeNumber(raw)
	if err != nil {
		return 0, false, err
	}
	return n, true, nil
}

// Receipt returns the receipt of a committed tx with every derived field
// filled: TxHash, BlockNumber, BlockHash, TxIndex, CumulativeGasUsed, From, To.
func (l *Ledger) Receipt(txHash common.Hash) (*types.Receipt, error) {
	r, _, err := l.receipt(txHash)
	return r, err
}

func (l *Ledger) receipt(txHash common.Hash) (*types.Receipt, *receiptRecord, error) {
	loc, err := l.TxLocation(txHash)
	if err != nil {
		return nil, nil, err
	}
	raw, err := l.get(receiptKey(loc.BlockNumber, uint32(loc.Index)), "receipt of tx %s", txHash)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: indexed receipt missing: %v", ErrCorrupt, err)
	}
	r, rec, err := decodeReceipt(raw, loc.BlockNumber, loc.BlockHash, loc.Index)
	if err != nil {
		return nil, nil, fmt.Errorf("receipt of tx %s: %w", txHash, err)
	}
	return r, rec, nil
}

func decodeReceipt(raw []byte, n uint64, blockHash common.Hash, index uint64) (*types.Receipt, *receiptRecord, error) {
	rec, err := decodeReceiptRecord(raw)
	if err != nil {
		return nil, nil, err
	}
	r, err := types.DecodeReceipt(rec.Receipt)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return fillReceipt(r, rec, n, blockHash, index), rec, nil
}

// Receipts returns the receipts of block n in tx order, derived fields filled.
func (l *Ledger) Receipts(n uint64) ([]*types.Receipt, error) {
	bh, err := l.HashByNumber(n)
	if err != nil {
		return nil, err
	}
	recs, err := l.receiptRecords(n)
	if err != nil {
		return nil, err
	}
	out := make([]*types.Receipt, len(recs))
	for i, rec := range recs {
		r, err := types.DecodeReceipt(rec.Receipt)
		if err != nil {
			return nil, fmt.Errorf("%w: block %d receipt %d: %v", ErrCorrupt, n, i, err)
		}
		out[i] = fillReceipt(r, rec, n, bh, uint64(i))
	}
	return out, nil
}

// receiptRecords reads the stored receipt records of block n.
func (l *Ledger) receiptRecords(n uint64) ([]*receiptRecord, error) {
	var recs []*receiptRecord
	err := l.iterate(blockReceiptPrefix(n), func(i uint32, raw []byte) error {
		if int(i) != len(recs) {
			return fmt.Errorf("%w: block %d is missing receipt %d", ErrCorrupt, n, len(recs))
		}
		rec, err := decodeReceiptRecord(raw)
		if err != nil {
			return fmt.Errorf("block %d receipt %d: %w", n, i, err)
		}
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return recs, nil
}
