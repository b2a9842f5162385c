package raft

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common"
	etcdraft "go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/types"
)

// App is the replicated state machine the core drives: the node's ledger
// with its txpool and executor. The core calls it from its caller's
// goroutine.
type App interface {
	// Head is the latest committed header.
	Head() *types.Header
	// HashAt is the hash of committed block number, if the ledger has it.
	HashAt(number uint64) (common.Hash, bool)
	// Seal picks up to maxTxs transactions of at most maxBytes in all from
	// the pool, executes them on parent and returns the header (Extra and
	// Signatures empty) and the encoded transactions; a nil header means
	// there is nothing to seal.
	Seal(parent *types.Header, maxTxs, maxBytes int) (*types.Header, [][]byte, error)
	// FullBlock reports whether the pool holds at least a full block on
	// parent: maxTxs transactions (or the chain's lower limit), or
	// maxBytes of them. A full block does not wait for the minimum seal
	// interval.
	FullBlock(parent *types.Header, maxTxs, maxBytes int) bool
	// Apply executes txs on the head and commits the block when the result
	// matches header. An error wrapping ErrRejected means every replica
	// refuses the block alike (it is skipped); any other error stops the core.
	Apply(header *types.Header, txs [][]byte) error
	// RequestSync asks the block syncer for committed blocks from height
	// from on; they come back through Core.SyncBlock (or straight into the
	// ledger, which the core notices through Head).
	RequestSync(from uint64)
}

// Transport sends a raft message to the node with raft id to. It must
// not block for long and may drop (raft retransmits).
type Transport interface {
	Send(to uint64, data []byte)
}

// Stats are the core's counters.
type Stats struct {
	Proposed     uint64 // blocks this node proposed as leader
	Applied      uint64 // blocks applied from the log
	Rejected     uint64 // committed block entries skipped as invalid
	Synced       uint64 // blocks taken from SyncBlock
	BadMessages  uint64 // inbound messages dropped
	Snapshots    uint64 // snapshots taken
	SnapInstalls uint64 // snapshots received from a leader
	ConfChanges  uint64 // membership changes applied
}

// Status is a snapshot of the core's state.
type Status struct {
	ID       uint64
	Lead     uint64
	Term     uint64
	State    string // "StateLeader", "StateFollower", ...
	Applied  uint64 // raft index of the last applied entry
	Voters   []uint64
	Learners []uint64
	Stalled  bool // waiting for blocks below a snapshot
	Stats    Stats
}

// Core runs etcd raft's RawNode for one group: blocks sealed by the leader
// are log entries; committed entries are checked and applied to the App.
// It has no goroutines; its caller serialises every call.
type Core struct {
	cfg  Config
	id   uint64
	self []byte
	log  *slog.Logger
	rn   *etcdraft.RawNode
	st   *logStore
	app  App
	tr   Transport

	signers   [][]byte       // append-only; CommitSig.Index points here
	signerIdx map[string]int // public key -> index in signers
	byID      map[uint64][]byte
	conf      *pb.ConfState // as applied

	queue      []*pb.Entry // committed, not yet applied
	applied    uint64      // index of the last entry applied from queue
	snapIndex  uint64      // index of the latest snapshot
	syncTarget uint64      // ledger height the latest snapshot covers

	ticks, lastSeal, lastSync uint64
	lastSealAt                time.Time // by Config.Now, for MinSealInterval
	sealWanted                bool
	stats                     Stats
	err                       error // fatal: the core stopped
}

// New makes a core from the persisted state in store (a first start uses
// the genesis voters in cfg.Sealers).
func New(cfg Config, store Store, app App, tr Transport) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	self := cfg.Key.PublicKey()
	c := &Core{cfg: cfg, id: NodeID(cfg.Suite, self), self: self, log: logger, app: app, tr: tr, sealWanted: true}
	genesis := &pb.ConfState{}
	for _, pub := range cfg.Sealers {
		genesis.Voters = append(genesis.Voters, NodeID(cfg.Suite, pub))
	}
	st, err := openLogStore(store, genesis)
	if err != nil {
		return nil, err
	}
	c.st = st
	snap, err := st.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPersist, err)
	}
	c.setSigners(cfg.Sealers)
	if etcdraft.IsEmptySnap(snap) {
		c.conf = genesis
	} else if err := c.restoreSnapshot(snap); err != nil {
		return nil, err
	}
	rn, err := etcdraft.NewRawNode(&etcdraft.Config{
		ID: c.id, ElectionTick: cfg.ElectionTicks, HeartbeatTick: cfg.HeartbeatTicks, Storage: st,
		MaxSizePerMsg: cfg.MaxSizePerMsg, MaxInflightMsgs: cfg.MaxInflightMsgs,
		MaxUncommittedEntriesSize: 1 << 30, CheckQuorum: true, PreVote: true,
		StepDownOnRemoval: true, Logger: raftLogger{logger},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	c.rn = rn
	return c, nil
}

func (c *Core) setSigners(list [][]byte) {
	c.signers = nil
	c.signerIdx = make(map[string]int)
	c.byID = make(map[uint64][]byte)
	for _, pub := range list {
		c.addSigner(pub)
	}
}

func (c *Core) addSigner(pub []byte) {
	if _, ok := c.signerIdx[string(pub)]; ok {
		return
	}
	pub = bytes.Clone(pub)
	c.signerIdx[string(pub)] = len(c.signers)
	c.signers = append(c.signers, pub)
	c.byID[NodeID(c.cfg.Suite, pub)] = pub
}

// restoreSnapshot takes the signer list, configuration and covered height
// from a snapshot.
func (c *Core) restoreSnapshot(snap *pb.Snapshot) error {
	d, err := decodeSnapData(snap.GetData())
	if err != nil {
		return err
	}
	c.setSigners(d.Signers)
	c.conf = proto.Clone(pb.EnsureConfState(snap.GetMetadata().GetConfState())).(*pb.ConfState)
	c.applied = snap.GetMetadata().GetIndex()
	c.snapIndex = c.applied
	c.syncTarget = d.Height
	c.queue = nil
	return nil
}

// ID is this node's raft id.
func (c *Core) ID() uint64 { return c.id }

// Err is the error that stopped the core, or nil.
func (c *Core) Err() error { return c.err }

// Signers is the signer list commit signatures index (genesis sealers,
// then every node added since, in order).
func (c *Core) Signers() [][]byte { return c.signers }

// PeerKey returns the public key of the node with raft id.
func (c *Core) PeerKey(id uint64) ([]byte, bool) { pub, ok := c.byID[id]; return pub, ok }

// IsLeader reports whether this node leads the current term.
func (c *Core) IsLeader() bool { return c.rn.BasicStatus().RaftState == etcdraft.StateLeader }

// Status is a snapshot of the core's state.
func (c *Core) Status() Status {
	bs := c.rn.BasicStatus()
	return Status{ID: c.id, Lead: bs.Lead, Term: bs.HardState.GetTerm(), State: bs.RaftState.String(),
		Applied: c.applied, Voters: append([]uint64(nil), c.conf.GetVoters()...),
		Learners: append([]uint64(nil), c.conf.GetLearners()...), Stalled: c.stalled(), Stats: c.stats}
}

func (c *Core) fail(err error) error {
	if c.err == nil {
		c.err = err
		c.log.Error("raft core stopped: it cannot go on safely", "err", err)
	}
	return c.err
}

// Tick advances the clock by one tick.
func (c *Core) Tick() error {
	if c.err != nil {
		return c.err
	}
	c.ticks++
	c.rn.Tick()
	c.sealWanted = true
	if c.stalled() && c.ticks >= c.lastSync+c.cfg.SyncTicks {
		c.requestSync()
	}
	return c.Process()
}

// TrySeal asks the core to seal at the next Process (txs arrived).
func (c *Core) TrySeal() { c.sealWanted = true }

// Step hands the core a message received from the peer with public key
// from (nil when the transport cannot tell).
func (c *Core) Step(from []byte, data []byte) error {
	if c.err != nil {
		return c.err
	}
	if len(data) > c.cfg.MaxMessageSize {
		c.stats.BadMessages++
		return fmt.Errorf("%w: %d bytes", ErrBadMessage, len(data))
	}
	m := new(pb.Message)
	if err := proto.Unmarshal(data, m); err != nil {
		c.stats.BadMessages++
		return fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	if _, ok := pb.MessageType_name[int32(m.GetType())]; !ok {
		c.stats.BadMessages++
		return fmt.Errorf("%w: unknown message type %d", ErrBadMessage, m.GetType())
	}
	if etcdraft.IsLocalMsg(m.GetType()) || m.GetTo() != c.id {
		c.stats.BadMessages++
		return fmt.Errorf("%w: %v to %d", ErrBadMessage, m.GetType(), m.GetTo())
	}
	pub, ok := c.byID[m.GetFrom()]
	if !ok || (from != nil && !bytes.Equal(pub, from)) {
		c.stats.BadMessages++
		return fmt.Errorf("%w: sender %x is not the member with raft id %d", ErrBadMessage, from, m.GetFrom())
	}
	if err := checkMessage(m); err != nil {
		c.stats.BadMessages++
		return err
	}
	return c.step(m)
}

// step hands m to raft and handles the output. etcd raft panics on some
// messages no correct peer sends; checkMessage refuses the known ones, and
// a panic that still happens stops this core (its state may be half
// updated) instead of the process: a restart reloads it from the store.
func (c *Core) step(m *pb.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = c.fail(fmt.Errorf("%w: raft refused %v from %d: %v", ErrBadMessage, m.GetType(), m.GetFrom(), r))
		}
	}()
	if err := c.rn.Step(m); err != nil {
		c.stats.BadMessages++
		return fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	return c.Process()
}

// Process handles raft's output until there is none: persist, send,
// apply, snapshot, and seal a block when this node leads.
func (c *Core) Process() error {
	for range 10000 {
		if c.err != nil {
			return c.err
		}
		if c.rn.HasReady() {
			if err := c.handleReady(); err != nil {
				return c.fail(err)
			}
			continue
		}
		if err := c.maybeSnapshot(); err != nil {
			return c.fail(err)
		}
		if !c.maybeSeal() {
			return nil
		}
	}
	return nil
}

func (c *Core) handleReady() error {
	rd := c.rn.Ready()
	if err := c.st.save(rd.Snapshot, rd.Entries, rd.HardState, rd.MustSync); err != nil {
		return err
	}
	if !etcdraft.IsEmptySnap(rd.Snapshot) {
		if err := c.restoreSnapshot(rd.Snapshot); err != nil {
			return err
		}
		c.stats.SnapInstalls++
		c.log.Info("raft snapshot installed", "index", c.snapIndex, "height", c.syncTarget)
		if err := c.st.saveConfState(c.conf); err != nil {
			return err
		}
	}
	var snapsSent []uint64
	for _, m := range rd.Messages {
		c.tr.Send(m.GetTo(), mustMarshal(m))
		if m.GetType() == pb.MsgSnap {
			snapsSent = append(snapsSent, m.GetTo())
		}
	}
	c.queue = append(c.queue, rd.CommittedEntries...)
	c.rn.Advance(rd)
	for _, to := range snapsSent {
		c.rn.ReportSnapshot(to, etcdraft.SnapshotFinish)
	}
	return c.applyQueue()
}

// stalled reports whether the ledger is below the height the latest
// snapshot covers: entries wait until block sync fills the gap.
func (c *Core) stalled() bool { return c.app.Head().Number < c.syncTarget }

func (c *Core) requestSync() {
	c.lastSync = c.ticks
	c.app.RequestSync(c.app.Head().Number + 1)
}

// applyQueue applies committed entries in order until one must wait for
// blocks from sync.
func (c *Core) applyQueue() error {
	for len(c.queue) > 0 {
		e := c.queue[0]
		if e.GetIndex() <= c.applied {
			c.queue = c.queue[1:]
			continue
		}
		if c.stalled() {
			if c.ticks >= c.lastSync+c.cfg.SyncTicks || c.lastSync == 0 {
				c.requestSync()
			}
			return nil
		}
		switch e.GetType() {
		case pb.EntryNormal:
			done, err := c.applyBlock(e)
			if err != nil {
				return err
			}
			if !done {
				return nil
			}
		case pb.EntryConfChange:
			if err := c.applyConfChange(e); err != nil {
				return err
			}
		default: // never proposed by this engine: a no-op change keeps raft's bookkeeping
			c.conf = c.rn.ApplyConfChange(&pb.ConfChange{NodeId: proto.Uint64(0)})
		}
		c.applied = e.GetIndex()
		c.queue = c.queue[1:]
	}
	return nil
}

// checkBlock is every replica's deterministic check of a block's leader
// signature and raft position.
func (c *Core) checkBlock(h *types.Header, term, index uint64) error {
	t, i, err := DecodeExtra(h.Extra)
	if err != nil {
		return err
	}
	if index != 0 && (t != term || i != index) {
		return fmt.Errorf("%w: block %d claims term %d index %d, entry is term %d index %d", ErrBadEntry, h.Number, t, i, term, index)
	}
	if len(h.Signatures) != 1 {
		return fmt.Errorf("%w: block %d has %d signatures, want the leader's only", ErrBadEntry, h.Number, len(h.Signatures))
	}
	if err := consensus.VerifyCommit(c.cfg.Suite, h, c.signers, 1); err != nil {
		return fmt.Errorf("%w: %w", ErrBadEntry, err)
	}
	return nil
}

// applyBlock applies a committed normal entry; done is false when the
// entry must wait for blocks below it.
func (c *Core) applyBlock(e *pb.Entry) (done bool, err error) {
	be, ok, err := decodeBlockEntry(e.GetData())
	if !ok {
		return true, nil // raft's empty entry of a new term
	}
	if err != nil {
		c.reject(e, err)
		return true, nil
	}
	h := be.Header
	if err := c.checkBlock(h, e.GetTerm(), e.GetIndex()); err != nil {
		c.reject(e, err)
		return true, nil
	}
	head := c.app.Head()
	hash := h.Hash(c.cfg.Suite)
	switch {
	case h.Number <= head.Number:
		if have, ok := c.app.HashAt(h.Number); ok && have == hash {
			return true, nil // synced already
		}
		return false, fmt.Errorf("%w: entry %d holds block %d %s, the ledger has another", ErrDiverged, e.GetIndex(), h.Number, hash)
	case h.Number > head.Number+1:
		if c.ticks >= c.lastSync+c.cfg.SyncTicks || c.lastSync == 0 {
			c.requestSync()
		}
		return false, nil
	case h.ParentHash != head.Hash(c.cfg.Suite):
		c.reject(e, fmt.Errorf("%w: block %d does not link to the head", ErrBadEntry, h.Number))
		return true, nil
	}
	if err := c.app.Apply(h, be.Txs); err != nil {
		if errors.Is(err, ErrRejected) {
			c.reject(e, err)
			return true, nil
		}
		return false, fmt.Errorf("applying block %d (entry %d): %w", h.Number, e.GetIndex(), err)
	}
	c.stats.Applied++
	c.sealWanted = true
	return true, nil
}

func (c *Core) reject(e *pb.Entry, err error) {
	c.stats.Rejected++
	c.log.Warn("committed raft entry skipped", "index", e.GetIndex(), "term", e.GetTerm(), "err", err)
}

// SyncBlock takes a block from block sync: it must carry a valid leader
// signature and extend the head; it is then applied and waiting entries
// go on.
func (c *Core) SyncBlock(h *types.Header, txs [][]byte) error {
	if c.err != nil {
		return c.err
	}
	head := c.app.Head()
	if h.Number != head.Number+1 || h.ParentHash != head.Hash(c.cfg.Suite) {
		return fmt.Errorf("%w: synced block %d does not extend head %d", ErrBadEntry, h.Number, head.Number)
	}
	if err := c.checkBlock(h, 0, 0); err != nil {
		return err
	}
	if err := c.app.Apply(h, txs); err != nil {
		// A peer's block that does not execute to its header is refused;
		// the ledger is unchanged (Apply commits only a matching block).
		return fmt.Errorf("%w: synced block %d: %w", ErrBadEntry, h.Number, err)
	}
	c.stats.Synced++
	if err := c.applyQueue(); err != nil {
		return c.fail(err)
	}
	return c.Process()
}

// LedgerMoved tells the core that something else (the node's block
// syncer) committed blocks: waiting entries may go on.
func (c *Core) LedgerMoved() error {
	if c.err != nil {
		return c.err
	}
	if err := c.applyQueue(); err != nil {
		return c.fail(err)
	}
	return c.Process()
}

// maybeSnapshot takes a snapshot every SnapshotEntries applied entries.
func (c *Core) maybeSnapshot() error {
	if c.applied < c.snapIndex+c.cfg.SnapshotEntries || c.stalled() {
		return nil
	}
	head := c.app.Head()
	d := &snapData{Height: head.Number, Hash: head.Hash(c.cfg.Suite), Signers: c.signers}
	if err := c.st.snapshot(c.applied, c.conf, d.encode(), c.cfg.KeepEntries); err != nil {
		return err
	}
	c.snapIndex = c.applied
	c.stats.Snapshots++
	c.log.Debug("raft snapshot taken", "index", c.applied, "height", head.Number)
	return nil
}

// maybeSeal proposes a block when this node leads, every entry of its log
// is committed and applied, and the pool has transactions. It reports
// whether it proposed.
func (c *Core) maybeSeal() bool {
	if !c.sealWanted {
		return false
	}
	c.sealWanted = false
	bs := c.rn.BasicStatus()
	if bs.RaftState != etcdraft.StateLeader || bs.LeadTransferee != 0 {
		return false
	}
	last, err := c.st.LastIndex()
	if err != nil || bs.HardState.GetCommit() != last || c.applied != last || len(c.queue) > 0 || c.stalled() {
		return false
	}
	idx, ok := c.signerIdx[string(c.self)]
	if !ok {
		return false
	}
	head := c.app.Head()
	// A block entry must fit in one message, with room for the header.
	maxBytes := c.cfg.MaxMessageSize / 2
	ticksHold := c.lastSeal != 0 && c.ticks < c.lastSeal+c.cfg.MinSealTicks
	if (ticksHold || c.sealIntervalLeft() > 0) && !c.app.FullBlock(head, c.cfg.MaxBlockTxs, maxBytes) {
		// Retried at the next tick, when the driver's timer ends
		// (SealWait), or when the pool grows.
		c.sealWanted = true
		return false
	}
	h, txs, err := c.app.Seal(head, c.cfg.MaxBlockTxs, maxBytes)
	if err != nil {
		c.log.Warn("sealing failed", "height", head.Number+1, "err", err)
		return false
	}
	if h == nil {
		return false
	}
	h.Extra = EncodeExtra(bs.HardState.GetTerm(), last+1)
	sig, err := consensus.SignCommit(c.cfg.Suite, c.cfg.Key, h, uint64(idx))
	if err != nil {
		c.log.Error("signing block failed", "height", h.Number, "err", err)
		return false
	}
	h.Signatures = []types.CommitSig{sig}
	if err := c.rn.Propose(encodeBlockEntry(h, txs)); err != nil {
		c.log.Debug("block proposal dropped", "height", h.Number, "err", err)
		return false
	}
	c.lastSeal = max(c.ticks, 1)
	c.lastSealAt = c.now()
	c.stats.Proposed++
	return true
}
