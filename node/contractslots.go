package node

import (
	"bytes"
	"sort"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
)

// contractSlots keeps storage slots of one system contract that the node
// reads over and over, so that a read costs a map lookup instead of a
// store read:
//
//   - the SystemConfig slots readRules reads: rules are read at least once
//     per committed block (the pool asks for the next block's
//     tx_gas_limit after each commit), and each config record spans
//     several slots, which made those reads a sixth of a single node's CPU
//     when it seals small blocks;
//   - the Permission slots of the accounts' frozen status, which the pool
//     reads for every tx it admits (almost always the empty slot of an
//     account never frozen): 1.5 to 3% of 4 PBFT nodes' CPU.
//
// The slots change only by a block that writes the contract's storage:
// committed clears the cache then, under stateMu's write lock, after the
// ledger wrote the block. A read not under stateMu's read lock (the
// pool's) may race with such a commit: it keeps the value it read only if
// no clear happened since it missed the cache (gen), so the cache never
// serves a value older than the committed state once committed returned.
type contractSlots struct {
	addr common.Address
	max  int // entries kept at most (the cache starts over past it); 0: no bound

	mu    sync.Mutex
	slots map[common.Hash]common.Hash
	gen   uint64 // clears so far
}

// reader returns r with the contract's slots served from the cache.
func (c *contractSlots) reader(r precompiled.SlotReader) precompiled.SlotReader {
	return cachedSlots{c: c, r: r}
}

// committed drops the cache when st, the state writes of a block just
// committed (stateMu's write lock held), touch the contract's storage, or
// are of a type whose writes it cannot list. It reports whether it did.
func (c *contractSlots) committed(st any) bool {
	if ws, ok := st.(*state.WriteSet); ok && !touchesPrefix(ws.Writes(), state.StoragePrefix(c.addr)) {
		return false
	}
	c.mu.Lock()
	c.slots = nil
	c.gen++
	c.mu.Unlock()
	return true
}

// touchesPrefix reports whether a write of ws, sorted by key as a write
// set's are, has a key starting with prefix.
func touchesPrefix(ws []state.Write, prefix []byte) bool {
	i := sort.Search(len(ws), func(i int) bool { return bytes.Compare(ws[i].Key, prefix) >= 0 })
	return i < len(ws) && bytes.HasPrefix(ws[i].Key, prefix)
}

type cachedSlots struct {
	c *contractSlots
	r precompiled.SlotReader
}

func (cs cachedSlots) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	c := cs.c
	if addr != c.addr {
		return cs.r.Storage(addr, slot)
	}
	c.mu.Lock()
	v, ok := c.slots[slot]
	gen := c.gen
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := cs.r.Storage(addr, slot)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if c.slots == nil || (c.max > 0 && len(c.slots) >= c.max) {
			c.slots = make(map[common.Hash]common.Hash)
		}
		c.slots[slot] = v
	}
	c.mu.Unlock()
	return v, nil
}

// frozenSlotsMax bounds the cache of Permission slots: about 100 bytes an
// entry, one entry per account the pool saw since the cache last started.
const frozenSlotsMax = 1 << 16

// slotsCommitted tells the caches of contract slots of a commit's state
// writes st (stateMu's write lock held).
func (n *Node) slotsCommitted(st any) {
	n.config.committed(st)
	if n.frozen.committed(st) {
		n.freezes.drop() // after the slots its statuses are read through
	}
}
