package rpc

import (
	"context"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// Backend is what the server needs of one group. The node package
// implements it over the ledger, the txpool and the executor.
//
// Lookups of blocks, headers, transactions and receipts return ErrNotFound
// (possibly wrapped), or a nil value with a nil error, when the item does
// not exist. Every method must be safe for concurrent use.
type Backend interface {
	// ChainID is the chain id (EIP-155 for Ethereum txs).
	ChainID() uint64
	// GroupID names the group this server serves.
	GroupID() string
	// Suite is the chain's crypto suite; it hashes headers and native txs.
	Suite() crypto.Suite
	// ClientVersion is the node software's name and version.
	ClientVersion() string
	// PeerCount is the number of connected peers of the node.
	PeerCount() int

	// Head is the latest committed header; committed blocks are final.
	Head() *types.Header
	HeaderByNumber(number uint64) (*types.Header, error)
	HeaderByHash(hash common.Hash) (*types.Header, error)
	// BlockByNumber and BlockByHash return blocks whose txs have their
	// senders cached (tx.SetSender or a successful Verify).
	BlockByNumber(number uint64) (*types.Block, error)
	BlockByHash(hash common.Hash) (*types.Block, error)
	// Receipts are the receipts of a committed block in tx order, with the
	// derived position fields filled in.
	Receipts(number uint64) ([]*types.Receipt, error)
	// TxByHash finds a committed transaction, or a pending one in the pool.
	TxByHash(hash common.Hash) (*TxLookup, error)

	// Balance, Nonce, Code and Storage read the state as of the end of
	// block number. The server passes only committed numbers (at most the
	// head it saw), so a backend answers every number up to its head.
	Balance(addr common.Address, number uint64) (*big.Int, error)
	Nonce(addr common.Address, number uint64) (uint64, error)
	Code(addr common.Address, number uint64) ([]byte, error)
	Storage(addr common.Address, slot common.Hash, number uint64) (common.Hash, error)

	// PendingNonce is the next account nonce counting the pool's txs.
	PendingNonce(addr common.Address) (uint64, error)
	// PendingTxCount is the number of txs waiting in the pool.
	PendingTxCount() int
	// SendTx verifies tx and adds it to the pool. Its errors (the pool's
	// sentinel errors, wrapped) are shown to the client as they are.
	SendTx(ctx context.Context, tx *types.Transaction) error

	// Call executes msg without committing, in block number's context
	// (its number, timestamp and sealer) on the state after that block.
	Call(ctx context.Context, msg CallMsg, number uint64) (*ExecResult, error)
	// EstimateGas finds the gas msg needs at block number as Call runs it;
	// on success GasUsed is the estimate.
	EstimateGas(ctx context.Context, msg CallMsg, number uint64) (*ExecResult, error)

	// ChainInfo describes consensus and sealers.
	ChainInfo() ChainInfo
	// SystemConfig is the current on-chain system configuration.
	SystemConfig() (map[string]string, error)
	// Syncing reports block download progress; ok is false when in sync.
	Syncing() (progress SyncProgress, ok bool)

	// SubscribeCommits delivers every committed block with its receipts,
	// in order, on ch until unsubscribe is called. The server reads ch
	// promptly; it calls unsubscribe once, at Shutdown, and keeps draining
	// ch until unsubscribe returns, so unsubscribe may wait for a send in
	// progress (as go-ethereum's event.Feed does). No send may follow it.
	SubscribeCommits(ch chan<- CommitEvent) (unsubscribe func())
}

// PendingTxSource is an optional Backend extension: a backend that
// implements it gets eth_newPendingTransactionFilter and the
// newPendingTransactions subscription; others answer "method not found".
type PendingTxSource interface {
	// SubscribePendingTxs delivers the hash of every tx admitted to the pool.
	// A backend may drop hashes rather than block when ch is full.
	SubscribePendingTxs(ch chan<- common.Hash) (unsubscribe func())
}

// AccessListBackend is an optional Backend extension for
// eth_createAccessList; without it the method is "not found".
type AccessListBackend interface {
	// CreateAccessList runs msg as Call does at block number.
	CreateAccessList(ctx context.Context, msg CallMsg, number uint64) (ethtypes.AccessList, *ExecResult, error)
}

// TxLookup is a transaction and where it is.
type TxLookup struct {
	Tx          *types.Transaction // with its sender cached
	Pending     bool               // in the pool, not yet committed
	BlockNumber uint64
	BlockHash   common.Hash
	Index       uint64
}

// CallMsg is a message executed by eth_call and eth_estimateGas.
type CallMsg struct {
	From       common.Address
	To         *common.Address // nil creates a contract
	Gas        uint64          // 0 means the chain's per-tx gas limit
	Value      *big.Int        // never nil
	Data       []byte
	AccessList ethtypes.AccessList
}

// ExecResult is the outcome of a call.
type ExecResult struct {
	ReturnData []byte // return data, or the revert data when Reverted
	GasUsed    uint64
	Reverted   bool  // the EVM executed REVERT
	Err        error // another execution failure (out of gas, invalid opcode...)
}

// ChainInfo is what bcos_getChainInfo reports beyond ids and the head.
type ChainInfo struct {
	Consensus        string // "pbft", "raft", "solo"
	Sealers          []SealerInfo
	Version          string // compatibility version of the chain
	BlockLimitWindow uint64 // how far ahead a native tx's block limit may be
	TxGasLimit       uint64 // per-tx gas limit
}

// SealerInfo identifies one sealer.
type SealerInfo struct {
	NodeID  []byte // uncompressed public key
	Address common.Address
}

// SyncProgress is block download progress.
type SyncProgress struct {
	StartingBlock uint64
	CurrentBlock  uint64
	HighestBlock  uint64
}

// CommitEvent is one committed block and its receipts.
type CommitEvent struct {
	Block    *types.Block
	Receipts []*types.Receipt
}
