package rpc

import (
	"errors"
	"fmt"
	"sync"

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
	// Committed blocks never change: a recent one (a client fetching the
	// receipts of each new head) is not read and decoded again.
	if b, ok := s.blockCache.get(n); ok {
		return b, nil
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

// lazyReceipts are a block's receipt objects, built from its receipts on
// first use: a committed block's receipts are cached as it is committed,
// for the clients that ask for them next, but a node nobody asks (most
// nodes of a chain whose clients talk to one of them) never builds them.
type lazyReceipts struct {
	once sync.Once
	s    *Server
	b    *types.Block
	hash common.Hash
	raw  []*types.Receipt
	out  []*bcosReceipt
}

func (l *lazyReceipts) get() []*bcosReceipt {
	l.once.Do(func() {
		l.out = l.s.blockReceipts(l.b, l.hash, l.raw)
		l.s, l.b, l.raw = nil, nil, nil
	})
	return l.out
}

// cacheReceipts caches the receipts of block b (with hash hash), to be
// built when first asked for.
func (s *Server) cacheReceipts(b *types.Block, hash common.Hash, raw []*types.Receipt) *lazyReceipts {
	l := &lazyReceipts{s: s, b: b, hash: hash, raw: raw}
	s.receiptCache.add(hash, l)
	return l
}

// receiptsOf returns the receipt objects of a block, cached by block hash.
func (s *Server) receiptsOf(b *types.Block, hash common.Hash) ([]*bcosReceipt, error) {
	if l, ok := s.receiptCache.get(hash); ok {
		return l.get(), nil
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
	return s.cacheReceipts(b, hash, raw).get(), nil
}

// stateNumber resolves the block a state query names (a tag, a number, or
// a block hash) to the number of a committed block. "pending", "safe" and
// "finalized" are the head: committed blocks are final. A number above the
// head, or a hash of a block the head has not reached, is an error; every
// stored block is canonical (there are no forks), so EIP-1898's
// requireCanonical holds for any block found by hash.
func (s *Server) stateNumber(ref stateRef) (uint64, error) {
	head, err := s.headNumber()
	if err != nil {
		return 0, err
	}
	n := ref.tag.resolve(head)
	if ref.hash != nil {
		h, err := s.headerByHash(*ref.hash)
		if err != nil {
			return 0, err
		}
		if h == nil {
			return 0, fmt.Errorf("block %s not found", ref.hash.Hex())
		}
		n = h.Number
	}
	if n > head {
		return 0, fmt.Errorf("block %d is %w (head is %d)", n, ErrNotCommitted, head)
	}
	return n, nil
}
