package bench

import "errors"

// Sentinel errors.
var (
	ErrConfig      = errors.New("bench: invalid configuration")
	ErrNoFunds     = errors.New("bench: the workload needs funded accounts")
	ErrSetup       = errors.New("bench: setup failed")
	ErrUnsupported = errors.New("bench: not supported by this node")
)
