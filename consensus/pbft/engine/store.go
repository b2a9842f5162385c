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
	// keyBodies holds the tx bodies resolved for a proposal with tx hashes.
	keyBodies = []byte(Prefix + "b/") // + digest
)

func proposalKey(d common.Hash) []byte { return append(append([]byte{}, keyProposal...), d[:]...) }
func bodiesKey(d common.Hash) []byte   { return append(append([]byte{}, keyBodies...), d[:]...) }

// store persists what the core must not forget: its proposals by digest
// (with the tx bodies resolved for proposals with tx hashes) and its
// HardState, in one batch per Ready: synced when the Ready says it must
// be (MustSync), else left for the next synced write of the node's store
// to make durable.
type store struct {
	kv     storage.KV
	saved  map[common.Hash]uint64 // digest -> height of the proposals stored
	bodies map[common.Hash]uint64 // digest -> height of the bodies records stored
	// epoch is the configuration id the store holds next to the
	// HardState (valid when hasEpoch): it is written again only when it
	// changes.
	epoch    common.Hash
	hasEpoch bool
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
		s.epoch, s.hasEpoch = id, true
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return nil, common.Hash{}, fmt.Errorf("%w: reading hard state epoch: %v", ErrPersist, err)
	}
	return hs, id, nil
}

// scan records the proposals and bodies stored by earlier runs, so that
// persist prunes them once committed.
func (s *store) scan() error {
	for _, kind := range []struct {
		prefix []byte
		into   map[common.Hash]uint64
		height func([]byte) (uint64, error)
	}{
		{keyProposal, s.saved, func(b []byte) (uint64, error) {
			p, err := pbft.DecodeProposal(b)
			if err != nil {
				return 0, err
			}
			return p.Height, nil
		}},
		{keyBodies, s.bodies, func(b []byte) (uint64, error) {
			r, err := decodeBodies(b)
			if err != nil {
				return 0, err
			}
			return r.Height, nil
		}},
	} {
		it := s.kv.NewIterator(kind.prefix, nil)
		for it.Next() {
			k := it.Key()
			if len(k) != len(kind.prefix)+common.HashLength {
				continue
			}
			height, _ := kind.height(it.Value()) // an undecodable record is pruned at once
			kind.into[common.BytesToHash(k[len(kind.prefix):])] = height
		}
		err := it.Error()
		it.Release()
		if err != nil {
			return fmt.Errorf("%w: scanning stored proposals: %v", ErrPersist, err)
		}
	}
	return nil
}

// loadBodies returns the bodies stored for a proposal, nil if none.
func (s *store) loadBodies(d common.Hash) (*bodiesRecord, error) {
	if _, ok := s.bodies[d]; !ok {
		return nil, nil
	}
	b, err := s.kv.Get(bodiesKey(d))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading proposal bodies: %v", ErrPersist, err)
	}
	return decodeBodies(b)
}

// hasBodies reports whether bodies are stored for a proposal.
func (s *store) hasBodies(d common.Hash) bool {
	_, ok := s.bodies[d]
	return ok
}

// loadProposal is the core's proposal loader.
func (s *store) loadProposal(d common.Hash) (*pbft.Proposal, error) {
	b, err := s.kv.Get(proposalKey(d))
	if err != nil {
		return nil, err
	}
	return pbft.DecodeProposal(b)
}

// persist writes proposals, the bodies of proposals with tx hashes, and hs
// (nil: unchanged) with the id of the configuration that made it, and
// deletes the proposals and bodies stored for heights at or below
// committed: the core never loads those again. With sync the write is
// durable when persist returns; without, it is durable with the next
// synced write of the store, and a crash before that restores an older
// state (which the core's Ready allows when it does not ask for sync).
func (s *store) persist(props []*pbft.Proposal, bodies map[common.Hash]*bodiesRecord, hs *pbft.HardState, epoch common.Hash, committed uint64, digest func(*pbft.Proposal) common.Hash, sync bool) error {
	if len(props) == 0 && len(bodies) == 0 && hs == nil {
		return nil
	}
	b := s.kv.NewBatch()
	defer b.Release()
	for _, p := range props {
		d := digest(p)
		if err := b.Put(proposalKey(d), p.Encode()); err != nil {
			return fmt.Errorf("%w: %v", ErrPersist, err)
		}
		s.saved[d] = p.Height
	}
	for d, r := range bodies {
		if r.Height <= committed {
			continue
		}
		if err := b.Put(bodiesKey(d), encodeBodies(r)); err != nil {
			return fmt.Errorf("%w: %v", ErrPersist, err)
		}
		s.bodies[d] = r.Height
	}
	var pruned, prunedBodies []common.Hash
	for d, h := range s.saved {
		if h <= committed {
			if err := b.Delete(proposalKey(d)); err != nil {
				return fmt.Errorf("%w: %v", ErrPersist, err)
			}
			pruned = append(pruned, d)
		}
	}
	for d, h := range s.bodies {
		if h <= committed {
			if err := b.Delete(bodiesKey(d)); err != nil {
				return fmt.Errorf("%w: %v", ErrPersist, err)
			}
			prunedBodies = append(prunedBodies, d)
		}
	}
	if hs != nil {
		if err := b.Put(keyHardState, pbft.EncodeHardState(hs)); err != nil {
			return fmt.Errorf("%w: %v", ErrPersist, err)
		}
		if !s.hasEpoch || s.epoch != epoch {
			if err := b.Put(keyHardStateEpoch, epoch[:]); err != nil {
				return fmt.Errorf("%w: %v", ErrPersist, err)
			}
		}
	}
	commit := b.Commit
	if !sync {
		commit = b.CommitNoSync
	}
	if err := commit(); err != nil {
		return fmt.Errorf("%w: %v", ErrPersist, err)
	}
	if hs != nil {
		s.epoch, s.hasEpoch = epoch, true
	}
	for _, d := range pruned {
		delete(s.saved, d)
	}
	for _, d := range prunedBodies {
		delete(s.bodies, d)
	}
	return nil
}
