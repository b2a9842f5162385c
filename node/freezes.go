package node

import (
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/executor/precompiled"
)

// freezeStatuses keeps the accounts' frozen statuses the pool asks about
// for every tx it admits (poolChain.AccountFrozen), so that a tx costs a
// map lookup instead of hashing the account's record slot and decoding
// the record through the Permission slots' cache: almost every sender is
// an account never frozen, asked about over and over.
//
// A status changes only by a block that writes the Permission contract's
// storage: the node drops the statuses then (slotsCommitted), after the
// cache of Permission slots they are read through, under stateMu's write
// lock. As for contractSlots, a read that misses keeps what it read only
// if no drop happened since (gen): once the drop returned, no status older
// than the committed state is served.
type freezeStatuses struct {
	max int // statuses kept at most (the cache starts over past them)

	mu       sync.Mutex
	statuses map[common.Address]precompiled.FreezeStatus
	gen      uint64 // drops so far
}

// get returns addr's status, from the cache or else by read.
func (f *freezeStatuses) get(addr common.Address, read func() (precompiled.FreezeStatus, error)) (precompiled.FreezeStatus, error) {
	f.mu.Lock()
	st, ok := f.statuses[addr]
	gen := f.gen
	f.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := read()
	if err != nil {
		return st, err
	}
	f.mu.Lock()
	if f.gen == gen {
		if f.statuses == nil || len(f.statuses) >= f.max {
			f.statuses = make(map[common.Address]precompiled.FreezeStatus)
		}
		f.statuses[addr] = st
	}
	f.mu.Unlock()
	return st, nil
}

// drop forgets every status.
func (f *freezeStatuses) drop() {
	f.mu.Lock()
	f.statuses = nil
	f.gen++
	f.mu.Unlock()
}
