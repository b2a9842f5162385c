package sdk

import "errors"

// Sentinel errors. Methods wrap them with details; test with errors.Is.
var (
	// ErrBadChainInfo means bcos_getChainInfo answered something unusable:
	// the endpoint is probably not a gobcos node.
	ErrBadChainInfo = errors.New("node's bcos_getChainInfo answer is not usable (is this a gobcos node?)")
	// ErrWrongSuite means a key of one crypto suite was used on a chain of the other.
	ErrWrongSuite = errors.New("the key's crypto suite is not the chain's")
	// ErrEthTxUnsupported means an Ethereum transaction was requested on an SM chain.
	ErrEthTxUnsupported = errors.New("Ethereum-signed transactions need an ECDSA chain; this chain uses SM2/SM3: send native transactions")
	// ErrBlockLimit means the node rejected a native transaction's block
	// limit (expired, or beyond the window): build and sign a new one.
	ErrBlockLimit = errors.New("node rejected the transaction's block limit")
	// ErrHashMismatch means the node reported another hash than the one the
	// client computed for the same transaction.
	ErrHashMismatch = errors.New("node reported a different transaction hash than the client computed (crypto suite mismatch?)")
	// ErrTxDropped means the chain passed a transaction's block limit
	// without including it: it can never be included any more.
	ErrTxDropped = errors.New("transaction was not included before its block limit and can no longer be")
	// ErrNotFound means the node does not know the requested transaction,
	// receipt or block.
	ErrNotFound = errors.New("not found")
	// ErrReverted is wrapped by a *RevertError of a contract that reverted.
	ErrReverted = errors.New("execution reverted")
	// ErrTxFailed is wrapped by a *RevertError of an execution that failed
	// without reverting (out of gas, invalid opcode...).
	ErrTxFailed = errors.New("execution failed")
	// ErrNoCode means a call returned nothing where the method has outputs:
	// usually there is no contract at the address.
	ErrNoCode = errors.New("call returned no data (no contract at this address?)")
	// ErrUnknownMethod and ErrUnknownEvent mean the ABI has no such entry.
	ErrUnknownMethod = errors.New("method not in the contract's ABI")
	ErrUnknownEvent  = errors.New("event not in the contract's ABI")
	// ErrProof means a Merkle proof does not check out.
	ErrProof = errors.New("proof verification failed")
)
