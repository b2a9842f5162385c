package state

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// journalEntry is one revertible change made during the current
// transaction. Entries are undone in reverse order by RevertToSnapshot.
type journalEntry interface {
	revert(s *StateDB)
	// dirtied is the account the change belongs to, nil for changes that
	// are not about an account (refund, logs, access list, ...).
	dirtied() *common.Address
}

// journal records the changes of the current transaction.
type journal struct {
	entries   []journalEntry
	revisions []int // journal length at each Snapshot, indexed by snapshot id
	// dirties counts, per account, the entries that touched it. Finalise
	// looks at these accounts only.
	dirties map[common.Address]int
}

func newJournal() *journal {
	return &journal{dirties: make(map[common.Address]int)}
}

func (j *journal) append(e journalEntry) {
	j.entries = append(j.entries, e)
	if a := e.dirtied(); a != nil {
		j.dirties[*a]++
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
		e := j.entries[i]
		e.revert(s)
		if a := e.dirtied(); a != nil {
			if j.dirties[*a]--; j.dirties[*a] == 0 {
				delete(j.dirties, *a)
			}
		}
		j.entries[i] = nil
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

type (
	createObjectChange   struct{ addr common.Address }
	createContractChange struct{ addr common.Address }
	selfDestructChange   struct {
		addr common.Address
		prev bool
	}
	balanceChange struct {
		addr common.Address
		prev uint256.Int
	}
	nonceChange struct {
		addr common.Address
		prev uint64
	}
	codeChange struct {
		addr     common.Address
		prevCode []byte
		prevHash common.Hash
	}
	storageChange struct {
		addr      common.Address
		slot      common.Hash
		prev      common.Hash
		prevDirty bool // the slot had a dirty value (prev) before the change
	}
	touchChange     struct{ addr common.Address }
	refundChange    struct{ prev uint64 }
	addLogChange    struct{}
	transientChange struct {
		addr common.Address
		key  common.Hash
		prev common.Hash
	}
	accessListAddrChange struct{ addr common.Address }
	accessListSlotChange struct {
		addr common.Address
		slot common.Hash
	}
)

func (c createObjectChange) revert(s *StateDB) {
	obj := s.objects[c.addr]
	obj.live = false
	obj.data = emptyAccount()
	obj.code, obj.codeLoaded = nil, true
}
func (c createObjectChange) dirtied() *common.Address { return &c.addr }

func (c createContractChange) revert(s *StateDB)        { s.objects[c.addr].newContract = false }
func (c createContractChange) dirtied() *common.Address { return &c.addr }

func (c selfDestructChange) revert(s *StateDB)        { s.objects[c.addr].selfDestructed = c.prev }
func (c selfDestructChange) dirtied() *common.Address { return &c.addr }

func (c balanceChange) revert(s *StateDB)        { s.objects[c.addr].data.Balance = c.prev }
func (c balanceChange) dirtied() *common.Address { return &c.addr }

func (c nonceChange) revert(s *StateDB)        { s.objects[c.addr].data.Nonce = c.prev }
func (c nonceChange) dirtied() *common.Address { return &c.addr }

func (c codeChange) revert(s *StateDB) {
	obj := s.objects[c.addr]
	obj.data.CodeHash = c.prevHash
	obj.code, obj.codeLoaded = c.prevCode, true
}
func (c codeChange) dirtied() *common.Address { return &c.addr }

func (c storageChange) revert(s *StateDB) {
	obj := s.objects[c.addr]
	if c.prevDirty {
		obj.dirtyStorage[c.slot] = c.prev
	} else {
		delete(obj.dirtyStorage, c.slot)
	}
}
func (c storageChange) dirtied() *common.Address { return &c.addr }

func (c touchChange) revert(*StateDB)          {}
func (c touchChange) dirtied() *common.Address { return &c.addr }

func (c refundChange) revert(s *StateDB)        { s.refund = c.prev }
func (c refundChange) dirtied() *common.Address { return nil }

func (addLogChange) revert(s *StateDB) {
	s.logs[len(s.logs)-1] = nil
	s.logs = s.logs[:len(s.logs)-1]
}
func (addLogChange) dirtied() *common.Address { return nil }

func (c transientChange) revert(s *StateDB)        { s.setTransient(c.addr, c.key, c.prev) }
func (c transientChange) dirtied() *common.Address { return nil }

func (c accessListAddrChange) revert(s *StateDB)        { delete(s.accessList, c.addr) }
func (c accessListAddrChange) dirtied() *common.Address { return nil }

func (c accessListSlotChange) revert(s *StateDB) {
	if slots := s.accessList[c.addr]; slots != nil {
		delete(slots, c.slot)
	}
}
func (c accessListSlotChange) dirtied() *common.Address { return nil }
