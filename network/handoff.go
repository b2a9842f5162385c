package network

// A connection replacing another to the same peer (Host.register) takes
// over what the old one had not sent: its queue, and the frames its
// writer had taken but not put on the wire. Frames the old writer was
// writing when the connection closed may have reached the peer in part
// and are counted as dropped (SendDropped, PeerInfo.Dropped); so is
// whatever does not fit in the new queue. Nothing is lost uncounted.

// handOff stops p, replaced by n (registered, not yet started), and moves
// p's unsent frames to n's queue ahead of anything sent to n meanwhile.
// Frames sent to p from now on go to n.
func (p *peer) handOff(n *peer) {
	p.replaced.Store(true)
	p.stop(false)
	<-p.writerDone // p is started by its own register, which published it first
	p.qmu.Lock()
	p.next = n
	moved := p.held
	p.held = nil
	moved = drain(p.queue, moved)
	p.qmu.Unlock()
	if len(moved) == 0 {
		return
	}
	n.qmu.Lock()
	all := drain(n.queue, moved) // sent to n meanwhile: after the moved ones
	var lost int
	for _, f := range all {
		select {
		case n.queue <- f:
		default:
			lost++
		}
	}
	n.qmu.Unlock()
	p.h.stats.moved.Add(uint64(len(moved)))
	if lost > 0 {
		n.dropped.Add(uint64(lost))
		p.h.stats.sendDropped.Add(uint64(lost))
	}
	p.h.log.Debug("queued frames moved to the replacing connection", "peer", p.id.Short(), "moved", len(moved), "dropped", lost)
}

// drain appends what q holds to out.
func drain(q chan []byte, out [][]byte) [][]byte {
	for {
		select {
		case f := <-q:
			out = append(out, f)
		default:
			return out
		}
	}
}

// lostInFlight counts k frames a replacement cut off mid-write.
func (p *peer) lostInFlight(k int) {
	p.dropped.Add(uint64(k))
	p.h.stats.sendDropped.Add(uint64(k))
}
