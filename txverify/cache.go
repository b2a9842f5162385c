package txverify

import (
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// senderCache maps transaction hashes to verified senders. It holds at
// most 2*half entries in two generations: new entries go to cur; when cur
// is full it becomes old and the former old is dropped. A hit in old moves
// the entry to cur, so recently used entries survive (an approximate LRU
// at the cost of two map operations).
//
// It also tracks the checks in progress, so that a tx arriving twice at
// once (from gossip and in a proposal) is checked once: the second caller
// waits for the first one's result.
type senderCache struct {
	mu       sync.Mutex
	half     int
	cur, old map[common.Hash]common.Address
	inflight map[common.Hash]*flight
}

// flight is a check in progress; addr and err are set before done closes.
type flight struct {
	done chan struct{}
	addr common.Address
	err  error
}

func newSenderCache(size int) *senderCache {
	half := max(1, size/2)
	return &senderCache{
		half:     half,
		cur:      make(map[common.Hash]common.Address, half),
		inflight: make(map[common.Hash]*flight),
	}
}

func (c *senderCache) get(h common.Hash) (common.Address, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.getLocked(h)
}

func (c *senderCache) getLocked(h common.Hash) (common.Address, bool) {
	if a, ok := c.cur[h]; ok {
		return a, true
	}
	a, ok := c.old[h]
	if ok {
		delete(c.old, h)
		c.putLocked(h, a)
	}
	return a, ok
}

// begin looks h up for a caller about to check it: the cached sender
// (known), or the check in progress to wait for (other), or a new flight
// the caller owns and must end with finish (mine).
func (c *senderCache) begin(h common.Hash) (a common.Address, known bool, other, mine *flight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.getLocked(h); ok {
		return a, true, nil, nil
	}
	if f, ok := c.inflight[h]; ok {
		return common.Address{}, false, f, nil
	}
	f := &flight{done: make(chan struct{})}
	c.inflight[h] = f
	return common.Address{}, false, nil, f
}

// finish ends the flight f for h with its result, caching a success.
func (c *senderCache) finish(h common.Hash, f *flight, a common.Address, err error) {
	c.mu.Lock()
	delete(c.inflight, h)
	if err == nil {
		c.putLocked(h, a)
	}
	c.mu.Unlock()
	f.addr, f.err = a, err
	close(f.done)
}

func (c *senderCache) putLocked(h common.Hash, a common.Address) {
	c.cur[h] = a
	if len(c.cur) >= c.half {
		c.old, c.cur = c.cur, make(map[common.Hash]common.Address, c.half)
	}
}

func (c *senderCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}
