package rpc

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// PendingTxLister is an optional Backend extension: a backend that
// implements it gets bcos_getPendingTransactions; others answer "method
// not found".
type PendingTxLister interface {
	// PendingTxHashes returns the hashes of up to limit txs waiting in the
	// pool, oldest first.
	PendingTxHashes(limit int) []common.Hash
}

// Bounds of bcos_getPendingTransactions.
const (
	defaultPendingList = 100
	maxPendingList     = 1000
)

// bcosGetPendingTransactions: [limit] -> the hashes of the txs waiting in
// the pool, oldest first (100 by default, at most 1000).
func (s *Server) bcosGetPendingTransactions(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	limit := uint64(defaultPendingList)
	if c.optional(0) != nil {
		var err error
		if limit, err = c.countArg(0, "limit"); err != nil {
			return nil, err
		}
		if limit == 0 || limit > maxPendingList {
			return nil, argError(0, "limit", fmt.Errorf("want 1 to %d, got %d", maxPendingList, limit))
		}
	}
	hashes := s.b.(PendingTxLister).PendingTxHashes(int(limit))
	if hashes == nil {
		hashes = []common.Hash{}
	}
	return hashes, nil
}
