package txpool

import (
	"context"
	"errors"
)

// reasons name the admission errors for metrics and logs, most specific
// first.
var reasons = []struct {
	err  error
	name string
}{
	{ErrAlreadyKnown, "already_known"},
	{ErrAlreadyCommitted, "already_committed"},
	{ErrNilTx, "nil_tx"},
	{ErrTxTooLarge, "too_large"},
	{ErrGasLimitTooHigh, "gas_limit_too_high"},
	{ErrNonceTooLow, "nonce_too_low"},
	{ErrNonceTooHigh, "nonce_too_high"},
	{ErrNonceAlreadyPending, "nonce_already_pending"},
	{ErrBlockLimitExpired, "block_limit_expired"},
	{ErrBlockLimitTooFar, "block_limit_too_far"},
	{ErrNativeNonceUsed, "native_nonce_used"},
	{ErrPoolFull, "pool_full"},
	{ErrSenderQuota, "sender_quota"},
	{ErrChainState, "chain_state"},
	{ErrInvalidSignature, "invalid_signature"},
	{ErrHighS, "high_s"},
	{ErrWrongChainID, "wrong_chain_id"},
	{ErrWrongGroupID, "wrong_group_id"},
	{ErrEthTxNotAllowed, "eth_tx_not_allowed"},
	{ErrUnprotectedTx, "unprotected_tx"},
	{context.DeadlineExceeded, "timeout"},
	{context.Canceled, "canceled"},
}

// ReasonOther is the Reason of an error Add does not document.
const ReasonOther = "other"

// Reason names the rule an error of Add stands for, in a short fixed
// form fit for a metric label ("nonce_too_low", "pool_full", ...); "" for
// nil and ReasonOther for an error it does not know.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return ReasonOther
}
