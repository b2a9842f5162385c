package txverify

import "errors"

var (
	// ErrInvalidConfig is returned by New for a configuration out of range.
	ErrInvalidConfig = errors.New("txverify: invalid configuration")
	// ErrNilTx is the result for a nil transaction.
	ErrNilTx = errors.New("txverify: nil transaction")
	// ErrNotVerified is the result for a transaction whose signature was
	// not checked because the context ended first; it wraps the cause.
	ErrNotVerified = errors.New("signature not verified")

	errCheckAborted = errors.New("txverify: signature check aborted")
)
