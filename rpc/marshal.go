package rpc

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/types"
)

// The JSON shapes of the execution-apis schemas. Field order follows
// go-ethereum's answers.

type rpcCommitSig struct {
	Index     hexutil.Uint64 `json:"index"`
	Signature hexutil.Bytes  `json:"signature"`
}

// rpcHeader is a block without its body: the newHeads notification.
type rpcHeader struct {
	Hash             common.Hash         `json:"hash"`
	ParentHash       common.Hash         `json:"parentHash"`
	Sha3Uncles       common.Hash         `json:"sha3Uncles"`
	Miner            common.Address      `json:"miner"`
	StateRoot        common.Hash         `json:"stateRoot"`
	TransactionsRoot common.Hash         `json:"transactionsRoot"`
	ReceiptsRoot     common.Hash         `json:"receiptsRoot"`
	LogsBloom        ethtypes.Bloom      `json:"logsBloom"`
	Difficulty       hexutil.Uint64      `json:"difficulty"`
	Number           hexutil.Uint64      `json:"number"`
	GasLimit         hexutil.Uint64      `json:"gasLimit"`
	GasUsed          hexutil.Uint64      `json:"gasUsed"`
	Timestamp        hexutil.Uint64      `json:"timestamp"`
	ExtraData        hexutil.Bytes       `json:"extraData"`
	MixHash          common.Hash         `json:"mixHash"`
	Nonce            ethtypes.BlockNonce `json:"nonce"`
	BaseFeePerGas    hexutil.Uint64      `json:"baseFeePerGas"`
	// Signatures is the commit certificate (a gobcos extra field).
	Signatures []rpcCommitSig `json:"signatures"`
}

type rpcBlock struct {
	rpcHeader
	Size         hexutil.Uint64 `json:"size"`
	Transactions []any          `json:"transactions"`
	Uncles       []common.Hash  `json:"uncles"`
}

func (s *Server) headerHash(h *types.Header) common.Hash { return h.Hash(s.suite) }

func marshalHeader(h *types.Header, hash common.Hash) *rpcHeader {
	sigs := make([]rpcCommitSig, len(h.Signatures))
	for i, cs := range h.Signatures {
		sigs[i] = rpcCommitSig{Index: hexutil.Uint64(cs.Index), Signature: cs.Signature}
	}
	return &rpcHeader{
		Hash:             hash,
		ParentHash:       h.ParentHash,
		Sha3Uncles:       ethtypes.EmptyUncleHash,
		Miner:            h.Sealer,
		StateRoot:        h.StateRoot,
		TransactionsRoot: h.TxRoot,
		ReceiptsRoot:     h.ReceiptRoot,
		LogsBloom:        h.LogsBloom,
		Number:           hexutil.Uint64(h.Number),
		GasLimit:         hexutil.Uint64(h.GasLimit),
		GasUsed:          hexutil.Uint64(h.GasUsed),
		Timestamp:        hexutil.Uint64(h.Timestamp),
		ExtraData:        hexutil.Bytes(h.Extra),
		Signatures:       sigs,
	}
}

// marshalBlock builds a block object with tx hashes or full txs.
func (s *Server) marshalBlock(b *types.Block, hash common.Hash, full bool) *rpcBlock {
	out := &rpcBlock{
		rpcHeader:    *marshalHeader(b.Header, hash),
		Size:         hexutil.Uint64(len(types.EncodeBlock(b))),
		Transactions: make([]any, len(b.Txs)),
		Uncles:       []common.Hash{},
	}
	for i, tx := range b.Txs {
		if full {
			out.Transactions[i] = s.marshalTx(tx, &txLoc{hash: hash, number: b.Header.Number, time: b.Header.Timestamp, index: uint64(i)})
		} else {
			out.Transactions[i] = tx.Hash()
		}
	}
	return out
}

// txLoc is where a committed tx is; nil for a pending one.
type txLoc struct {
	hash   common.Hash
	number uint64
	time   uint64
	index  uint64
}

// rpcEthTx is an Ethereum-signed transaction, exactly as go-ethereum shows it.
type rpcEthTx struct {
	BlockHash            *common.Hash         `json:"blockHash"`
	BlockNumber          *hexutil.Uint64      `json:"blockNumber"`
	BlockTimestamp       *hexutil.Uint64      `json:"blockTimestamp"`
	From                 common.Address       `json:"from"`
	Gas                  hexutil.Uint64       `json:"gas"`
	GasPrice             *hexutil.Big         `json:"gasPrice"`
	MaxFeePerGas         *hexutil.Big         `json:"maxFeePerGas,omitempty"`
	MaxPriorityFeePerGas *hexutil.Big         `json:"maxPriorityFeePerGas,omitempty"`
	Hash                 common.Hash          `json:"hash"`
	Input                hexutil.Bytes        `json:"input"`
	Nonce                hexutil.Uint64       `json:"nonce"`
	To                   *common.Address      `json:"to"`
	TransactionIndex     *hexutil.Uint64      `json:"transactionIndex"`
	Value                *hexutil.Big         `json:"value"`
	Type                 hexutil.Uint64       `json:"type"`
	AccessList           *ethtypes.AccessList `json:"accessList,omitempty"`
	ChainID              *hexutil.Big         `json:"chainId,omitempty"`
	V                    *hexutil.Big         `json:"v"`
	R                    *hexutil.Big         `json:"r"`
	S                    *hexutil.Big         `json:"s"`
	YParity              *hexutil.Uint64      `json:"yParity,omitempty"`
}

// rpcNativeTx is a native (type 0x60) transaction: the common fields plus
// the native replay-protection fields.
type rpcNativeTx struct {
	BlockHash        *common.Hash    `json:"blockHash"`
	BlockNumber      *hexutil.Uint64 `json:"blockNumber"`
	BlockTimestamp   *hexutil.Uint64 `json:"blockTimestamp"`
	From             common.Address  `json:"from"`
	Gas              hexutil.Uint64  `json:"gas"` // 0: the chain's per-tx gas limit
	GasPrice         hexutil.Uint64  `json:"gasPrice"`
	Hash             common.Hash     `json:"hash"`
	Input            hexutil.Bytes   `json:"input"`
	Nonce            *hexutil.Big    `json:"nonce"` // the random nonce
	To               *common.Address `json:"to"`
	TransactionIndex *hexutil.Uint64 `json:"transactionIndex"`
	Value            *hexutil.Big    `json:"value"`
	Type             hexutil.Uint64  `json:"type"`
	ChainID          hexutil.Uint64  `json:"chainId"`
	GroupID          string          `json:"groupId"`
	BlockLimit       hexutil.Uint64  `json:"blockLimit"`
	ExtraData        hexutil.Bytes   `json:"extraData"`
	PublicKey        hexutil.Bytes   `json:"publicKey,omitempty"`
	V                *hexutil.Big    `json:"v,omitempty"`
	R                *hexutil.Big    `json:"r,omitempty"`
	S                *hexutil.Big    `json:"s,omitempty"`
	YParity          *hexutil.Uint64 `json:"yParity,omitempty"`
}

// senderOf is the tx's sender: the cached one, or recovered now.
func (s *Server) senderOf(tx *types.Transaction) common.Address {
	if a, ok := tx.CachedSender(); ok {
		return a
	}
	a, err := tx.Verify(s.suite, s.chainID, s.groupID)
	if err != nil {
		s.log.Warn("transaction without a valid sender", "tx", tx.Hash(), "err", err)
	}
	return a
}

func u64p(v uint64) *hexutil.Uint64 { x := hexutil.Uint64(v); return &x }

func (s *Server) marshalTx(tx *types.Transaction, loc *txLoc) any {
	if n := tx.Native(); n != nil {
		return s.marshalNativeTx(tx, n, loc)
	}
	e := tx.Eth()
	v, r, sv := e.RawSignatureValues()
	out := &rpcEthTx{
		From:     s.senderOf(tx),
		Gas:      hexutil.Uint64(e.Gas()),
		GasPrice: (*hexutil.Big)(e.GasPrice()),
		Hash:     tx.Hash(),
		Input:    e.Data(),
		Nonce:    hexutil.Uint64(e.Nonce()),
		To:       e.To(),
		Value:    (*hexutil.Big)(e.Value()),
		Type:     hexutil.Uint64(e.Type()),
		V:        (*hexutil.Big)(v),
		R:        (*hexutil.Big)(r),
		S:        (*hexutil.Big)(sv),
	}
	if loc != nil {
		out.BlockHash = &loc.hash
		out.BlockNumber = u64p(loc.number)
		out.BlockTimestamp = u64p(loc.time)
		out.TransactionIndex = u64p(loc.index)
	}
	switch e.Type() {
	case ethtypes.LegacyTxType:
		if id := e.ChainId(); id.Sign() != 0 {
			out.ChainID = (*hexutil.Big)(id)
		}
	default:
		al := e.AccessList()
		if al == nil {
			al = ethtypes.AccessList{}
		}
		out.AccessList = &al
		out.ChainID = (*hexutil.Big)(e.ChainId())
		out.YParity = u64p(uint64(v.Sign()))
		if e.Type() == ethtypes.DynamicFeeTxType {
			out.MaxFeePerGas = (*hexutil.Big)(e.GasFeeCap())
			out.MaxPriorityFeePerGas = (*hexutil.Big)(e.GasTipCap())
			// The base fee is always zero: a committed tx paid
			// min(tip, feeCap); a pending one shows its fee cap.
			if loc != nil {
				out.GasPrice = (*hexutil.Big)(bigMin(e.GasTipCap(), e.GasFeeCap()))
			} else {
				out.GasPrice = (*hexutil.Big)(e.GasFeeCap())
			}
		}
	}
	return out
}

func (s *Server) marshalNativeTx(tx *types.Transaction, n *types.NativeTx, loc *txLoc) *rpcNativeTx {
	out := &rpcNativeTx{
		From:       s.senderOf(tx),
		Gas:        hexutil.Uint64(n.GasLimit),
		Hash:       tx.Hash(),
		Input:      n.Input,
		Nonce:      (*hexutil.Big)(bigOrZero(n.Nonce)),
		To:         tx.To(),
		Value:      (*hexutil.Big)(tx.Value()),
		Type:       hexutil.Uint64(types.NativeTxType),
		ChainID:    hexutil.Uint64(n.ChainID),
		GroupID:    n.GroupID,
		BlockLimit: hexutil.Uint64(n.BlockLimit),
		ExtraData:  n.Extra,
		PublicKey:  n.PublicKey,
	}
	if out.ExtraData == nil {
		out.ExtraData = hexutil.Bytes{}
	}
	if len(n.Signature) >= 64 {
		out.R = (*hexutil.Big)(new(big.Int).SetBytes(n.Signature[:32]))
		out.S = (*hexutil.Big)(new(big.Int).SetBytes(n.Signature[32:64]))
		if len(n.Signature) == 65 {
			out.V = (*hexutil.Big)(big.NewInt(int64(n.Signature[64])))
			out.YParity = u64p(uint64(n.Signature[64]))
		}
	}
	if loc != nil {
		out.BlockHash = &loc.hash
		out.BlockNumber = u64p(loc.number)
		out.BlockTimestamp = u64p(loc.time)
		out.TransactionIndex = u64p(loc.index)
	}
	return out
}

func bigMin(a, b *big.Int) *big.Int {
	if a.Cmp(b) < 0 {
		return a
	}
	return b
}

func bigOrZero(b *big.Int) *big.Int {
	if b == nil {
		return new(big.Int)
	}
	return b
}

type rpcLog struct {
	Address          common.Address `json:"address"`
	Topics           []common.Hash  `json:"topics"`
	Data             hexutil.Bytes  `json:"data"`
	BlockNumber      hexutil.Uint64 `json:"blockNumber"`
	BlockHash        common.Hash    `json:"blockHash"`
	BlockTimestamp   hexutil.Uint64 `json:"blockTimestamp"`
	TransactionHash  common.Hash    `json:"transactionHash"`
	TransactionIndex hexutil.Uint64 `json:"transactionIndex"`
	LogIndex         hexutil.Uint64 `json:"logIndex"`
	Removed          bool           `json:"removed"`
}

type rpcReceipt struct {
	Type              hexutil.Uint64  `json:"type"`
	Status            hexutil.Uint64  `json:"status"`
	CumulativeGasUsed hexutil.Uint64  `json:"cumulativeGasUsed"`
	LogsBloom         ethtypes.Bloom  `json:"logsBloom"`
	Logs              []*rpcLog       `json:"logs"`
	TransactionHash   common.Hash     `json:"transactionHash"`
	TransactionIndex  hexutil.Uint64  `json:"transactionIndex"`
	BlockHash         common.Hash     `json:"blockHash"`
	BlockNumber       hexutil.Uint64  `json:"blockNumber"`
	From              common.Address  `json:"from"`
	To                *common.Address `json:"to"`
	GasUsed           hexutil.Uint64  `json:"gasUsed"`
	EffectiveGasPrice hexutil.Uint64  `json:"effectiveGasPrice"` // gas is not charged
	ContractAddress   *common.Address `json:"contractAddress"`
}

// bcosReceipt is a receipt with the gobcos execution details. The
// Ethereum receipt schema forbids extra fields, so only bcos_* methods
// answer it.
type bcosReceipt struct {
	rpcReceipt
	Output       hexutil.Bytes `json:"output"`
	ErrorMessage string        `json:"errorMessage"`
}

// blockReceipts builds the receipt objects of a block. Positions, senders
// and hashes come from the block itself, so they are right even if the
// backend left the derived fields of its receipts empty.
func (s *Server) blockReceipts(b *types.Block, hash common.Hash, rs []*types.Receipt) []*bcosReceipt {
	out := make([]*bcosReceipt, len(rs))
	// The block's answers and logs in a few allocations: they live and go
	// together (the receipt cache keeps a block's answers).
	vals := make([]bcosReceipt, len(rs))
	nlogs := 0
	for _, r := range rs {
		nlogs += len(r.Logs)
	}
	logVals, logPtrs := make([]rpcLog, nlogs), make([]*rpcLog, nlogs)
	blooms := s.blooms.Get()
	defer s.blooms.Put(blooms)
	var cumulative, logIndex uint64
	for i, r := range rs {
		cumulative += r.GasUsed
		rr := &vals[i]
		*rr = bcosReceipt{
			rpcReceipt: rpcReceipt{
				Status:            hexutil.Uint64(r.Status),
				CumulativeGasUsed: hexutil.Uint64(cumulative),
				LogsBloom:         blooms.ReceiptBloom(r),
				Logs:              logPtrs[logIndex : logIndex+uint64(len(r.Logs)) : logIndex+uint64(len(r.Logs))],
				TransactionHash:   r.TxHash,
				TransactionIndex:  hexutil.Uint64(i),
				BlockHash:         hash,
				BlockNumber:       hexutil.Uint64(b.Header.Number),
				From:              r.From,
				To:                r.To,
				GasUsed:           hexutil.Uint64(r.GasUsed),
			},
			Output:       r.Output,
			ErrorMessage: r.ErrorMessage,
		}
		if rr.Output == nil {
			rr.Output = hexutil.Bytes{}
		}
		if i < len(b.Txs) {
			tx := b.Txs[i]
			rr.Type = hexutil.Uint64(tx.Type())
			rr.TransactionHash = tx.Hash()
			rr.From = s.senderOf(tx)
			rr.To = tx.To()
		}
		if r.ContractAddress != (common.Address{}) {
			a := r.ContractAddress
			rr.ContractAddress = &a
		}
		for j, l := range r.Logs {
			rl := &logVals[logIndex]
			rr.Logs[j] = rl
			*rl = rpcLog{
				Address:          l.Address,
				Topics:           nonNilTopics(l.Topics),
				Data:             nonNilBytes(l.Data),
				BlockNumber:      hexutil.Uint64(b.Header.Number),
				BlockHash:        hash,
				BlockTimestamp:   hexutil.Uint64(b.Header.Timestamp),
				TransactionHash:  rr.TransactionHash,
				TransactionIndex: hexutil.Uint64(i),
				LogIndex:         hexutil.Uint64(logIndex),
			}
			logIndex++
		}
		out[i] = rr
	}
	return out
}

func nonNilTopics(t []common.Hash) []common.Hash {
	if t == nil {
		return []common.Hash{}
	}
	return t
}

func nonNilBytes(b []byte) hexutil.Bytes {
	if b == nil {
		return hexutil.Bytes{}
	}
	return b
}

// ethReceipts strips the gobcos extras for the eth_* methods.
func ethReceipts(rs []*bcosReceipt) []*rpcReceipt {
	out := make([]*rpcReceipt, len(rs))
	for i, r := range rs {
		out[i] = &r.rpcReceipt
	}
	return out
}
