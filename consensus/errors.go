package consensus

import "errors"

// Sentinel errors of commit certificates, execution results and block rules.
var (
	// ErrInvalidQuorum: the quorum asked of VerifyCommit is not in 1..len(sealers)
	// (1..the total weight for VerifyCommitWeighted).
	ErrInvalidQuorum = errors.New("invalid quorum")
	// ErrInvalidWeights: sealer vote weights that are not one per sealer in 1..MaxSealerWeight.
	ErrInvalidWeights = errors.New("invalid sealer weights")
	// ErrNoQuorum: the distinct sealers that signed the header weigh less than the quorum.
	ErrNoQuorum = errors.New("commit certificate lacks a quorum of sealer signatures")
	// ErrUnknownSealer: a signature names an index outside the sealer list.
	ErrUnknownSealer = errors.New("commit signature from an unknown sealer index")
	// ErrDuplicateSigner: two signatures of the certificate come from the same sealer.
	ErrDuplicateSigner = errors.New("commit certificate has two signatures from one sealer")
	// ErrBadCommitSignature: a signature does not verify against its sealer's key.
	ErrBadCommitSignature = errors.New("invalid commit signature")
	// ErrSuiteMismatch: a key of one crypto suite used with another suite.
	ErrSuiteMismatch = errors.New("signing key does not belong to the chain's crypto suite")
	// ErrBadResult: an execution result does not match the block it was asked for.
	ErrBadResult = errors.New("inconsistent execution result")
	// ErrTooManyTxs: a block holds more transactions than tx_count_limit.
	ErrTooManyTxs = errors.New("block holds more transactions than tx_count_limit")
	// ErrTxGasLimit: a block holds a transaction asking for more gas than tx_gas_limit.
	ErrTxGasLimit = errors.New("transaction gas limit above tx_gas_limit")
	// ErrRulesPending: the rules (or sealer set) of a height follow from a
	// block not committed yet; engines wait for it and retry.
	ErrRulesPending = errors.New("the rules of this height follow from a block not committed yet")
)
