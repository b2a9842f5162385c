package state

import (
	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
)

func emptyAccount() Account { return Account{CodeHash: ethtypes.EmptyCodeHash} }

// object is the in-memory view of one account during a block. It exists for
// every address the block looked at, also when the account does not exist
// (live is false), so absent accounts are read from storage once.
type object struct {
	addr   common.Address
	origin *Account // the account at the start of the block; nil when absent
	data   Account  // the current account; emptyAccount() while !live
	live   bool     // the account exists now

	code       []byte // valid when codeLoaded
	codeLoaded bool

	// Storage has three layers. originStorage caches the committed values
	// read from storage (the block's starting state). pendingStorage holds
	// the values written by the block's earlier, finalised transactions and
	// dirtyStorage those of the current transaction. After the account was
	// destroyed in this block (wiped), the committed values no longer apply
	// and slots missing from the upper layers read as zero.
	originStorage  map[common.Hash]common.Hash
	pendingStorage map[common.Hash]common.Hash
	dirtyStorage   map[common.Hash]common.Hash
	wiped          bool

	// Transaction scoped flags, cleared by Finalise.
	newContract    bool // created as a contract in this transaction (EIP-6780)
	selfDestructed bool
}

func newObject(addr common.Address, origin *Account) *object {
	obj := &object{addr: addr, origin: origin, data: emptyAccount()}
	if origin != nil {
		obj.data = *origin
		obj.live = true
	} else {
		obj.codeLoaded = true // an absent account has no code
	}
	return obj
}

// reuse turns o into newObject(addr, origin), keeping its storage maps'
// memory.
func (o *object) reuse(addr common.Address, origin *Account) {
	orig, pending, dirty := o.originStorage, o.pendingStorage, o.dirtyStorage
	clear(orig)
	clear(pending)
	clear(dirty)
	*o = *newObject(addr, origin)
	o.originStorage, o.pendingStorage, o.dirtyStorage = orig, pending, dirty
}

// keepStorage empties o's storage maps for reuse by the same account.
// The transaction layer is kept too: finaliseStorage lets it go when it
// grew large.
func (o *object) keepStorage() {
	clear(o.originStorage)
	clear(o.pendingStorage)
	clear(o.dirtyStorage)
}

// keptSlots is how many slots o's committed and block layers hold, a
// measure of the memory keepStorage keeps; ok is false when o has neither.
func (o *object) keptSlots() (n int, ok bool) {
	return len(o.originStorage) + len(o.pendingStorage), o.originStorage != nil || o.pendingStorage != nil
}

// dropStorage lets go of o's storage maps.
func (o *object) dropStorage() {
	o.originStorage, o.pendingStorage, o.dirtyStorage = nil, nil, nil
}

// empty reports EIP-161 emptiness of the current account.
func (o *object) empty() bool { return o.data.empty() }

// destroy deletes the account and its storage at the end of a transaction.
func (o *object) destroy() {
	o.live = false
	o.data = emptyAccount()
	o.code, o.codeLoaded = nil, true
	clear(o.pendingStorage)
	clear(o.dirtyStorage)
	o.wiped = true
}

// finaliseStorage moves the transaction's storage writes into the block layer.
func (o *object) finaliseStorage() {
	if len(o.dirtyStorage) == 0 {
		return
	}
	if o.pendingStorage == nil {
		o.pendingStorage = make(map[common.Hash]common.Hash, len(o.dirtyStorage))
	}
	for k, v := range o.dirtyStorage {
		o.pendingStorage[k] = v
	}
	if len(o.dirtyStorage) > maxKeptDirty {
		// A map keeps the table of the most it held, and walking it walks
		// that table: a transaction that wrote many slots would slow the
		// finalise of every later one.
		o.dirtyStorage = nil
		return
	}
	clear(o.dirtyStorage)
}

// maxKeptDirty is the most slots a transaction layer may have held to be
// kept for the next transaction.
const maxKeptDirty = 64
