package engine

import (
	"errors"

	"github.com/gobcos/gobcos/consensus/raft"
	"github.com/gobcos/gobcos/storage"
)

// Prefix is where the driver keeps the raft state in the node's KV:
// "c/r/hs", "c/r/cs", "c/r/snap", "c/r/first" and "c/r/e/<index>".
const Prefix = "c/r/"

// kvStore is the core's Store over the node's KV.
type kvStore struct{ kv storage.KV }

func (s kvStore) Get(key string) ([]byte, error) {
	b, err := s.kv.Get([]byte(Prefix + key))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	return b, err
}

func (s kvStore) Write(ops []raft.Op, sync bool) error {
	b := s.kv.NewBatch()
	defer b.Release()
	for _, op := range ops {
		var err error
		if op.Delete {
			err = b.Delete([]byte(Prefix + op.Key))
		} else {
			err = b.Put([]byte(Prefix+op.Key), op.Value)
		}
		if err != nil {
			return err
		}
	}
	if !sync {
		return b.CommitNoSync()
	}
	return b.Commit()
}
