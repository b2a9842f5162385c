package raft

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/enginetest"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// testKeys makes n deterministic keys of suite.
func testKeys(suite crypto.Suite, n int, salt uint64) ([]crypto.PrivateKey, [][]byte) {
	keys := make([]crypto.PrivateKey, n)
	pubs := make([][]byte, n)
	for i := range n {
		for j := 0; ; j++ {
			seed := sha256.Sum256(fmt.Appendf(nil, "raft test key %d/%d/%d", salt, i, j))
			if k, err := suite.ParsePrivateKey(seed[:]); err == nil {
				keys[i], pubs[i] = k, k.PublicKey()
				break
			}
		}
	}
	return keys, pubs
}

// memStore is a Store over an enginetest.Store, the part of a replica
// that survives its crashes. Writes not synced wait in pending, as in a
// write-ahead log not yet flushed: the next synced write makes them
// durable first, and a crash (a new memStore over the same Store) loses
// them. Reads see them, as a store's reads see its unsynced writes.
type memStore struct {
	s       *enginetest.Store
	pending []Op
	// lazy and synced count the writes of each kind, over the lives of
	// the replicas sharing the counters.
	lazy, synced *int
}

func newMemStore(s *enginetest.Store, lazy, synced *int) *memStore {
	return &memStore{s: s, lazy: lazy, synced: synced}
}

func (m *memStore) Get(key string) ([]byte, error) {
	for i := len(m.pending) - 1; i >= 0; i-- {
		if op := m.pending[i]; op.Key == key {
			if op.Delete {
				return nil, nil
			}
			return slices.Clone(op.Value), nil
		}
	}
	return m.s.Get(key), nil
}

func (m *memStore) Write(ops []Op, sync bool) error {
	if !sync {
		if err := m.checkLazy(ops); err != nil {
			return err
		}
	}
	for _, op := range ops {
		op.Value = slices.Clone(op.Value)
		m.pending = append(m.pending, op)
	}
	if !sync {
		if m.lazy != nil {
			*m.lazy++
		}
		return nil
	}
	if m.synced != nil {
		*m.synced++
	}
	for _, op := range m.pending {
		if op.Delete {
			m.s.Delete(op.Key)
		} else {
			m.s.Put(op.Key, op.Value)
		}
	}
	m.pending = nil
	return nil
}

// checkLazy fails an unsynced write that raft needs durable: log
// entries, a snapshot, or a hard state whose term or vote differs from
// the one stored before it.
func (m *memStore) checkLazy(ops []Op) error {
	for _, op := range ops {
		switch {
		case op.Key == keyHardState:
			var next, prev pb.HardState
			cur, err := m.Get(keyHardState)
			if err != nil {
				return err
			}
			if err := proto.Unmarshal(op.Value, &next); err != nil {
				return err
			}
			if err := proto.Unmarshal(cur, &prev); err != nil {
				return err
			}
			if next.GetTerm() != prev.GetTerm() || next.GetVote() != prev.GetVote() {
				return fmt.Errorf("term %d vote %d written without sync over term %d vote %d",
					next.GetTerm(), next.GetVote(), prev.GetTerm(), prev.GetVote())
			}
		default:
			return fmt.Errorf("%q written without sync", op.Key)
		}
	}
	return nil
}

// simApp is the App of a replica on the simulated network: the harness's
// fake pool, executor and ledger.
type simApp struct {
	h      *enginetest.Host
	sealer common.Address
}

func (a *simApp) Head() *types.Header { return a.h.Ledger.Head() }

func (a *simApp) HashAt(n uint64) (common.Hash, bool) {
	b := a.h.Ledger.Block(n)
	if b == nil {
		return common.Hash{}, false
	}
	return b.Header.Hash(a.h.Hasher), true
}

func (a *simApp) Seal(parent *types.Header, maxTxs, _ int) (*types.Header, [][]byte, error) {
	txs := a.h.Available(nil, maxTxs)
	if len(txs) == 0 {
		return nil, nil, nil
	}
	ts := max(a.h.Now()/10, parent.Timestamp)
	return enginetest.Execute(a.h.Hasher, parent, ts, a.sealer, txs), txs, nil
}

func (a *simApp) FullBlock(_ *types.Header, maxTxs, _ int) bool {
	return len(a.h.Available(nil, maxTxs)) >= maxTxs
}

var errExecMismatch = errors.New("execution result differs from the leader's header")

func (a *simApp) Apply(h *types.Header, txs [][]byte) error {
	if err := a.h.CheckTxs(nil, txs); err != nil {
		return fmt.Errorf("%w: %v", ErrRejected, err)
	}
	want := enginetest.Execute(a.h.Hasher, a.h.Ledger.Head(), h.Timestamp, h.Sealer, txs)
	want.Extra = h.Extra
	if want.Hash(a.h.Hasher) != h.Hash(a.h.Hasher) {
		return errExecMismatch
	}
	return a.h.Commit(&enginetest.Block{Header: h, Txs: txs})
}

func (a *simApp) RequestSync(from uint64) { a.h.RequestSync(from, nil) }

// simTransport maps raft ids to replica indexes.
type simTransport struct {
	h    *enginetest.Host
	byID map[uint64]int
}

func (t *simTransport) Send(to uint64, data []byte) {
	if i, ok := t.byID[to]; ok {
		t.h.Send(i, data)
	}
}

// simFactory plugs the Raft core into the enginetest harness.
type simFactory struct {
	suite crypto.Suite
	keys  []crypto.PrivateKey
	pubs  [][]byte
	byID  map[uint64]int
	cfg   Config
	// confRate is the per-tick chance that a leader demotes a voter to
	// learner or promotes a learner back, during the chaos phase.
	confRate float64
	cores    []*Core
	stats    Stats // summed over crashed cores
	// lazyWrites and syncedWrites count the cores' store writes made
	// without and with sync (a crash loses the unsynced ones).
	lazyWrites, syncedWrites int
}

func newSimFactory(suite crypto.Suite, n int, seed uint64) *simFactory {
	keys, pubs := testKeys(suite, n, seed%5)
	rng := rand.New(rand.NewPCG(seed, 7))
	cfg := DefaultConfig()
	cfg.Suite, cfg.Sealers = suite, pubs
	cfg.ElectionTicks = 10
	cfg.HeartbeatTicks = 1 + rng.IntN(2)
	cfg.MaxBlockTxs = []int{2, 8, 64}[rng.IntN(3)]
	cfg.MinSealTicks = rng.Uint64N(3)
	cfg.SnapshotEntries = []uint64{4, 16, 1000}[rng.IntN(3)]
	cfg.KeepEntries = []uint64{0, 3, 20}[rng.IntN(3)]
	cfg.SyncTicks = 15
	// Byte budgets of one entry or of everything: SM signatures vary in
	// length, and runs must not depend on signature bytes.
	cfg.MaxSizePerMsg = []uint64{1, 1 << 20}[rng.IntN(2)]
	cfg.MaxInflightMsgs = 1 + rng.IntN(8)
	byID := make(map[uint64]int, n)
	for i, pub := range pubs {
		byID[NodeID(suite, pub)] = i
	}
	return &simFactory{suite: suite, keys: keys, pubs: pubs, byID: byID, cfg: cfg, cores: make([]*Core, n),
		confRate: []float64{0, 0.01, 0.05}[rng.IntN(3)]}
}

func (f *simFactory) SupportsByzantine() bool { return false }

// VerifyBlock is the check every replica makes: the leader's signature and
// the raft term/index in Extra.
func (f *simFactory) VerifyBlock(b *enginetest.Block) error {
	if _, _, err := DecodeExtra(b.Header.Extra); err != nil {
		return err
	}
	if len(b.Header.Signatures) != 1 {
		return fmt.Errorf("%d signatures", len(b.Header.Signatures))
	}
	return consensus.VerifyCommit(f.suite, b.Header, f.pubs, 1)
}

func (f *simFactory) NewReplica(h *enginetest.Host, _ bool) (enginetest.Replica, error) {
	cfg := f.cfg
	cfg.Key = f.keys[h.ID]
	app := &simApp{h: h, sealer: f.suite.Address(f.pubs[h.ID])}
	core, err := New(cfg, newMemStore(h.Store, &f.lazyWrites, &f.syncedWrites), app, &simTransport{h: h, byID: f.byID})
	if err != nil {
		return nil, err
	}
	if old := f.cores[h.ID]; old != nil {
		f.stats.add(old.stats)
	}
	f.cores[h.ID] = core
	return &simReplica{f: f, h: h, core: core}, nil
}

func (s *Stats) add(o Stats) {
	s.Proposed += o.Proposed
	s.Applied += o.Applied
	s.Rejected += o.Rejected
	s.Synced += o.Synced
	s.BadMessages += o.BadMessages
	s.Snapshots += o.Snapshots
	s.SnapInstalls += o.SnapInstalls
	s.ConfChanges += o.ConfChanges
}

func (f *simFactory) totals() Stats {
	t := f.stats
	for _, c := range f.cores {
		if c != nil {
			t.add(c.stats)
		}
	}
	return t
}

type simReplica struct {
	f    *simFactory
	h    *enginetest.Host
	core *Core
}

func (r *simReplica) check() {
	if err := r.core.Err(); err != nil {
		r.h.Violation("raft core stopped: %v", err)
	}
}

func (r *simReplica) Deliver(from int, data []byte) {
	_ = r.core.Step(r.f.pubs[from], data) // bad messages are counted
	r.check()
}

func (r *simReplica) Tick() {
	before := r.core.applied
	_ = r.core.Tick()
	r.check()
	if r.core.applied > before {
		// A crash right after entries were persisted and applied.
		r.h.CrashPoint(0.005)
	}
	r.changeMembers()
}

// chaosTicks is the harness's default chaos phase.
const chaosTicks = 300

// changeMembers: during the chaos phase a leader sometimes demotes a voter
// to learner (keeping at least two voters) or promotes a learner; after it,
// learners are promoted back. Learners apply every block too, so the
// harness's invariants hold for all replicas.
func (r *simReplica) changeMembers() {
	if !r.core.IsLeader() {
		return
	}
	st := r.core.Status()
	if r.h.Now() >= chaosTicks {
		if len(st.Learners) > 0 {
			if pub, ok := r.core.PeerKey(st.Learners[0]); ok {
				_ = r.core.ProposeConfChange(AddVoter, pub)
			}
		}
		return
	}
	if r.f.confRate == 0 || r.h.Rand.Float64() >= r.f.confRate {
		return
	}
	j := r.h.Rand.IntN(r.h.N)
	id := NodeID(r.f.suite, r.f.pubs[j])
	switch {
	case id == r.core.ID():
	case slices.Contains(st.Voters, id) && len(st.Voters) > 2:
		_ = r.core.ProposeConfChange(AddLearner, r.f.pubs[j])
	case slices.Contains(st.Learners, id):
		_ = r.core.ProposeConfChange(AddVoter, r.f.pubs[j])
	}
	r.check()
}

func (r *simReplica) DeliverBlocks(blocks []*enginetest.Block) {
	for _, b := range blocks {
		if b.Header.Number <= r.h.Ledger.Height() {
			continue
		}
		if err := r.core.SyncBlock(b.Header, b.Txs); err != nil {
			break
		}
	}
	r.check()
}
