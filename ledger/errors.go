package ledger

import "errors"

// Sentinel errors. Callers get them wrapped with details; test with errors.Is.
var (
	// ErrNotFound: the block, transaction or receipt is not in the ledger.
	ErrNotFound = errors.New("ledger: not found")
	// ErrNotNextBlock: a commit whose number is not the head's plus one
	// (or not 0 for the first block).
	ErrNotNextBlock = errors.New("ledger: block number does not follow the head")
	// ErrWrongParent: a commit whose ParentHash is not the head's hash.
	ErrWrongParent = errors.New("ledger: block parent hash is not the head's hash")
	// ErrInconsistentBlock: the block's header does not match its
	// transactions or receipts, or the arguments of Commit disagree.
	ErrInconsistentBlock = errors.New("ledger: block is inconsistent")
	// ErrDuplicateTx: a transaction already committed, or twice in the block.
	ErrDuplicateTx = errors.New("ledger: transaction is already in the ledger")
	// ErrStateKeyInLedgerSpace: state writes tried to write a ledger key.
	ErrStateKeyInLedgerSpace = errors.New("ledger: state writes may not touch keys under the ledger prefix \"l/\"")
	// ErrCorrupt: stored ledger data failed to decode or is inconsistent.
	ErrCorrupt = errors.New("ledger: stored data is corrupt; restore the data directory from a backup or resync the node")
	// ErrUnsupportedVersion: the store was written by an incompatible version.
	ErrUnsupportedVersion = errors.New("ledger: stored ledger has an unsupported layout version; run a gobcos release that supports it")
	// ErrTooManyLogs: a log query matched more logs than the caller allows.
	ErrTooManyLogs = errors.New("ledger: query matches too many logs; narrow the block range or add address/topic filters")
	// ErrInvalidRange: a log query whose FromBlock is after its ToBlock.
	ErrInvalidRange = errors.New("ledger: invalid block range: fromBlock is after toBlock")
	// ErrProofInvalid: a tx or receipt proof does not check out.
	ErrProofInvalid = errors.New("ledger: proof is invalid")
	// ErrClosed: the ledger was closed.
	ErrClosed = errors.New("ledger: closed")
)
