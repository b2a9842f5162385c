package node

import (
	"bytes"
	"sort"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
)

// configSlots keeps the SystemConfig contract's storage slots that
// readRules read, so that reading a height's rules costs map lookups
// instead of a store read for every slot of every config record (each
// record spans several slots, and a height's rules read two heights'
// configs).
// Rules are read at least once per committed block (the pool asks for the
// next block's tx_gas_limit after each commit), which made those reads a
// sixth of a single node's CPU when it seals small blocks.
//
// The slots change only by a block that writes the contract's storage:
// committed clears the cache then, under stateMu's write lock, and the
// cache is read and filled only under its read lock (readRules), so it
// never serves a value older than the committed state.
type configSlots struct {
	mu    sync.Mutex
	slots map[common.Hash]common.Hash
}

// reader returns r with the SystemConfig contract's slots served from the
// cache. The caller holds stateMu's read lock.
func (c *configSlots) reader(r precompiled.SlotReader) precompiled.SlotReader {
	return cachedConfig{c: c, r: r}
}

// committed drops the cache when st, the state writes of a block just
// committed (stateMu's write lock held), touch the contract's storage, or
// are of a type whose writes it cannot list.
func (c *configSlots) committed(st any) {
	if ws, ok := st.(*state.WriteSet); ok && !touchesPrefix(ws.Writes(), state.StoragePrefix(precompiled.SystemConfigAddress)) {
		return
	}
	c.mu.Lock()
	c.slots = nil
	c.mu.Unlock()
}

// touchesPrefix reports whether a write of ws, sorted by key as a write
// set's are, has a key starting with prefix.
func touchesPrefix(ws []state.Write, prefix []byte) bool {
	i := sort.Search(len(ws), func(i int) bool { return bytes.Compare(ws[i].Key, prefix) >= 0 })
	return i < len(ws) && bytes.HasPrefix(ws[i].Key, prefix)
}

type cachedConfig struct {
	c *configSlots
	r precompiled.SlotReader
}

func (cc cachedConfig) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	if addr != precompiled.SystemConfigAddress {
		return cc.r.Storage(addr, slot)
	}
	c := cc.c
	c.mu.Lock()
	v, ok := c.slots[slot]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := cc.r.Storage(addr, slot)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.slots == nil {
		c.slots = make(map[common.Hash]common.Hash)
	}
	c.slots[slot] = v
	c.mu.Unlock()
	return v, nil
}
