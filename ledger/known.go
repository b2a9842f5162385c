package ledger

import (
	"errors"
	"fmt"
	"time"

	"github.com/gobcos/gobcos/internal/keyfilter"
	"github.com/gobcos/gobcos/storage"
)

// startLoadingFilters adds the committed tx hashes and native nonces
// stored now to the filters, on a goroutine, and marks the filters ready
// when all are in. Its iterators are made here, before any Commit of
// this ledger: keys committed later are added by Commit. If loading fails
// or Close stops it, the filters never become ready and lookups keep
// reading storage.
func (l *Ledger) startLoadingFilters() {
	txIt := l.kv.NewIterator(prefixTxIndex, nil)
	nonceIt := l.kv.NewIterator(prefixNonceIdx, nil)
	go func() {
		defer close(l.loadDone)
		defer txIt.Release()
		defer nonceIt.Release()
		start := time.Now()
		txs, err := l.loadFilter(l.committedTxs, txIt, prefixTxIndex)
		if err != nil {
			l.logger.Warn("not using the committed-tx filter; tx lookups read storage", "err", err)
			return
		}
		nonces, err := l.loadFilter(l.usedNonces, nonceIt, prefixNonceIdx)
		if err != nil {
			l.logger.Warn("not using the native-nonce filter; nonce lookups read storage", "err", err)
			return
		}
		l.filtersReady.Store(true)
		l.logger.Info("loaded the committed-tx filters", "txs", txs, "native_nonces", nonces,
			"bytes", l.committedTxs.Bytes()+l.usedNonces.Bytes(), "took", time.Since(start))
	}()
}

// errLoadStopped ends a filter load that Close interrupted.
var errLoadStopped = errors.New("ledger: closed while loading the filters")

// loadFilter adds to f the keys it yields (the part after prefix), at
// once, so that they share one generation, and returns how many there were.
func (l *Ledger) loadFilter(f *keyfilter.Filter, it storage.Iterator, prefix []byte) (int, error) {
	xs, err := f.HashKeys(nil, it, len(prefix), l.loadStop)
	if errors.Is(err, keyfilter.ErrStopped) {
		return 0, errLoadStopped
	}
	if err != nil {
		return 0, fmt.Errorf("ledger: loading the index %q: %w", prefix, err)
	}
	f.AddHashes(xs)
	return len(xs), nil
}
