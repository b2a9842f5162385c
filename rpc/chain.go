package rpc

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/types"
)

// Reads of the ledger through the backend. Absent items are (nil, nil);
// other backend failures are returned as they are.

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

func (s *Server) head() (*types.Header, error) {
	h := s.b.Head()
	if h == nil {
		return nil, errors.New("the node has no committed block yet")
	}
	return h, nil
}

func (s *Server) headNumber() (uint64, error) {
	h, err := s.head()
	if err != nil {
		return 0, err
	}
	return h.Number, nil
}

func (s *Server) headerByNumber(n uint64) (*types.Header, error) {
	h, err := s.b.HeaderByNumber(n)
	if isNotFound(err) {
		return nil, nil
	}
	return h, err
}

func (s *Server) headerByTag(t blockTag) (*types.Header, error) {
	if t.kind != tagNumber && t.kind != tagEarliest {
		return s.head()
	}
	head, err := s.headNumber()
	if err != nil {
		return nil, err
	}
	n := t.resolve(head)
	if n > head {
		return nil, nil
	}
	return s.headerByNumber(n)
}

func (s *Server) headerByHash(h common.Hash) (*types.Header, error) {
	hd, err := s.b.HeaderByHash(h)
	if isNotFound(err) {
		return nil, nil
	}
	return hd, err
}

func (s *Server) blockByNumber(n uint64) (*types.Block, error) {
	head, err := s.headNumber()
	if err != nil {
		return nil, err
	}
	if n > head {
		return nil, nil
	}
	b, err := s.b.BlockByNumber(n)
	if isNotFound(err) || (err == nil && (b == nil || b.Header == nil)) {
		return nil, nil
	}
	return b, err
}

func (s *Server) blockByTag(t blockTag) (*types.Block, error) {
	head, err := s.headNumber()
	if err != nil {
		return nil, err
	}
	return s.blockByNumber(t.resolve(head))
}

func (s *Server) blockByHash(h common.Hash) (*types.Block, error) {
	b, err := s.b.BlockByHash(h)
	if isNotFound(err) || (err == nil && (b == nil || b.Header == nil)) {
		return nil, nil
	}
	return b, err
}

// blockByRef finds a block by tag or hash.
func (s *Server) blockByRef(ref stateRef) (*types.Block, error) {
	if ref.hash != nil {
		return s.blockByHash(*ref.hash)
	}
	return s.blockByTag(ref.tag)
}

// receiptsOf returns the receipt objects of a block, cached by block hash.
func (s *Server) receiptsOf(b *types.Block, hash common.Hash) ([]*bcosReceipt, error) {
	if rs, ok := s.receiptCache.get(hash); ok {
		return rs, nil
	}
	raw, err := s.b.Receipts(b.Header.Number)
	if isNotFound(err) {
		raw, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(raw) != len(b.Txs) {
		return nil, fmt.Errorf("block #%d has %d transactions but %d receipts", b.Header.Number, len(b.Txs), len(raw))
	}
	rs := s.blockReceipts(b, hash, raw)
	s.receiptCache.add(hash, rs)
	return rs, nil
}

// checkLatestState accepts only references to the latest state: the state
// is flat, so older blocks cannot be queried.
func (s *Server) checkLatestState(ref stateRef) error {
	head, err := s.head()
	if err != nil {
		return err
	}
	if ref.hash != nil {
		h, err := s.headerByHash(*ref.hash)
		if err != nil {
			return err
		}
		if h == nil {
			return fmt.Errorf("block %s not found", ref.hash.Hex())
		}
		if h.Number != head.Number {
			return ErrHistoricalState
		}
		return nil
	}
	switch ref.tag.kind {
	case tagNumber, tagEarliest:
		n := ref.tag.resolve(head.Number)
		if n > head.Number {
			return fmt.Errorf("block #%d not found (the head is #%d)", n, head.Number)
		}
		if n != head.Number {
			return ErrHistoricalState
		}
	}
	return nil
}
