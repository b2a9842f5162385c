package storage

import "errors"

// ErrLocked is returned by OpenPebble when another process (or another
// store in this process) already has the data directory open.
var ErrLocked = errors.New("storage: data directory is in use by another process; stop the other gobcos node using it, or point this one at a different data directory")

// ErrBatchCommitted is returned by Batch.Commit on a batch that was already
// committed and not Reset since.
var ErrBatchCommitted = errors.New("storage: batch was already committed; call Reset before reusing it")
