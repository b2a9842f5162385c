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

// changedBy reports whether st, the state writes of a block, touch the
// contract's storage, or are of a type whose writes it cannot list.
func (c *contractSlots) changedBy(st any) bool {
	ws, ok := st.(*state.WriteSet)
	return !ok || touchesPrefix(ws.Writes(), state.StoragePrefix(c.addr))
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

// slotsCommitting holds the caches of contract slots, and the statuses
// read through them, that a block with state writes st changes; the
// returned function releases them, dropping what they kept. The node's
// commit calls it under stateMu's write lock before the ledger writes the
// block, and the function after: the block becomes visible (its head, its
// receipts) while the caches are held, so a reader that saw it never gets
// a value from before it (a frozen account's tx admitted by the pool).
func (n *Node) slotsCommitting(st any) (release func()) {
	config, frozen := n.config.changedBy(st), n.frozen.changedBy(st)
	if config {
		n.config.slots.hold()
	}
	if frozen {
		n.frozen.slots.hold()
		n.freezes.hold()
	}
	return func() {
		if config {
			n.config.slots.release()
		}
		if frozen {
			n.frozen.slots.release()
			n.freezes.release() // after the slots its statuses are read through
		}
	}
}
