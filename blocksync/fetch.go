package blocksync

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/types"
)

// schedule requests the missing heights of the window above the head
// from usable peers: consecutive runs of at most MaxBlocksPerRequest, each
// to the least loaded peer that has it. The head is read from the ledger
// first: the consensus engine commits between the syncer's ticks (many
// blocks a tick when blocks are small), and a head as old as the last tick
// would make a peer that is one block ahead look CatchUpGap ahead, and
// have blocks fetched that the engine is committing itself.
func (st *loopState) schedule() {
	st.refreshHead()
	cfg := &st.s.cfg
	highest := st.highest()
	if st.leaveToEngine(highest) {
		return
	}
	window := st.head + uint64(cfg.MaxBufferedBlocks)
	top := min(highest, window)
	missing := func(h uint64) bool {
		_, inBuf := st.buffer[h]
		_, asked := st.assigned[h]
		return !inBuf && !asked
	}
	for h := st.head + 1; h <= top && h > st.head; {
		if !missing(h) {
			h++
			continue
		}
		// Over the byte bound only the block the applier needs next is fetched.
		if st.bufBytes >= cfg.MaxBufferedBytes && h != st.head+1 {
			return
		}
		ps := st.pickPeer(h)
		if ps == nil {
			return // no peer can serve h now; higher heights even less
		}
		end := h
		for end < top && end < ps.head && end-h+1 < uint64(cfg.MaxBlocksPerRequest) && missing(end+1) {
			end++
		}
		if st.bufBytes >= cfg.MaxBufferedBytes {
			end = h
		} else if end == window && end < highest && end-h+1 < uint64(cfg.MaxBlocksPerRequest) && h != st.head+1 {
			// Cut short only by the window's edge: wait until the head
			// moves enough for a full request rather than ask block by block.
			return
		}
		if !st.request(ps, h, end-h+1) {
			continue // ps is now backed off; try another peer for h
		}
		h = end + 1
	}
}

// neverMoved is loopState.engineMoved before the engine committed anything.
const neverMoved = -1 << 40

// catchUpGrowth bounds the wait of leaveToEngine: at most this many times
// Config.CatchUpDelay.
const catchUpGrowth = 4

// leaveToEngine reports whether the blocks up to highest are left to the
// consensus engine for now (Config.CatchUpDelay): no peer is CatchUpGap
// blocks ahead, and the engine committed a block recently: less than
// CatchUpDelay ago, or less than twice the interval between its last two
// commits ago (at most catchUpGrowth x CatchUpDelay). An engine whose
// blocks take longer than CatchUpDelay (full blocks on a loaded machine)
// is thus not taken for a stalled one between two of its commits.
func (st *loopState) leaveToEngine(highest uint64) bool {
	d := st.s.catchUpTicks
	if d <= 0 || highest <= st.head || highest-st.head >= uint64(st.s.cfg.CatchUpGap) {
		return false
	}
	wait := max(d, min(2*st.engineGap, catchUpGrowth*d))
	return st.now-st.engineMoved < wait
}

// pickPeer chooses, among the usable peers with room for a request that
// have block h, one with the fewest requests in flight; ties rotate in id
// order from the peer asked last, so every peer gets a share.
func (st *loopState) pickPeer(h uint64) *peerState {
	var best []*peerState
	for _, ps := range st.sortedPeers() {
		if !st.usable(ps) || ps.head < h || ps.inflight >= st.s.cfg.MaxInflightPerPeer {
			continue
		}
		switch {
		case len(best) == 0 || ps.inflight < best[0].inflight:
			best = append(best[:0], ps)
		case ps.inflight == best[0].inflight:
			best = append(best, ps)
		}
	}
	if len(best) == 0 {
		return nil
	}
	pick := best[0]
	for _, ps := range best {
		if ps.id > st.lastPicked {
			pick = ps
			break
		}
	}
	return pick
}

// request sends a block request to ps; on a send failure it backs ps off
// and reports false.
func (st *loopState) request(ps *peerState, from, count uint64) bool {
	st.nextID++
	r := &request{id: st.nextID, peer: ps.id, from: from, count: count, deadline: st.now + st.s.timeoutTicks}
	// Expect the answer before sending: it may arrive before Send returns.
	st.s.setExpected(ps.id, r.id, true)
	err := st.s.send(ps.id, &Message{Kind: KindGetBlocks, GetBlocks: &GetBlocksMsg{ID: r.id, From: from, Count: count}})
	if err != nil {
		st.s.setExpected(ps.id, r.id, false)
		ps.backoffUntil = st.now + st.s.backoffTicks
		return false
	}
	st.s.stats.requests.Add(1)
	st.lastPicked = ps.id
	st.s.log.Debug("requested blocks", "peer", ps.id.short(), "from", from, "count", count, "id", r.id)
	st.reqs[r.id] = r
	for h := from; h < from+count; h++ {
		st.assigned[h] = r.id
	}
	ps.inflight++
	return true
}

// finish forgets request r, releasing the heights it was fetching.
func (st *loopState) finish(r *request) {
	delete(st.reqs, r.id)
	st.s.setExpected(r.peer, r.id, false)
	for h := r.from; h < r.from+r.count; h++ {
		if st.assigned[h] == r.id {
			delete(st.assigned, h)
		}
	}
	if ps := st.peers[r.peer]; ps != nil && ps.inflight > 0 {
		ps.inflight--
	}
}

// timeout gives up on r; its range goes to other peers and its peer gets
// no new requests for a while.
func (st *loopState) timeout(r *request) {
	st.finish(r)
	st.s.stats.timeouts.Add(1)
	if ps := st.peers[r.peer]; ps != nil {
		ps.timeouts++
		ps.backoffUntil = st.now + st.s.backoffTicks
	}
	st.s.log.Info("block request timed out; asking another peer", "peer", r.peer.short(), "from", r.from, "count", r.count)
}

// cancelPeer forgets every request to ps.
func (st *loopState) cancelPeer(ps *peerState) {
	for _, r := range st.sortedReqs() {
		if r.peer == ps.id {
			st.finish(r)
		}
	}
}

// penalise ignores ps for a while after it sent invalid data: its
// requests are cancelled and the blocks it served that wait in the buffer
// are dropped, to be fetched elsewhere.
func (st *loopState) penalise(ps *peerState, err error) {
	ps.penalties++
	ps.lastPenalty = err.Error()
	ps.bannedUntil = st.now + st.s.penaltyTicks
	st.s.stats.penalties.Add(1)
	st.cancelPeer(ps)
	for h, f := range st.buffer {
		if f.from == ps.id && !(st.applying && h == st.head+1) {
			st.unbuffer(h, f)
		}
	}
	st.s.log.Warn("peer served invalid data; ignoring it for a while", "peer", ps.id.short(),
		"penalties", ps.penalties, "for", st.s.cfg.PenaltyDuration, "err", err)
}

// onBlocks takes a response: it must answer an outstanding request of
// that peer, and every block must be the one asked, chain to the block
// before it in the response, match its tx root and carry a valid commit
// certificate. Otherwise the peer is penalised and nothing of the
// response is kept.
func (st *loopState) onBlocks(from PeerID, m *BlocksMsg) {
	r := st.reqs[m.ID]
	if r == nil || r.peer != from {
		st.s.stats.unsolicited.Add(1)
		return
	}
	st.finish(r)
	st.s.stats.responses.Add(1)
	ps := st.peers[from]
	if ps == nil {
		return
	}
	blocks, err := st.verifyResponse(r, m)
	if err != nil {
		if !errors.Is(err, ErrBadBlock) { // a local problem, not the peer's
			st.lastErr = err.Error()
			st.s.log.Error("cannot verify blocks", "from", r.from, "err", err)
			return
		}
		st.s.stats.badBlocks.Add(1)
		st.penalise(ps, err)
		return
	}
	if len(blocks) == 0 {
		// The peer does not have block r.from (any more): do not ask it
		// again before it announces a higher head.
		if r.from > 0 {
			ps.head = min(ps.head, r.from-1)
		}
		return
	}
	ps.head = max(ps.head, r.from+uint64(len(blocks))-1)
	for i, b := range blocks {
		n := b.block.Header.Number
		if n <= st.head || st.buffer[n] != nil {
			continue
		}
		b.size = len(m.Blocks[i])
		st.buffer[n] = b
		st.bufBytes += b.size
	}
}

// verifyResponse decodes and checks the blocks of m, which answers r.
func (st *loopState) verifyResponse(r *request, m *BlocksMsg) ([]*fetched, error) {
	if m.From != r.from || uint64(len(m.Blocks)) > r.count {
		return nil, fmt.Errorf("%w: asked %d blocks from %d, got %d from %d", ErrBadBlock, r.count, r.from, len(m.Blocks), m.From)
	}
	out := make([]*fetched, len(m.Blocks))
	var prev common.Hash
	for i, raw := range m.Blocks {
		want := r.from + uint64(i)
		b, err := types.DecodeBlock(st.s.suite, raw)
		if err != nil {
			return nil, fmt.Errorf("%w: block %d: %w", ErrBadBlock, want, err)
		}
		if b.Header.Number != want {
			return nil, fmt.Errorf("%w: block %d of the response is number %d", ErrBadBlock, want, b.Header.Number)
		}
		if i > 0 && b.Header.ParentHash != prev {
			return nil, fmt.Errorf("%w: block %d does not chain to block %d of the same response", ErrBadBlock, want, want-1)
		}
		hash, err := st.s.checkBlock(b)
		uncertain := errors.Is(err, ErrSealersPending)
		if err != nil && !uncertain {
			return nil, err
		}
		if uncertain {
			hash = b.Header.Hash(st.s.suite)
		}
		out[i] = &fetched{block: b, hash: hash, from: r.peer, uncertain: uncertain}
		prev = hash
	}
	return out, nil
}

// checkBlock verifies what a block proves on its own: its tx root and its
// commit certificate against the sealers of its height. It returns the
// block's hash.
func (s *Syncer) checkBlock(b *types.Block) (common.Hash, error) {
	h := b.Header
	if root := types.TxRoot(s.suite, b.Txs); root != h.TxRoot {
		return common.Hash{}, fmt.Errorf("%w: block %d has tx root %s but its txs give %s", ErrBadBlock, h.Number, h.TxRoot, root)
	}
	var sealers [][]byte
	var weights []uint64
	var err error
	if ws, ok := s.sealers.(WeightedSealerSet); ok {
		sealers, weights, err = ws.WeightedSealersAt(h.Number)
	} else {
		sealers, err = s.sealers.SealersAt(h.Number)
	}
	if errors.Is(err, ErrSealersPending) {
		return common.Hash{}, err
	}
	if err != nil {
		return common.Hash{}, fmt.Errorf("%w: block %d: %w", ErrNoSealers, h.Number, err)
	}
	if len(sealers) == 0 {
		return common.Hash{}, fmt.Errorf("%w: block %d", ErrNoSealers, h.Number)
	}
	if weights == nil {
		err = consensus.VerifyCommit(s.suite, h, sealers, s.quorum(len(sealers)))
	} else {
		var total uint64
		if total, err = consensus.TotalWeight(len(sealers), weights); err != nil {
			return common.Hash{}, fmt.Errorf("%w: block %d: %w", ErrNoSealers, h.Number, err)
		}
		err = consensus.VerifyCommitWeighted(s.suite, h, sealers, weights, consensus.QuorumWeight(total))
	}
	if err != nil {
		return common.Hash{}, fmt.Errorf("%w: block %d: %w", ErrBadBlock, h.Number, err)
	}
	return h.Hash(s.suite), nil
}
