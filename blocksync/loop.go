package blocksync

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/types"
)

// loopState is owned by the loop goroutine.
type loopState struct {
	s        *Syncer
	now      int64 // ticks since Start
	genesis  common.Hash
	head     uint64 // the local head, as last committed or read from the ledger
	headHash common.Hash

	peers    map[PeerID]*peerState
	reqs     map[uint64]*request // outstanding requests by id
	assigned map[uint64]uint64   // height -> id of the request fetching it
	buffer   map[uint64]*fetched // verified blocks above the head
	bufBytes int
	nextID   uint64
	// lastPicked is the peer asked last, for rotating among equals.
	lastPicked PeerID

	applying     bool   // a block was handed to the applier and its result is pending
	stallUntil   int64  // after a local apply failure, no block is applied before this tick
	lastAnnounce int64  // tick of the latest status broadcast
	announceDue  bool   // the head moved since
	lastErr      string // latest local apply failure
	// engineMoved is the tick at which a head committed by someone else
	// (the consensus engine) was last adopted; -1 << 40 if never.
	engineMoved int64
	// engineGap is the ticks between the last two such adoptions, 0 until
	// there were two: how often the engine commits now.
	engineGap int64
}

type peerState struct {
	id           PeerID
	known        bool // announced a status on our chain
	wrongChain   bool // announced another genesis
	head         uint64
	inflight     int
	bannedUntil  int64 // penalised: ignored before this tick
	backoffUntil int64 // no new requests before this tick
	penalties    uint64
	timeouts     uint64
	lastPenalty  string
}

type request struct {
	id       uint64
	peer     PeerID
	from     uint64
	count    uint64
	deadline int64
}

// fetched is a verified block waiting to be applied. A block whose
// sealer set was not known on receipt (ErrSealersPending) has its
// certificate checked by the applier once its parent is committed.
type fetched struct {
	block     *types.Block
	hash      common.Hash
	from      PeerID
	size      int
	uncertain bool // certificate not checked yet
}

func newLoopState(s *Syncer, genesis common.Hash, head *types.Header) *loopState {
	return &loopState{
		s: s, genesis: genesis, head: head.Number, headHash: head.Hash(s.suite),
		peers: make(map[PeerID]*peerState), reqs: make(map[uint64]*request),
		assigned: make(map[uint64]uint64), buffer: make(map[uint64]*fetched),
		lastAnnounce: -1 << 40, announceDue: true, engineMoved: neverMoved,
	}
}

func (s *Syncer) runLoop(ctx context.Context, st *loopState, ticks <-chan time.Time, applyCh chan<- *fetched, results <-chan applyResult) {
	st.announce()
	st.publish()
	for {
		var handCh chan<- *fetched
		next := st.readyBlock()
		if next != nil {
			handCh = applyCh
		}
		select {
		case <-ctx.Done():
			return
		case handCh <- next:
			st.applying = true
		case r := <-results:
			st.applying = false
			st.onApplied(r)
		case in := <-s.inbox:
			s.inboxBytes.Add(-int64(in.size))
			switch in.msg.Kind {
			case KindStatus:
				st.onStatus(in.from, in.msg.Status)
			case KindBlocks:
				st.onBlocks(in.from, in.msg.Blocks)
			}
		case <-ticks:
			st.onTick()
		}
		st.schedule()
		st.publish()
	}
}

// readyBlock is the block to hand to the applier now, if any.
func (st *loopState) readyBlock() *fetched {
	if st.applying || st.now < st.stallUntil {
		return nil
	}
	return st.buffer[st.head+1]
}

func (st *loopState) onTick() {
	st.now++
	st.refreshHead()
	for _, r := range st.sortedReqs() {
		if r.deadline <= st.now {
			st.timeout(r)
		}
	}
	since := st.now - st.lastAnnounce
	switch {
	case since >= st.s.statusTicks:
		st.announce()
	case st.announceDue && (st.head >= st.highest() || since >= max(1, st.s.statusTicks/4)):
		// A new head is announced at once when we are at the top (others
		// follow us); while we are still catching up, less often.
		st.announce()
	}
	if st.now%st.s.statusTicks == 0 {
		st.prunePeers()
	}
}

// refreshHead adopts a head committed by someone else (the consensus
// engine); the syncer's own commits are tracked by onApplied.
func (st *loopState) refreshHead() {
	if st.applying {
		return
	}
	h := st.s.ledger.Head()
	if h == nil || h.Number <= st.head {
		return
	}
	if st.engineMoved != neverMoved {
		st.engineGap = st.now - st.engineMoved
	}
	st.engineMoved = st.now
	st.setHead(h.Number, h.Hash(st.s.suite))
}

// setHead moves the head up and drops what is now below it.
func (st *loopState) setHead(n uint64, hash common.Hash) {
	if n != st.head {
		st.announceDue = true
	}
	st.head, st.headHash = n, hash
	for h, f := range st.buffer {
		if h <= n {
			st.unbuffer(h, f)
		}
	}
}

func (st *loopState) unbuffer(h uint64, f *fetched) {
	delete(st.buffer, h)
	st.bufBytes -= f.size
}

// announce sends our status to every connected peer.
func (st *loopState) announce() {
	st.lastAnnounce, st.announceDue = st.now, false
	m := st.statusMsg()
	for _, p := range st.s.tr.Peers() {
		_ = st.s.send(p, m)
	}
}

func (st *loopState) statusMsg() *Message {
	return &Message{Kind: KindStatus, Status: &StatusMsg{Genesis: st.genesis, Number: st.head, Hash: st.headHash}}
}

// peer returns the state of p, creating it unless the table is full.
func (st *loopState) peer(p PeerID) *peerState {
	if ps := st.peers[p]; ps != nil {
		return ps
	}
	if len(st.peers) >= st.s.cfg.MaxPeers {
		return nil
	}
	ps := &peerState{id: p}
	st.peers[p] = ps
	return ps
}

func (st *loopState) onStatus(from PeerID, m *StatusMsg) {
	ps := st.peer(from)
	if ps == nil || st.banned(ps) {
		return
	}
	if m.Genesis != st.genesis {
		if !ps.wrongChain {
			st.s.log.Warn("peer is on another chain; ignoring it", "peer", from.short(), "genesis", m.Genesis, "ours", st.genesis)
		}
		ps.wrongChain, ps.known = true, false
		st.cancelPeer(ps)
		return
	}
	first := !ps.known
	if m.Number == st.head && m.Hash != st.headHash && (first || ps.head != m.Number) {
		st.s.log.Error("peer has another block at our head height", "peer", from.short(), "number", m.Number, "theirs", m.Hash, "ours", st.headHash)
	}
	ps.known, ps.wrongChain = true, false
	ps.head = m.Number
	if first {
		// A new peer learns our head at once instead of at the next period.
		_ = st.s.send(from, st.statusMsg())
	}
}

// prunePeers forgets disconnected peers that are not penalised.
func (st *loopState) prunePeers() {
	connected := make(map[PeerID]bool)
	for _, p := range st.s.tr.Peers() {
		connected[p] = true
	}
	for id, ps := range st.peers {
		if !connected[id] && !st.banned(ps) {
			st.cancelPeer(ps)
			delete(st.peers, id)
		}
	}
}

func (st *loopState) banned(ps *peerState) bool { return st.now < ps.bannedUntil }

// usable reports whether ps may be asked for blocks now.
func (st *loopState) usable(ps *peerState) bool {
	return ps.known && !ps.wrongChain && !st.banned(ps) && st.now >= ps.backoffUntil
}

// highest is the highest head among peers on our chain that are not penalised.
func (st *loopState) highest() uint64 {
	h := st.head
	for _, ps := range st.peers {
		if ps.known && !ps.wrongChain && !st.banned(ps) {
			h = max(h, ps.head)
		}
	}
	return h
}

func (st *loopState) sortedPeers() []*peerState {
	out := make([]*peerState, 0, len(st.peers))
	for _, ps := range st.peers {
		out = append(out, ps)
	}
	slices.SortFunc(out, func(a, b *peerState) int { return cmp.Compare(a.id, b.id) })
	return out
}

func (st *loopState) sortedReqs() []*request {
	out := make([]*request, 0, len(st.reqs))
	for _, r := range st.reqs {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *request) int { return cmp.Compare(a.id, b.id) })
	return out
}

func (st *loopState) snapshotStatus() Status {
	s := Status{
		Current: st.head, CurrentHash: st.headHash, Highest: st.highest(),
		Buffered: len(st.buffer), Inflight: len(st.reqs), LastError: st.lastErr,
	}
	s.Syncing = s.Highest > s.Current
	for _, ps := range st.peers {
		if ps.known && !ps.wrongChain && !st.banned(ps) {
			s.Peers++
		}
		if st.banned(ps) {
			s.Penalised++
		}
	}
	return s
}

// publish makes the loop's state visible to Status and Peers.
func (st *loopState) publish() {
	status := st.snapshotStatus()
	peers := st.sortedPeers()
	infos := make([]PeerInfo, len(peers))
	for i, ps := range peers {
		infos[i] = PeerInfo{
			ID: ps.id, Head: ps.head, Known: ps.known, WrongChain: ps.wrongChain, Inflight: ps.inflight,
			Penalised: st.banned(ps), Penalties: ps.penalties, Timeouts: ps.timeouts, LastPenalty: ps.lastPenalty,
		}
	}
	s := st.s
	s.mu.Lock()
	status.Running = s.status.Running
	s.status = status
	s.peerInfos = infos
	s.mu.Unlock()
}
