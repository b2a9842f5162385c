package rpc

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/types"
)

// The bcos_* namespace: chain information, system configuration, Merkle
// proofs and native transactions.

type rpcSealer struct {
	NodeID  hexutil.Bytes  `json:"nodeId"`
	Address common.Address `json:"address"`
}

type rpcChainInfo struct {
	ChainID          hexutil.Uint64 `json:"chainId"`
	GroupID          string         `json:"groupId"`
	CryptoSuite      string         `json:"cryptoSuite"`
	Consensus        string         `json:"consensus"`
	Sealers          []rpcSealer    `json:"sealers"`
	Version          string         `json:"version"`
	BlockNumber      hexutil.Uint64 `json:"blockNumber"`
	BlockLimitWindow hexutil.Uint64 `json:"blockLimitWindow"`
	TxGasLimit       hexutil.Uint64 `json:"txGasLimit"`
}

func (s *Server) bcosGetChainInfo(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	head, err := s.headNumber()
	if err != nil {
		return nil, err
	}
	info := s.b.ChainInfo()
	out := &rpcChainInfo{
		ChainID:          hexutil.Uint64(s.chainID),
		GroupID:          s.groupID,
		CryptoSuite:      s.suite.Name(),
		Consensus:        info.Consensus,
		Sealers:          make([]rpcSealer, len(info.Sealers)),
		Version:          info.Version,
		BlockNumber:      hexutil.Uint64(head),
		BlockLimitWindow: hexutil.Uint64(info.BlockLimitWindow),
		TxGasLimit:       hexutil.Uint64(info.TxGasLimit),
	}
	for i, sl := range info.Sealers {
		out.Sealers[i] = rpcSealer{NodeID: nonNilBytes(sl.NodeID), Address: sl.Address}
	}
	return out, nil
}

type rpcConfigEntry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func (s *Server) bcosGetSystemConfig(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	cfg, err := s.b.SystemConfig()
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		cfg = map[string]string{}
	}
	if c.optional(0) == nil {
		return cfg, nil
	}
	key, err := c.stringArg(0, "key")
	if err != nil {
		return nil, err
	}
	v, ok := cfg[key]
	if !ok {
		keys := make([]string, 0, len(cfg))
		for k := range cfg {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, argError(0, "key", fmt.Errorf("unknown system config key %q; known keys: %s", truncate(key, 64), strings.Join(keys, ", ")))
	}
	return &rpcConfigEntry{Key: key, Value: v}, nil
}

func (s *Server) bcosGetPendingTxSize(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	return hexutil.Uint64(s.b.PendingTxCount()), nil
}

func (s *Server) bcosGetTransactionReceipt(c *call) (any, error) {
	r, err := s.receiptArg(c)
	if err != nil || r == nil {
		return nil, err
	}
	return r, nil
}

// rpcProof proves a tx or a receipt is in a block: hash the leaf data with
// the chain's hash (leaf = H(0x00 || data), where data is the tx hash or
// the receipt encoding), fold in the proof steps (inner = H(0x01 || left
// || right)), and compare with root, a field of the block's header.
type rpcProof struct {
	BlockNumber hexutil.Uint64    `json:"blockNumber"`
	BlockHash   common.Hash       `json:"blockHash"`
	Index       hexutil.Uint64    `json:"index"`
	TxHash      common.Hash       `json:"txHash"`
	Root        common.Hash       `json:"root"`
	Leaf        common.Hash       `json:"leaf"`
	Transaction hexutil.Bytes     `json:"transaction,omitempty"`
	Receipt     hexutil.Bytes     `json:"receipt,omitempty"`
	Proof       []types.ProofStep `json:"proof"`
}

// proofBlock finds the committed block of a tx for a proof.
func (s *Server) proofBlock(c *call) (*types.Block, common.Hash, uint64, common.Hash, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, common.Hash{}, 0, common.Hash{}, err
	}
	h, err := c.hashArg(0, "transaction hash")
	if err != nil {
		return nil, common.Hash{}, 0, common.Hash{}, err
	}
	b, idx, pending, err := s.committedTxBlock(h)
	if err != nil {
		return nil, common.Hash{}, 0, common.Hash{}, err
	}
	if pending {
		return nil, common.Hash{}, 0, common.Hash{}, fmt.Errorf("transaction %s is pending: a proof exists once it is committed", h.Hex())
	}
	if b == nil {
		return nil, common.Hash{}, 0, common.Hash{}, fmt.Errorf("transaction %s not found", h.Hex())
	}
	return b, s.headerHash(b.Header), idx, h, nil
}

func (s *Server) bcosGetTransactionProof(c *call) (any, error) {
	b, hash, idx, txHash, err := s.proofBlock(c)
	if err != nil {
		return nil, err
	}
	leaves := types.TxLeaves(s.suite, b.Txs)
	steps, err := s.merkleProof(b, "transactions", leaves, b.Header.TxRoot, idx)
	if err != nil {
		return nil, err
	}
	return &rpcProof{
		BlockNumber: hexutil.Uint64(b.Header.Number), BlockHash: hash, Index: hexutil.Uint64(idx), TxHash: txHash,
		Root: b.Header.TxRoot, Leaf: leaves[idx], Transaction: b.Txs[idx].Bytes(), Proof: steps,
	}, nil
}

func (s *Server) bcosGetReceiptProof(c *call) (any, error) {
	b, hash, idx, txHash, err := s.proofBlock(c)
	if err != nil {
		return nil, err
	}
	rs, err := s.b.Receipts(b.Header.Number)
	if err != nil {
		return nil, err
	}
	if len(rs) != len(b.Txs) {
		return nil, fmt.Errorf("block #%d has %d transactions but %d receipts", b.Header.Number, len(b.Txs), len(rs))
	}
	leaves := types.ReceiptLeaves(s.suite, rs)
	steps, err := s.merkleProof(b, "receipts", leaves, b.Header.ReceiptRoot, idx)
	if err != nil {
		return nil, err
	}
	return &rpcProof{
		BlockNumber: hexutil.Uint64(b.Header.Number), BlockHash: hash, Index: hexutil.Uint64(idx), TxHash: txHash,
		Root: b.Header.ReceiptRoot, Leaf: leaves[idx], Receipt: types.EncodeReceipt(rs[idx]), Proof: steps,
	}, nil
}

// merkleProof proves leaf idx of block b's transactions or receipts (what),
// after checking that the leaves fold to root, the header's field: a
// mismatch means the ledger is damaged, and a proof from it would be false.
func (s *Server) merkleProof(b *types.Block, what string, leaves []common.Hash, root common.Hash, idx uint64) ([]types.ProofStep, error) {
	if got := types.MerkleRoot(s.suite, leaves); got != root {
		return nil, fmt.Errorf("block #%d: %s root %s does not match the header's %s", b.Header.Number, what, got.Hex(), root.Hex())
	}
	steps, err := types.MerkleProof(s.suite, leaves, int(idx))
	if err != nil {
		return nil, err
	}
	if steps == nil {
		return []types.ProofStep{}, nil
	}
	return steps, nil
}

// bcosSendTransaction accepts a native or an Ethereum tx and returns its
// hash, or with waitForReceipt its receipt once committed.
func (s *Server) bcosSendTransaction(c *call) (any, error) {
	if err := c.maxArgs(2); err != nil {
		return nil, err
	}
	tx, err := s.decodeTxArg(c, 0)
	if err != nil {
		return nil, err
	}
	wait, err := c.optionalBoolArg(1, "waitForReceipt")
	if err != nil {
		return nil, err
	}
	if !wait {
		if err := s.sendTx(c, tx); err != nil {
			return nil, err
		}
		return tx.Hash(), nil
	}
	// Register before sending so the commit cannot slip past.
	ch, cancel := s.hub.wait(tx.Hash())
	defer cancel()
	if err := s.b.SendTx(c.ctx, tx); err != nil {
		return nil, err
	}
	timer := time.NewTimer(s.cfg.ReceiptWaitTimeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		return r, nil
	case <-timer.C:
	case <-c.ctx.Done():
	case <-s.quit:
	}
	// The commit may have been missed (for example a backend that dropped
	// an event): look once in the ledger before giving up.
	if r, err := s.receiptOf(tx.Hash()); err == nil && r != nil {
		return r, nil
	}
	if err := c.ctx.Err(); err != nil {
		return nil, fmt.Errorf("stopped waiting for transaction %s: %w", tx.Hash().Hex(), err)
	}
	if s.isClosed() {
		return nil, errors.New("stopped waiting for the receipt: the server is shutting down")
	}
	return nil, &Error{
		Code: CodeServer,
		Message: fmt.Sprintf("%v after %v: transaction %s is in the pool and may still be committed; poll eth_getTransactionReceipt",
			ErrReceiptTimeout, s.cfg.ReceiptWaitTimeout, tx.Hash().Hex()),
		Data: tx.Hash().Hex(),
	}
}
