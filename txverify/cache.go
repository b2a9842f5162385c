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
type senderCache struct {
	mu       sync.Mutex
	half     int
	cur, old map[common.Hash]common.Address
}

func newSenderCache(size int) *senderCache {
	half := max(1, size/2)
	return &senderCache{half: half, cur: make(map[common.Hash]common.Address, half)}
}

func (c *senderCache) get(h common.Hash) (common.Address, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
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

func (c *senderCache) put(h common.Hash, a common.Address) {
	c.mu.Lock()
	c.putLocked(h, a)
	c.mu.Unlock()
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
