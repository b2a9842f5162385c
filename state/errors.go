package state

import "errors"

// Sentinel errors. Callers wrap them with details.
var (
	// ErrCorrupt means a stored state record could not be decoded: the
	// database is damaged or was written by an incompatible version.
	ErrCorrupt = errors.New("state: corrupt state record in storage")
	// ErrRead means the underlying storage failed while state was read.
	ErrRead = errors.New("state: storage read failed")
	// ErrBadWriteSet means an encoded write set could not be decoded.
	ErrBadWriteSet = errors.New("state: malformed write set encoding")
)
