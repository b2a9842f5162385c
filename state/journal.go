package state

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// change is one revertible change made during the current transaction.
// Changes are undone in reverse order by RevertToSnapshot. One concrete
// type for every kind (rather than an interface per kind) lets the
// journal keep them by value in a slice reused from one transaction to
// the next, so recording a change allocates nothing.
type change struct {
	kind changeKind
	flag bool // selfDestruct: the previous flag; storage: the slot had a dirty value
	addr common.Address
	key  common.Hash // storage slot, transient key, access-list slot
	prev common.Hash // storage and transient: previous value; code: previous code hash
	bal  uint256.Int // balance: previous balance
	n    uint64      // nonce: previous nonce; refund: previous refund
	code []byte      // code: previous code
}

type changeKind uint8

const (
	// Kinds up to touchChange are changes to the account addr (dirtied).
	createObjectChange changeKind = iota + 1
	createContractChange
	selfDestructChange
	balanceChange
	nonceChange
	codeChange
	storageChange
	touchChange
	refundChange
	addLogChange
	transientChange
	accessListAddrChange
	accessListSlotChange
)

// dirtied reports whether the change belongs to the account addr.
func (c *change) dirtied() bool { return c.kind <= touchChange }

// revert undoes the change on s.
func (c *change) revert(s *StateDB) {
	switch c.kind {
	case createObjectChange:
		obj := s.objects[c.addr]
		obj.live = false
		obj.data = emptyAccount()
		obj.code, obj.codeLoaded = nil, true
	case createContractChange:
		s.objects[c.addr].newContract = false
	case selfDestructChange:
		s.objects[c.addr].selfDestructed = c.flag
	case balanceChange:
		s.objects[c.addr].data.Balance = c.bal
	case nonceChange:
		s.objects[c.addr].data.Nonce = c.n
	case codeChange:
		obj := s.objects[c.addr]
		obj.data.CodeHash = c.prev
		obj.code, obj.codeLoaded = c.code, true
	case storageChange:
		obj := s.objects[c.addr]
		if c.flag {
			obj.dirtyStorage[c.key] = c.prev
		} else {
			delete(obj.dirtyStorage, c.key)
		}
	case touchChange:
	case refundChange:
		s.refund = c.n
	case addLogChange:
		s.logs[len(s.logs)-1] = nil
		s.logs = s.logs[:len(s.logs)-1]
	case transientChange:
		s.setTransient(c.addr, c.key, c.prev)
	case accessListAddrChange:
		delete(s.accessAddrs, c.addr)
	case accessListSlotChange:
		delete(s.accessSlots, accessSlot{c.addr, c.key})
	}
}

// journal records the changes of the current transaction.
type journal struct {
	entries   []change
	revisions []int // journal length at each Snapshot, indexed by snapshot id
	// dirties counts, per account, the entries that touched it. Finalise
	// looks at these accounts only.
	dirties map[common.Address]int
}

func newJournal() *journal {
	return &journal{dirties: make(map[common.Address]int)}
}

func (j *journal) append(c change) {
	j.entries = append(j.entries, c)
	if c.dirtied() {
		j.dirties[c.addr]++
	}
}

func (j *journal) snapshot() int {
	j.revisions = append(j.revisions, len(j.entries))
	return len(j.revisions) - 1
}

// revertTo undoes every entry recorded after snapshot id and drops that
// snapshot and the later ones. It reports false for an unknown id.
func (j *journal) revertTo(s *StateDB, id int) bool {
	if id < 0 || id >= len(j.revisions) {
		return false
	}
	mark := j.revisions[id]
	for i := len(j.entries) - 1; i >= mark; i-- {
		c := &j.entries[i]
		c.revert(s)
		if c.dirtied() {
			if j.dirties[c.addr]--; j.dirties[c.addr] == 0 {
				delete(j.dirties, c.addr)
			}
		}
		j.entries[i] = change{}
	}
	j.entries = j.entries[:mark]
	j.revisions = j.revisions[:id]
	return true
}

func (j *journal) reset() {
	clear(j.entries)
	j.entries = j.entries[:0]
	j.revisions = j.revisions[:0]
	clear(j.dirties)
}
