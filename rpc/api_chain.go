package rpc

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/types"
)

// Blocks, transactions and receipts.

func (s *Server) ethChainID(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	return hexutil.Uint64(s.chainID), nil
}

func (s *Server) ethBlockNumber(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	n, err := s.headNumber()
	if err != nil {
		return nil, err
	}
	return hexutil.Uint64(n), nil
}

func (s *Server) ethGetBlockByNumber(c *call) (any, error) {
	if err := c.maxArgs(2); err != nil {
		return nil, err
	}
	tag, err := c.blockTagArg(0, "block")
	if err != nil {
		return nil, err
	}
	full, err := c.boolArg(1, "hydrated transactions")
	if err != nil {
		return nil, err
	}
	b, err := s.blockByTag(tag)
	if err != nil || b == nil {
		return nil, err
	}
	return s.marshalBlock(b, s.headerHash(b.Header), full), nil
}

func (s *Server) ethGetBlockByHash(c *call) (any, error) {
	if err := c.maxArgs(2); err != nil {
		return nil, err
	}
	h, err := c.hashArg(0, "block hash")
	if err != nil {
		return nil, err
	}
	full, err := c.boolArg(1, "hydrated transactions")
	if err != nil {
		return nil, err
	}
	b, err := s.blockByHash(h)
	if err != nil || b == nil {
		return nil, err
	}
	return s.marshalBlock(b, s.headerHash(b.Header), full), nil
}

// blockByNumberArg and blockByHashArg read argument 0 and find the block.
func (s *Server) blockByNumberArg(c *call, optional bool) (*types.Block, error) {
	tag := latestTag
	var err error
	if optional {
		tag, err = c.optionalBlockTagArg(0, "block")
	} else {
		tag, err = c.blockTagArg(0, "block")
	}
	if err != nil {
		return nil, err
	}
	return s.blockByTag(tag)
}

func (s *Server) blockByHashArg(c *call) (*types.Block, error) {
	h, err := c.hashArg(0, "block hash")
	if err != nil {
		return nil, err
	}
	return s.blockByHash(h)
}

func txCount(b *types.Block, err error) (any, error) {
	if err != nil || b == nil {
		return nil, err
	}
	return hexutil.Uint64(len(b.Txs)), nil
}

func (s *Server) ethGetBlockTransactionCountByHash(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	return txCount(s.blockByHashArg(c))
}

func (s *Server) ethGetBlockTransactionCountByNumber(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	return txCount(s.blockByNumberArg(c, true))
}

// There are no uncles: counts are zero for existing blocks.
func uncleCount(b *types.Block, err error) (any, error) {
	if err != nil || b == nil {
		return nil, err
	}
	return hexutil.Uint64(0), nil
}

func (s *Server) ethGetUncleCountByBlockHash(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	return uncleCount(s.blockByHashArg(c))
}

func (s *Server) ethGetUncleCountByBlockNumber(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	return uncleCount(s.blockByNumberArg(c, true))
}

func (s *Server) ethGetUncleByBlockHashAndIndex(c *call) (any, error) {
	if err := c.maxArgs(2); err != nil {
		return nil, err
	}
	if _, err := c.hashArg(0, "block hash"); err != nil {
		return nil, err
	}
	if _, err := c.uint64Arg(1, "uncle index"); err != nil {
		return nil, err
	}
	return nil, nil
}

func (s *Server) ethGetUncleByBlockNumberAndIndex(c *call) (any, error) {
	if err := c.maxArgs(2); err != nil {
		return nil, err
	}
	if _, err := c.blockTagArg(0, "block"); err != nil {
		return nil, err
	}
	if _, err := c.uint64Arg(1, "uncle index"); err != nil {
		return nil, err
	}
	return nil, nil
}

// lookupTx finds a tx; loc is nil for a pending tx. All nil when unknown.
func (s *Server) lookupTx(h common.Hash) (*types.Transaction, *txLoc, error) {
	lk, err := s.b.TxByHash(h)
	if isNotFound(err) || (err == nil && (lk == nil || lk.Tx == nil)) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if lk.Pending {
		return lk.Tx, nil, nil
	}
	hdr, err := s.headerByNumber(lk.BlockNumber)
	if err != nil {
		return nil, nil, err
	}
	if hdr == nil {
		return nil, nil, fmt.Errorf("block #%d of transaction %s is missing from the ledger", lk.BlockNumber, h.Hex())
	}
	return lk.Tx, &txLoc{hash: s.headerHash(hdr), number: hdr.Number, time: hdr.Timestamp, index: lk.Index}, nil
}

// txArg reads a tx hash, the only argument, and looks the tx up (see
// lookupTx).
func (s *Server) txArg(c *call) (*types.Transaction, *txLoc, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, nil, err
	}
	h, err := c.hashArg(0, "transaction hash")
	if err != nil {
		return nil, nil, err
	}
	return s.lookupTx(h)
}

func (s *Server) ethGetTransactionByHash(c *call) (any, error) {
	tx, loc, err := s.txArg(c)
	if err != nil || tx == nil {
		return nil, err
	}
	return s.marshalTx(tx, loc), nil
}

func (s *Server) ethGetRawTransactionByHash(c *call) (any, error) {
	tx, _, err := s.txArg(c)
	if err != nil || tx == nil {
		return nil, err
	}
	return hexutil.Bytes(tx.Bytes()), nil
}

func (s *Server) txAtIndex(c *call, b *types.Block) (any, error) {
	idx, err := c.uint64Arg(1, "transaction index")
	if err != nil {
		return nil, err
	}
	if b == nil || idx >= uint64(len(b.Txs)) {
		return nil, nil
	}
	h := b.Header
	return s.marshalTx(b.Txs[idx], &txLoc{hash: s.headerHash(h), number: h.Number, time: h.Timestamp, index: idx}), nil
}

func (s *Server) ethGetTransactionByBlockHashAndIndex(c *call) (any, error) {
	if err := c.maxArgs(2); err != nil {
		return nil, err
	}
	b, err := s.blockByHashArg(c)
	if err != nil {
		return nil, err
	}
	return s.txAtIndex(c, b)
}

func (s *Server) ethGetTransactionByBlockNumberAndIndex(c *call) (any, error) {
	if err := c.maxArgs(2); err != nil {
		return nil, err
	}
	b, err := s.blockByNumberArg(c, false)
	if err != nil {
		return nil, err
	}
	return s.txAtIndex(c, b)
}

// committedTxBlock finds the block that holds the committed tx h and the
// tx's index in it. The block is nil, with no error, when h is unknown or
// still pending (pending then says so).
func (s *Server) committedTxBlock(h common.Hash) (b *types.Block, idx uint64, pending bool, err error) {
	lk, err := s.b.TxByHash(h)
	if isNotFound(err) || (err == nil && lk == nil) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	if lk.Pending {
		return nil, 0, true, nil
	}
	b, err = s.blockByNumber(lk.BlockNumber)
	if err != nil {
		return nil, 0, false, err
	}
	if b == nil || lk.Index >= uint64(len(b.Txs)) || b.Txs[lk.Index].Hash() != h {
		return nil, 0, false, fmt.Errorf("the ledger's index for transaction %s does not match block #%d", h.Hex(), lk.BlockNumber)
	}
	return b, lk.Index, false, nil
}

// receiptOf finds the receipt of a committed tx; nil when unknown or pending.
func (s *Server) receiptOf(h common.Hash) (*bcosReceipt, error) {
	b, idx, _, err := s.committedTxBlock(h)
	if err != nil || b == nil {
		return nil, err
	}
	rs, err := s.receiptsOf(b, s.headerHash(b.Header))
	if err != nil {
		return nil, err
	}
	return rs[idx], nil
}

// receiptArg reads a tx hash, the only argument, and finds its receipt:
// nil when the tx is unknown or pending.
func (s *Server) receiptArg(c *call) (*bcosReceipt, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	h, err := c.hashArg(0, "transaction hash")
	if err != nil {
		return nil, err
	}
	return s.receiptOf(h)
}

func (s *Server) ethGetTransactionReceipt(c *call) (any, error) {
	r, err := s.receiptArg(c)
	if err != nil || r == nil {
		return nil, err
	}
	return &r.rpcReceipt, nil
}

func (s *Server) ethGetBlockReceipts(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	ref, err := c.blockRefArg(0, "block")
	if err != nil {
		return nil, err
	}
	b, err := s.blockByRef(ref)
	if err != nil || b == nil {
		return nil, err
	}
	rs, err := s.receiptsOf(b, s.headerHash(b.Header))
	if err != nil {
		return nil, err
	}
	return ethReceipts(rs), nil
}

type rpcSyncing struct {
	StartingBlock hexutil.Uint64 `json:"startingBlock"`
	CurrentBlock  hexutil.Uint64 `json:"currentBlock"`
	HighestBlock  hexutil.Uint64 `json:"highestBlock"`
}

func (s *Server) ethSyncing(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	p, ok := s.b.Syncing()
	if !ok {
		return false, nil
	}
	return &rpcSyncing{hexutil.Uint64(p.StartingBlock), hexutil.Uint64(p.CurrentBlock), hexutil.Uint64(p.HighestBlock)}, nil
}
