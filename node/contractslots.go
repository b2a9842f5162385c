package node

import (
	"bytes"
	"sort"

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
// pool's) may race with such a commit (genCache).
type contractSlots struct {
	addr  common.Address
	slots genCache[common.Hash, common.Hash]
}

// newContractSlots caches addr's slots, at most max of them (0: no bound).
func newContractSlots(addr common.Address, max int) *contractSlots {
	return &contractSlots{addr: addr, slots: genCache[common.Hash, common.Hash]{max: max}}
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
	c.slots.drop()
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
	if addr != cs.c.addr {
		return cs.r.Storage(addr, slot)
	}
	return cs.c.slots.get(slot, func() (common.Hash, error) { return cs.r.Storage(addr, slot) })
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
