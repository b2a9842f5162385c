package blocksync

import (
	"context"

	"github.com/gobcos/gobcos/types"
)

// serveReq is a block request from a peer waiting to be served.
type serveReq struct {
	from PeerID
	req  *GetBlocksMsg
}

// enqueueServe queues a peer's request unless that peer already has
// MaxServePerPeer requests queued or the queue is full.
func (s *Syncer) enqueueServe(from PeerID, r *GetBlocksMsg) {
	s.serveMu.Lock()
	if s.servePeer[from] >= s.cfg.MaxServePerPeer {
		s.serveMu.Unlock()
		s.stats.serveDropped.Add(1)
		return
	}
	s.servePeer[from]++
	s.serveMu.Unlock()
	select {
	case s.serveQ <- serveReq{from: from, req: r}:
	default:
		s.serveDone(from)
		s.stats.serveDropped.Add(1)
	}
}

func (s *Syncer) serveDone(from PeerID) {
	s.serveMu.Lock()
	defer s.serveMu.Unlock()
	if s.servePeer[from] <= 1 {
		delete(s.servePeer, from)
	} else {
		s.servePeer[from]--
	}
}

// runServer answers the queued requests, reading the ledger only.
func (s *Syncer) runServer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-s.serveQ:
			resp := s.serve(r.req)
			// Drop the request from the peer's count before sending: the
			// answer may come back as a new request before Send returns.
			s.serveDone(r.from)
			if s.send(r.from, &Message{Kind: KindBlocks, Blocks: resp}) == nil {
				s.stats.served.Add(1)
			}
		}
	}
}

// serve builds the answer to r: the consecutive blocks from r.From on
// that this node has, at most MaxBlocksPerRequest, filling up to
// MaxResponseBytes (at least one block when it fits in a message).
func (s *Syncer) serve(r *GetBlocksMsg) *BlocksMsg {
	resp := &BlocksMsg{ID: r.ID, From: r.From}
	head := s.ledger.Head()
	if head == nil || r.From > head.Number {
		return resp
	}
	count := min(r.Count, uint64(s.cfg.MaxBlocksPerRequest), head.Number-r.From+1)
	size := blocksFixedOverhead
	for n := r.From; n < r.From+count; n++ {
		b, err := s.ledger.BlockByNumber(n)
		if err != nil {
			s.log.Warn("cannot serve a block", "number", n, "err", err)
			break
		}
		enc := types.EncodeBlock(b)
		item := len(enc) + blockItemOverhead
		if size+item > s.cfg.MaxMessageSize {
			if len(resp.Blocks) == 0 {
				s.log.Error("block too large to serve in one sync message", "number", n, "bytes", len(enc), "limit", s.cfg.MaxMessageSize)
			}
			break
		}
		if len(resp.Blocks) > 0 && size+item > s.cfg.MaxResponseBytes {
			break
		}
		resp.Blocks = append(resp.Blocks, enc)
		size += item
	}
	return resp
}
