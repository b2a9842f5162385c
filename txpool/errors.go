package txpool

import (
	"errors"

	"github.com/gobcos/gobcos/types"
)

// Sentinel errors of admission. Add wraps them with the details of the
// rejected transaction; test them with errors.Is.
var (
	// ErrNilTx is returned for a nil transaction in a batch.
	ErrNilTx = errors.New("nil transaction")
	// ErrAlreadyKnown: the same transaction (same hash) is already pending.
	ErrAlreadyKnown = errors.New("transaction already in the pool")
	// ErrAlreadyCommitted: the transaction is already on the chain.
	ErrAlreadyCommitted = errors.New("transaction already committed")
	// ErrTxTooLarge: the encoded transaction exceeds Config.MaxTxSize.
	ErrTxTooLarge = errors.New("transaction too large")
	// ErrGasLimitTooHigh: the tx asks for more gas than one tx may use on this chain.
	ErrGasLimitTooHigh = errors.New("transaction gas limit above the chain's per-transaction gas limit")
	// ErrNonceTooLow: an Ethereum tx's nonce was already used by a committed tx of its sender.
	ErrNonceTooLow = errors.New("nonce too low")
	// ErrNonceTooHigh: an Ethereum tx's nonce is too far ahead of its sender's next nonce.
	ErrNonceTooHigh = errors.New("nonce too far ahead")
	// ErrNonceAlreadyPending: another tx of the same sender with the same nonce is pending.
	ErrNonceAlreadyPending = errors.New("nonce already pending")
	// ErrBlockLimitExpired: a native tx's block limit is not above the chain height.
	ErrBlockLimitExpired = errors.New("block limit expired")
	// ErrBlockLimitTooFar: a native tx's block limit is beyond the accepted window.
	ErrBlockLimitTooFar = errors.New("block limit too far ahead")
	// ErrNativeNonceUsed: a native tx's random nonce is used by a pending or committed tx.
	ErrNativeNonceUsed = errors.New("native transaction nonce already used")
	// ErrPoolFull: the pool holds Config.MaxTxs txs or Config.MaxBytes bytes.
	ErrPoolFull = errors.New("transaction pool is full")
	// ErrSenderQuota: the sender already has Config.MaxPerSender txs pending.
	ErrSenderQuota = errors.New("too many pending transactions from this sender")
	// ErrChainState: the pool could not read the committed chain state.
	ErrChainState = errors.New("cannot read chain state")
	// ErrInvalidConfig: a Config field is out of range.
	ErrInvalidConfig = errors.New("invalid txpool config")

	// The following are the errors of types.Transaction.Verify, named here
	// so callers of the pool need not import types to test for them.

	// ErrInvalidSignature: the signature does not verify.
	ErrInvalidSignature = types.ErrInvalidSig
	// ErrHighS: an ECDSA signature with a high s value (malleable form).
	ErrHighS = types.ErrHighS
	// ErrWrongChainID: the tx is signed for another chain.
	ErrWrongChainID = types.ErrWrongChainID
	// ErrWrongGroupID: the native tx is meant for another group.
	ErrWrongGroupID = types.ErrWrongGroupID
	// ErrEthTxNotAllowed: an Ethereum-signed tx sent to an SM chain.
	ErrEthTxNotAllowed = types.ErrEthTxNotAllowed
	// ErrUnprotectedTx: an Ethereum tx without an EIP-155 chain id.
	ErrUnprotectedTx = types.ErrUnprotectedTx
)
