package enginetest

import (
	"container/heap"
	"math/rand/v2"
)

// Broadcast is the Host.Send destination meaning every other replica.
const Broadcast = -1

// message is a message in flight.
type message struct {
	at     uint64 // delivery tick
	seq    uint64 // tie breaker: sending order
	sentAt uint64
	from   int
	to     int
	data   []byte
}

type queue []*message

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*message)) }
func (q *queue) Pop() any {
	old := *q
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return m
}

// network is the simulated network: every decision comes from rng.
type network struct {
	rng      *rand.Rand
	q        queue
	seq      uint64
	now      uint64
	drop     float64 // probability a message is lost
	dup      float64 // probability a message is delivered twice
	maxDelay uint64  // delays are uniform in 1..maxDelay ticks
	group    []int   // partition group of each replica; replicas talk only within a group
	down     []bool  // crashed replicas

	sent, delivered, dropped uint64
}

func newNetwork(rng *rand.Rand, n int) *network {
	return &network{rng: rng, maxDelay: 1, group: make([]int, n), down: make([]bool, n)}
}

func (nw *network) connected(a, b int) bool { return nw.group[a] == nw.group[b] }

func (nw *network) send(from, to int, data []byte) {
	if to == Broadcast {
		for i := range nw.group {
			if i != from {
				nw.send(from, i, data)
			}
		}
		return
	}
	if to < 0 || to >= len(nw.group) || to == from {
		return
	}
	nw.sent++
	if !nw.connected(from, to) || nw.rng.Float64() < nw.drop {
		nw.dropped++
		return
	}
	copies := 1
	if nw.rng.Float64() < nw.dup {
		copies = 2
	}
	for range copies {
		nw.seq++
		heap.Push(&nw.q, &message{at: nw.now + 1 + nw.rng.Uint64N(nw.maxDelay), seq: nw.seq, sentAt: nw.now,
			from: from, to: to, data: data})
	}
}

// due pops the next message to deliver at the current tick, if any.
func (nw *network) due() *message {
	for len(nw.q) > 0 && nw.q[0].at <= nw.now {
		m := heap.Pop(&nw.q).(*message)
		if nw.down[m.to] || !nw.connected(m.from, m.to) {
			nw.dropped++
			continue
		}
		nw.delivered++
		return m
	}
	return nil
}

// loseLastSends drops, with probability p each, the messages from sent
// during the previous tick: a crash between persisting and sending.
func (nw *network) loseLastSends(from int, p float64) {
	kept := nw.q[:0]
	for _, m := range nw.q {
		if m.from == from && m.sentAt+1 >= nw.now && nw.rng.Float64() < p {
			nw.dropped++
			continue
		}
		kept = append(kept, m)
	}
	nw.q = kept
	heap.Init(&nw.q)
}
