package txpool

import (
	"container/heap"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/types"
)

// entry is one pooled transaction with what admission learnt about it.
type entry struct {
	tx     *types.Transaction
	hash   common.Hash
	sender common.Address
	seq    uint64 // arrival order
	size   int

	native     bool
	nonce      uint64 // Ethereum account nonce
	nonceKey   string // native random nonce, as bytes
	blockLimit uint64 // native only

	removed bool // set when the entry leaves the pool
	// expiryIdx is the entry's place in the pool's expiry heap, -1 when
	// it is in none (Ethereum txs, and native ones once removed).
	expiryIdx  int
	prev, next *entry
}

// arrivals is an intrusive doubly linked list of entries in arrival order.
type arrivals struct {
	head, tail *entry
}

func (l *arrivals) pushBack(e *entry) {
	e.prev, e.next = l.tail, nil
	if l.tail == nil {
		l.head = e
	} else {
		l.tail.next = e
	}
	l.tail = e
}

func (l *arrivals) remove(e *entry) {
	if e.prev == nil {
		l.head = e.next
	} else {
		e.prev.next = e.next
	}
	if e.next == nil {
		l.tail = e.prev
	} else {
		e.next.prev = e.prev
	}
	e.prev, e.next = nil, nil
}

// account holds the Ethereum txs of one sender.
type account struct {
	committed uint64            // the sender's nonce in committed state
	next      uint64            // first nonce >= committed with no tx in the pool
	txs       map[uint64]*entry // by nonce
}

// advance moves next past the contiguous run of pooled nonces.
func (a *account) advance() {
	for a.txs[a.next] != nil {
		a.next++
	}
}

// expiryHeap orders the pooled native entries by block limit, then
// arrival. An entry leaves it when it leaves the pool (drop), so the heap
// holds no more than the pool: a committed tx, whose block limit may lie
// up to BlockLimitWindow blocks ahead, is not kept alive by it.
type expiryHeap []*entry

func (h expiryHeap) Len() int { return len(h) }
func (h expiryHeap) Less(i, j int) bool {
	if h[i].blockLimit != h[j].blockLimit {
		return h[i].blockLimit < h[j].blockLimit
	}
	return h[i].seq < h[j].seq
}
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].expiryIdx, h[j].expiryIdx = i, j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*entry)
	e.expiryIdx = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.expiryIdx = -1
	return e
}

// drop takes e out of the heap if it is in it.
func (h *expiryHeap) drop(e *entry) {
	if e.expiryIdx >= 0 && e.expiryIdx < len(*h) && (*h)[e.expiryIdx] == e {
		heap.Remove(h, e.expiryIdx)
	}
}

// popExpired removes from the heap and returns the entries whose block
// limit is <= height.
func (h *expiryHeap) popExpired(height uint64) []*entry {
	var out []*entry
	for h.Len() > 0 && (*h)[0].blockLimit <= height {
		out = append(out, heap.Pop(h).(*entry))
	}
	return out
}
