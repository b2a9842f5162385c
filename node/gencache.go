package node

import "sync"

// genCache keeps values read from the committed state that only a commit
// may change, dropped whole (drop) when one may have. A read may race
// with such a commit: a read that missed keeps what it read only if no
// drop happened since it missed (gen), so the cache never serves a value
// older than the committed state once drop returned. A commit that
// changes the values holds the cache (hold) before it writes the block
// and releases it (release, which drops) after: meanwhile every read goes
// to the state and nothing is kept, so no value older than the block is
// served once the block is visible, before the drop as after it.
type genCache[K comparable, V any] struct {
	max int // entries kept at most (the cache starts over past it); 0: no bound

	mu      sync.Mutex
	entries map[K]V
	gen     uint64 // drops and holds so far
	held    int    // commits under way that change the values
}

// get returns k's value, from the cache or else by read.
func (c *genCache[K, V]) get(k K, read func() (V, error)) (V, error) {
	c.mu.Lock()
	v, ok := c.entries[k]
	gen, held := c.gen, c.held > 0
	c.mu.Unlock()
	if ok && !held {
		return v, nil
	}
	v, err := read()
	if err != nil || held {
		return v, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if c.entries == nil || (c.max > 0 && len(c.entries) >= c.max) {
			c.entries = make(map[K]V)
		}
		c.entries[k] = v
	}
	c.mu.Unlock()
	return v, nil
}

// drop forgets every value.
func (c *genCache[K, V]) drop() {
	c.mu.Lock()
	c.entries = nil
	c.gen++
	c.mu.Unlock()
}

// hold makes every read go to the state, keeping nothing, until release.
func (c *genCache[K, V]) hold() {
	c.mu.Lock()
	c.held++
	c.gen++
	c.mu.Unlock()
}

// release ends a hold and forgets every value.
func (c *genCache[K, V]) release() {
	c.mu.Lock()
	c.held--
	c.entries = nil
	c.gen++
	c.mu.Unlock()
}
