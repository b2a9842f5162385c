package raft

import (
	"encoding/binary"
	"fmt"

	etcdraft "go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// Store is the durable key-value store the core persists raft state in
// (the node's KV under its own prefix, or the simulation's store).
type Store interface {
	// Get returns the value of key, or nil and no error when it is absent.
	Get(key string) ([]byte, error)
	// Write applies ops atomically, in order. With sync they are durable
	// when it returns; without, a crash may lose them, but only together
	// with every write after them until the next synced one, which makes
	// them durable too (one write-ahead log).
	Write(ops []Op, sync bool) error
}

// Op is one write of a Store batch: a put, or a delete when Delete is set.
type Op struct {
	Key    string
	Value  []byte
	Delete bool
}

// Keys of the raft state, relative to the store (the node adds its prefix).
const (
	keyHardState = "hs"
	keyConfState = "cs"
	keySnapshot  = "snap"
	keyFirst     = "first" // lowest persisted entry index, for cleanup after a restart
	keyEntry     = "e/"    // + 8-byte big-endian index
)

func entryKey(i uint64) string {
	return keyEntry + string(binary.BigEndian.AppendUint64(nil, i))
}

// logStore is raft's Storage: an etcd MemoryStorage holding the log since
// the last snapshot, written through to the Store before raft may rely on
// it. Persisted entries live under keyEntry in [first, last].
type logStore struct {
	*etcdraft.MemoryStorage
	kv          Store
	first, last uint64 // persisted entry range; first > last when empty
}

// openLogStore loads the persisted snapshot, hard state and entries; a
// first start begins with an index-0 snapshot holding the genesis voters.
func openLogStore(kv Store, genesis *pb.ConfState) (*logStore, error) {
	s := &logStore{MemoryStorage: etcdraft.NewMemoryStorage(), kv: kv}
	snap := &pb.Snapshot{Metadata: &pb.SnapshotMetadata{ConfState: genesis, Index: proto.Uint64(0), Term: proto.Uint64(0)}}
	if b, err := kv.Get(keySnapshot); err != nil {
		return nil, fmt.Errorf("%w: reading snapshot: %v", ErrPersist, err)
	} else if b != nil {
		snap = new(pb.Snapshot)
		if err := proto.Unmarshal(b, snap); err != nil {
			return nil, fmt.Errorf("%w: snapshot: %v", ErrPersist, err)
		}
	}
	if err := s.ApplySnapshot(snap); err != nil {
		return nil, fmt.Errorf("%w: applying stored snapshot: %v", ErrPersist, err)
	}
	if b, err := kv.Get(keyHardState); err != nil {
		return nil, fmt.Errorf("%w: reading hard state: %v", ErrPersist, err)
	} else if b != nil {
		hs := new(pb.HardState)
		if err := proto.Unmarshal(b, hs); err != nil {
			return nil, fmt.Errorf("%w: hard state: %v", ErrPersist, err)
		}
		if err := s.SetHardState(hs); err != nil {
			return nil, err
		}
	}
	si := snap.GetMetadata().GetIndex()
	s.first, s.last = si+1, si
	// Entries kept before the snapshot are not reloaded: delete them.
	if b, err := kv.Get(keyFirst); err != nil {
		return nil, fmt.Errorf("%w: reading first index: %v", ErrPersist, err)
	} else if len(b) == 8 {
		var ops []Op
		for i := binary.BigEndian.Uint64(b); i <= si; i++ {
			ops = append(ops, Op{Key: entryKey(i), Delete: true})
		}
		ops = append(ops, Op{Key: keyFirst, Value: binary.BigEndian.AppendUint64(nil, si+1)})
		if err := kv.Write(ops, true); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrPersist, err)
		}
	}
	var ents []*pb.Entry
	for i := si + 1; ; i++ {
		b, err := kv.Get(entryKey(i))
		if err != nil {
			return nil, fmt.Errorf("%w: reading entry %d: %v", ErrPersist, i, err)
		}
		if b == nil {
			break
		}
		e := new(pb.Entry)
		if err := proto.Unmarshal(b, e); err != nil || e.GetIndex() != i {
			return nil, fmt.Errorf("%w: entry %d does not decode", ErrPersist, i)
		}
		ents = append(ents, e)
		s.last = i
	}
	if err := s.Append(ents); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPersist, err)
	}
	return s, nil
}

// confState is the ConfState persisted after the last applied change, or nil.
func (s *logStore) confState() (*pb.ConfState, error) {
	b, err := s.kv.Get(keyConfState)
	if err != nil || b == nil {
		return nil, err
	}
	cs := new(pb.ConfState)
	if err := proto.Unmarshal(b, cs); err != nil {
		return nil, fmt.Errorf("%w: conf state: %v", ErrPersist, err)
	}
	return cs, nil
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("raft: marshalling %T cannot fail: %v", m, err))
	}
	return b
}

// save persists a Ready's snapshot, entries and hard state in one batch,
// then updates the in-memory log. sync is the Ready's MustSync: raft
// needs its entries, term and vote durable before it acts on them, not
// its commit index, which a restarted node learns again from the leader
// (and which the ledger's synced commit of the blocks it covers makes
// durable first anyway). A snapshot is always synced.
func (s *logStore) save(snap *pb.Snapshot, ents []*pb.Entry, hs *pb.HardState, sync bool) error {
	var ops []Op
	first, last := s.first, s.last
	hasSnap := !etcdraft.IsEmptySnap(snap)
	if hasSnap {
		for i := first; i <= last; i++ { // the snapshot replaces the whole log
			ops = append(ops, Op{Key: entryKey(i), Delete: true})
		}
		ops = append(ops, Op{Key: keySnapshot, Value: mustMarshal(snap)},
			Op{Key: keyFirst, Value: binary.BigEndian.AppendUint64(nil, snap.GetMetadata().GetIndex()+1)})
		first, last = snap.GetMetadata().GetIndex()+1, snap.GetMetadata().GetIndex()
	}
	if len(ents) > 0 {
		hi := ents[len(ents)-1].GetIndex()
		for _, e := range ents {
			if e.GetIndex() >= first {
				ops = append(ops, Op{Key: entryKey(e.GetIndex()), Value: mustMarshal(e)})
			}
		}
		for i := hi + 1; i <= last; i++ { // a conflicting tail is replaced
			ops = append(ops, Op{Key: entryKey(i), Delete: true})
		}
		if hi >= first {
			last = hi
		}
	}
	if hs != nil && !etcdraft.IsEmptyHardState(hs) {
		ops = append(ops, Op{Key: keyHardState, Value: mustMarshal(hs)})
	}
	if len(ops) == 0 {
		return nil
	}
	if err := s.kv.Write(ops, sync || hasSnap); err != nil {
		return fmt.Errorf("%w: %v", ErrPersist, err)
	}
	s.first, s.last = first, last
	if hasSnap {
		if err := s.ApplySnapshot(snap); err != nil {
			return fmt.Errorf("%w: %v", ErrPersist, err)
		}
	}
	if hs != nil && !etcdraft.IsEmptyHardState(hs) {
		if err := s.SetHardState(hs); err != nil {
			return err
		}
	}
	if err := s.Append(ents); err != nil {
		return fmt.Errorf("%w: %v", ErrPersist, err)
	}
	return nil
}

// saveConfState persists the ConfState after an applied change.
func (s *logStore) saveConfState(cs *pb.ConfState) error {
	if err := s.kv.Write([]Op{{Key: keyConfState, Value: mustMarshal(cs)}}, true); err != nil {
		return fmt.Errorf("%w: %v", ErrPersist, err)
	}
	return nil
}

// snapshot makes and persists a snapshot at applied index i, then compacts
// the log keeping keep entries before i.
func (s *logStore) snapshot(i uint64, cs *pb.ConfState, data []byte, keep uint64) error {
	snap, err := s.CreateSnapshot(i, cs, data)
	if err != nil {
		return fmt.Errorf("%w: snapshot at %d: %v", ErrPersist, i, err)
	}
	ops := []Op{{Key: keySnapshot, Value: mustMarshal(snap)}}
	compact := uint64(0)
	if i > keep {
		compact = i - keep
	}
	first := s.first
	if compact >= first {
		for j := first; j <= compact; j++ {
			ops = append(ops, Op{Key: entryKey(j), Delete: true})
		}
	}
	ops = append(ops, Op{Key: keyFirst, Value: binary.BigEndian.AppendUint64(nil, max(first, compact+1))})
	if err := s.kv.Write(ops, true); err != nil {
		return fmt.Errorf("%w: %v", ErrPersist, err)
	}
	if compact >= first {
		s.first = compact + 1
		if err := s.Compact(compact); err != nil {
			return fmt.Errorf("%w: compacting at %d: %v", ErrPersist, compact, err)
		}
	}
	return nil
}
