package engine

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/storage"
)

// Keys of the driver's records in the node's KV, all under Prefix.
const Prefix = "c/"

var (
	keyHardState = []byte(Prefix + "hs")
	// keyHardStateEpoch is the id of the sealer configuration (epoch.go)
	// that wrote the HardState; absent in stores written before epochs.
	keyHardStateEpoch = []byte(Prefix + "hse")
	keyProposal       = []byte(Prefix + "p/") // + digest
)

func proposalKey(d common.Hash) []byte { return append(append([]byte{}, keyProposal...), d[:]...) }

// store persists what the core must not forget: its proposals by digest
// and its HardState, in one synced batch per Ready.
type store struct {
	kv    storage.KV
	saved map[common.Hash]uint64 // digest -> height of the proposals stored by this run
}

// loadHardState returns the persisted state, or nil on a first start, and
// the id of the configuration that wrote it (zero if not recorded).
func (s *store) loadHardState() (*pbft.HardState, common.Hash, error) {
	b, err := s.kv.Get(keyHardState)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, common.Hash{}, nil
	}
	if err != nil {
		return nil, common.Hash{}, fmt.Errorf("%w: reading hard state: %v", ErrPersist, err)
	}
	hs, err := pbft.DecodeHardState(b)
	if err != nil {
		return nil, common.Hash{}, err
	}
	var id common.Hash
	switch idb, err := s.kv.Get(keyHardStateEpoch); {
	case err == nil && len(idb) == common.HashLength:
		id = common.BytesToHash(idb)
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return nil, common.Hash{}, fmt.Errorf("%w: reading hard state epoch: %v", ErrPersist, err)
	}
	return hs, id, nil
}

// scan records the proposals stored by earlier runs, so that persist
// prunes them once committed.
func (s *store) scan() error {
	it := s.kv.NewIterator(keyProposal, nil)
	defer it.Release()
	for it.Next() {
		k := it.Key()
		if len(k) != len(keyProposal)+common.HashLength {
			continue
		}
		var height uint64 // an undecodable record is pruned at once
		if p, err := pbft.DecodeProposal(it.Value()); err == nil {
			height = p.Height
		}
		s.saved[common.BytesToHash(k[len(keyProposal):])] = height
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("%w: scanning stored proposals: %v", ErrPersist, err)
	}
	return nil
}

// loadProposal is the core's proposal loader.
func (s *store) loadProposal(d common.Hash) (*pbft.Proposal, error) {
	b, err := s.kv.Get(proposalKey(d))
	if err != nil {
		return nil, err
	}
	return pbft.DecodeProposal(b)
}

// persist writes proposals and hs (nil: unchanged) with the id of the
// configuration that made it durably, and deletes the proposals this run
// stored for heights at or below committed: the core never loads those
// again.
func (s *store) persist(props []*pbft.Proposal, hs *pbft.HardState, epoch common.Hash, committed uint64, digest func(*pbft.Proposal) common.Hash) error {
	if len(props) == 0 && hs == nil {
		return nil
	}
	b := s.kv.NewBatch()
	for _, p := range props {
		d := digest(p)
		if err := b.Put(proposalKey(d), p.Encode()); err != nil {
			return fmt.Errorf("%w: %v", ErrPersist, err)
		}
		s.saved[d] = p.Height
	}
	var pruned []common.Hash
	for d, h := range s.saved {
		if h <= committed {
			if err := b.Delete(proposalKey(d)); err != nil {
				return fmt.Errorf("%w: %v", ErrPersist, err)
			}
			pruned = append(pruned, d)
		}
	}
	if hs != nil {
		if err := b.Put(keyHardState, pbft.EncodeHardState(hs)); err != nil {
			return fmt.Errorf("%w: %v", ErrPersist, err)
		}
		if err := b.Put(keyHardStateEpoch, epoch[:]); err != nil {
			return fmt.Errorf("%w: %v", ErrPersist, err)
		}
	}
	if err := b.Commit(); err != nil {
		return fmt.Errorf("%w: %v", ErrPersist, err)
	}
	for _, d := range pruned {
		delete(s.saved, d)
	}
	return nil
}
