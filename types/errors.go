package types

import "errors"

// Sentinel errors of decoding and validation. Callers wrap them with details.
var (
	ErrEmptyTx            = errors.New("empty transaction bytes")
	ErrTxTooLarge         = errors.New("transaction too large")
	ErrBadEncoding        = errors.New("malformed transaction encoding")
	ErrUnsupportedTxType  = errors.New("unsupported transaction type")
	ErrWrongChainID       = errors.New("wrong chain id")
	ErrWrongGroupID       = errors.New("wrong group id")
	ErrUnprotectedTx      = errors.New("transaction is not replay-protected (EIP-155 chain id required)")
	ErrEthTxNotAllowed    = errors.New("Ethereum-signed transactions are not accepted on this chain: its crypto suite is SM2/SM3; send a native transaction signed with SM2 (bcos_sendTransaction)")
	ErrInvalidSig         = errors.New("invalid transaction signature")
	ErrHighS              = errors.New("transaction signature s value is too high (only low-S signatures are accepted)")
	ErrBadPublicKey       = errors.New("native transaction carries an invalid public key")
	ErrMissingPublicKey   = errors.New("native transaction on an SM chain must carry the signer's public key")
	ErrBadBlockEncoding   = errors.New("malformed block encoding")
	ErrBadReceiptEncoding = errors.New("malformed receipt encoding")
	ErrBadProof           = errors.New("merkle proof does not match the root")
)
