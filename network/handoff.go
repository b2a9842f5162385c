package network

import "time"

// stopWriter has p's writer, as for a replacement, write what it buffered
// (on p) and stop, leaving p's queue for the connection that replaces it
// and p open for its drain. A writer stuck on a peer that stopped reading
// is cut off after drainWriteTimeout, closing p: false.
func (p *peer) stopWriter() bool {
	p.replaced.Store(true)
	p.stop(true)
	select {
	case <-p.writerDone:
		return true
	case <-time.After(drainWriteTimeout):
		p.closeConn(0)
		<-p.writerDone
		return false
	}
}

// A connection replacing another to the same peer (Host.register) takes
// over what the old one had not sent: its queue, and the frame its writer
// had taken but not written. What the old writer had buffered is written
// on the old connection, which is then drained (drain.go): the peer reads
// it to its end. Frames that cannot be written there in time (a peer that
// stopped reading), and whatever does not fit in the new queue, are
// counted as dropped (SendDropped, PeerInfo.Dropped). Nothing is lost
// uncounted.

// handOff stops p, replaced by n (registered, not yet started), and moves
// p's unsent frames to n's queue ahead of anything sent to n meanwhile.
// Frames sent to p from now on go to n.
func (p *peer) handOff(n *peer) {
	p.stopWriter() // p is started by its own register, which published it first
	n.after = p    // n reads once p has drained (n is not started yet)
	defer p.beginDrain()
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
