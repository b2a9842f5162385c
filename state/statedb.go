package state

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	gethstate "github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/stateless"
	"github.com/ethereum/go-ethereum/core/tracing"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/types/bal"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"

	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

var _ vm.StateDB = (*StateDB)(nil)

// StateDB is the EVM's view of the state during one block (or one call). It
// reads the committed state from a storage.Reader and keeps every change in
// memory. It is not safe for concurrent use.
//
// Storage read failures cannot be returned through the vm.StateDB methods:
// the first one is recorded, reads then see zero values, and Error and
// WriteSet report it. A caller must check Error after each transaction and
// discard the block's result when it is set.
type StateDB struct {
	r   storage.Reader
	err error

	objects map[common.Address]*object
	codes   map[common.Hash][]byte // code read or written in this block, by hash

	journal *journal
	refund  uint64

	// The access list (EIP-2929) of the current transaction: addresses,
	// and slots keyed by address and slot in one map, so that clearing
	// both between transactions keeps their memory.
	accessAddrs map[common.Address]struct{}
	accessSlots map[accessSlot]struct{}
	transient   map[common.Address]map[common.Hash]common.Hash

	txHash  common.Hash
	txIndex int
	logs    []*types.Log // logs of the current transaction

	free []*object // objects of before the last Reset, for reuse
	// kept holds, by address, the objects of before the last Reset whose
	// storage maps are kept (emptied) for the same account: the contracts
	// a chain's blocks use are mostly the same from block to block, and
	// their maps need not grow again from nothing.
	kept map[common.Address]*object

	keys keyArena // the keys of the reads and writes
}

// Bounds on what Reset keeps in kept: the objects of at most maxKept
// accounts, whose maps held at most maxKeptSlots slots together (a few
// MB: a map keeps the memory of the most it held).
const (
	maxKept      = 256
	maxKeptSlots = 1 << 16
)

// accessSlot is a storage slot of an address in the access list.
type accessSlot struct {
	addr common.Address
	slot common.Hash
}

// New returns a StateDB over the committed state in r.
func New(r storage.Reader) *StateDB {
	return &StateDB{
		r:           r,
		objects:     make(map[common.Address]*object),
		codes:       make(map[common.Hash][]byte),
		journal:     newJournal(),
		accessAddrs: make(map[common.Address]struct{}),
		accessSlots: make(map[accessSlot]struct{}),
		transient:   make(map[common.Address]map[common.Hash]common.Hash),
	}
}

// Error is the first storage failure met while reading state, or nil.
func (s *StateDB) Error() error { return s.err }

func (s *StateDB) setErr(err error) {
	if s.err == nil {
		s.err = err
	}
}

// object returns the object of addr, loading it from storage the first time.
func (s *StateDB) object(addr common.Address) *object {
	if obj := s.objects[addr]; obj != nil {
		return obj
	}
	acct, err := readAccount(s.r, s.keys.accountKey(addr), addr)
	if err != nil {
		s.setErr(err)
		acct = nil
	}
	obj := s.kept[addr]
	if obj != nil {
		delete(s.kept, addr)
	} else if n := len(s.free); n > 0 {
		obj = s.free[n-1]
		s.free = s.free[:n-1]
	}
	if obj != nil {
		obj.reuse(addr, acct)
	} else {
		obj = newObject(addr, acct)
	}
	s.objects[addr] = obj
	return obj
}

// liveObject returns the object of addr, creating the account if it does
// not exist.
func (s *StateDB) liveObject(addr common.Address) *object {
	obj := s.object(addr)
	if !obj.live {
		s.journal.append(change{kind: createObjectChange, addr: addr})
		obj.live = true
		obj.data = emptyAccount()
		obj.code, obj.codeLoaded = nil, true
	}
	return obj
}

func (s *StateDB) loadCode(obj *object) []byte {
	if obj.codeLoaded {
		return obj.code
	}
	h := obj.data.CodeHash
	code, ok := s.codes[h]
	if !ok {
		var err error
		code, err = readCode(s.r, h)
		if err != nil {
			s.setErr(err)
			return nil
		}
		s.codes[h] = code
	}
	obj.code, obj.codeLoaded = code, true
	return code
}

// committedState is a slot's value at the start of the current transaction.
func (s *StateDB) committedState(obj *object, slot common.Hash) common.Hash {
	if v, ok := obj.pendingStorage[slot]; ok {
		return v
	}
	if obj.wiped {
		return common.Hash{}
	}
	return s.originState(obj, slot)
}

// originState is a slot's value at the start of the block.
func (s *StateDB) originState(obj *object, slot common.Hash) common.Hash {
	if v, ok := obj.originStorage[slot]; ok {
		return v
	}
	var v common.Hash
	if obj.origin != nil { // absent accounts have no storage
		var err error
		v, err = readSlot(s.r, s.keys.storageKey(obj.addr, slot), obj.addr, slot)
		if err != nil {
			s.setErr(err)
			return common.Hash{}
		}
	}
	if obj.originStorage == nil {
		obj.originStorage = make(map[common.Hash]common.Hash)
	}
	obj.originStorage[slot] = v
	return v
}

// CreateAccount creates addr as an empty account. The EVM calls it only for
// accounts that do not exist; for an existing account it does nothing, so
// funds sent to an address before a contract is deployed there are kept.
func (s *StateDB) CreateAccount(addr common.Address) { s.liveObject(addr) }

// CreateContract marks addr as a contract created in this transaction.
func (s *StateDB) CreateContract(addr common.Address) {
	obj := s.liveObject(addr)
	if !obj.newContract {
		s.journal.append(change{kind: createContractChange, addr: addr})
		obj.newContract = true
	}
}

// IsNewContract reports whether addr was created as a contract in the
// current transaction.
func (s *StateDB) IsNewContract(addr common.Address) bool {
	obj := s.object(addr)
	return obj.live && obj.newContract
}

func (s *StateDB) setBalance(obj *object, v *uint256.Int) {
	s.journal.append(change{kind: balanceChange, addr: obj.addr, bal: obj.data.Balance})
	obj.data.Balance = *v
}

// AddBalance adds amount to addr's balance and returns the previous balance.
// Adding zero to an empty account touches it, so that it is deleted at the
// end of the transaction (EIP-161).
func (s *StateDB) AddBalance(addr common.Address, amount *uint256.Int, _ tracing.BalanceChangeReason) uint256.Int {
	obj := s.liveObject(addr)
	prev := obj.data.Balance
	if amount.IsZero() {
		if obj.empty() {
			s.journal.append(change{kind: touchChange, addr: addr})
		}
		return prev
	}
	sum, overflow := new(uint256.Int).AddOverflow(&prev, amount)
	if overflow {
		s.setErr(fmt.Errorf("state: balance of %v overflows 256 bits", addr))
		return prev
	}
	s.setBalance(obj, sum)
	return prev
}

// SubBalance subtracts amount from addr's balance and returns the previous
// balance. The EVM checks the balance first; an underflow is an internal
// error recorded in Error.
func (s *StateDB) SubBalance(addr common.Address, amount *uint256.Int, _ tracing.BalanceChangeReason) uint256.Int {
	obj := s.liveObject(addr)
	prev := obj.data.Balance
	if amount.IsZero() {
		return prev
	}
	if prev.Lt(amount) {
		// A copy for the message: prev itself stays on the stack.
		bal := prev
		s.setErr(fmt.Errorf("state: balance of %v (%v) below the %v subtracted", addr, &bal, amount))
		s.setBalance(obj, new(uint256.Int))
		return prev
	}
	s.setBalance(obj, new(uint256.Int).Sub(&prev, amount))
	return prev
}

// SetBalance sets addr's balance (genesis and system contracts).
func (s *StateDB) SetBalance(addr common.Address, amount *uint256.Int) {
	s.setBalance(s.liveObject(addr), amount)
}

// GetBalance returns a copy of addr's balance, zero for absent accounts.
func (s *StateDB) GetBalance(addr common.Address) *uint256.Int {
	b := s.object(addr).data.Balance
	return &b
}

// GetNonce returns addr's nonce, zero for absent accounts.
func (s *StateDB) GetNonce(addr common.Address) uint64 { return s.object(addr).data.Nonce }

// SetNonce sets addr's nonce.
func (s *StateDB) SetNonce(addr common.Address, nonce uint64, _ tracing.NonceChangeReason) {
	obj := s.liveObject(addr)
	s.journal.append(change{kind: nonceChange, addr: addr, n: obj.data.Nonce})
	obj.data.Nonce = nonce
}

// GetCodeHash returns the Keccak-256 hash of addr's code: the empty code
// hash for accounts without code and the zero hash for absent accounts.
func (s *StateDB) GetCodeHash(addr common.Address) common.Hash {
	obj := s.object(addr)
	if !obj.live {
		return common.Hash{}
	}
	return obj.data.CodeHash
}

// GetCode returns addr's code. Callers must not modify it.
func (s *StateDB) GetCode(addr common.Address) []byte { return s.loadCode(s.object(addr)) }

// GetCodeSize returns the length of addr's code.
func (s *StateDB) GetCodeSize(addr common.Address) int { return len(s.GetCode(addr)) }

// SetCode sets addr's code and returns the previous code.
func (s *StateDB) SetCode(addr common.Address, code []byte, _ tracing.CodeChangeReason) []byte {
	obj := s.liveObject(addr)
	prev := s.loadCode(obj)
	s.journal.append(change{kind: codeChange, addr: addr, code: prev, prev: obj.data.CodeHash})
	if len(code) == 0 {
		obj.data.CodeHash, obj.code = ethtypes.EmptyCodeHash, nil
	} else {
		code = common.CopyBytes(code)
		h := crypto.Keccak256Hash(code)
		obj.data.CodeHash, obj.code = h, code
		s.codes[h] = code
	}
	obj.codeLoaded = true
	return prev
}

// AddRefund adds gas to the refund counter.
func (s *StateDB) AddRefund(gas uint64) {
	s.journal.append(change{kind: refundChange, n: s.refund})
	s.refund += gas
}

// SubRefund removes gas from the refund counter. Going below zero is an
// internal error of the gas accounting, recorded in Error.
func (s *StateDB) SubRefund(gas uint64) {
	s.journal.append(change{kind: refundChange, n: s.refund})
	if gas > s.refund {
		s.setErr(fmt.Errorf("state: refund counter below zero (%d > %d)", gas, s.refund))
		s.refund = 0
		return
	}
	s.refund -= gas
}

// GetRefund returns the refund counter.
func (s *StateDB) GetRefund() uint64 { return s.refund }

// GetStateAndCommittedState returns a slot's current value and its value at
// the start of the current transaction.
func (s *StateDB) GetStateAndCommittedState(addr common.Address, slot common.Hash) (common.Hash, common.Hash) {
	obj := s.object(addr)
	if !obj.live {
		return common.Hash{}, common.Hash{}
	}
	committed := s.committedState(obj, slot)
	if v, ok := obj.dirtyStorage[slot]; ok {
		return v, committed
	}
	return committed, committed
}

// GetState returns a slot's current value.
func (s *StateDB) GetState(addr common.Address, slot common.Hash) common.Hash {
	obj := s.object(addr)
	if !obj.live {
		return common.Hash{}
	}
	if v, ok := obj.dirtyStorage[slot]; ok {
		return v
	}
	return s.committedState(obj, slot)
}

// SetState sets a slot's value and returns the previous value.
func (s *StateDB) SetState(addr common.Address, slot, value common.Hash) common.Hash {
	obj := s.liveObject(addr)
	committed := s.committedState(obj, slot)
	prev, prevDirty := obj.dirtyStorage[slot]
	if !prevDirty {
		prev = committed
	}
	if prev == value {
		return prev
	}
	s.journal.append(change{kind: storageChange, addr: addr, key: slot, prev: prev, flag: prevDirty})
	if value == committed {
		delete(obj.dirtyStorage, slot)
	} else {
		if obj.dirtyStorage == nil {
			obj.dirtyStorage = make(map[common.Hash]common.Hash)
		}
		obj.dirtyStorage[slot] = value
	}
	return prev
}

// GetTransientState returns a transient storage value (EIP-1153).
func (s *StateDB) GetTransientState(addr common.Address, key common.Hash) common.Hash {
	return s.transient[addr][key]
}

// SetTransientState sets a transient storage value (EIP-1153).
func (s *StateDB) SetTransientState(addr common.Address, key, value common.Hash) {
	prev := s.GetTransientState(addr, key)
	if prev == value {
		return
	}
	s.journal.append(change{kind: transientChange, addr: addr, key: key, prev: prev})
	s.setTransient(addr, key, value)
}

func (s *StateDB) setTransient(addr common.Address, key, value common.Hash) {
	m := s.transient[addr]
	if m == nil {
		m = make(map[common.Hash]common.Hash)
		s.transient[addr] = m
	}
	if value == (common.Hash{}) {
		delete(m, key)
		return
	}
	m[key] = value
}

// SelfDestruct marks addr for deletion at the end of the transaction. The
// EVM calls it, under EIP-6780, only for contracts created in the same
// transaction; the account stays readable until the transaction ends.
func (s *StateDB) SelfDestruct(addr common.Address) {
	obj := s.object(addr)
	if !obj.live || obj.selfDestructed {
		return
	}
	s.journal.append(change{kind: selfDestructChange, addr: addr})
	obj.selfDestructed = true
}

// HasSelfDestructed reports whether addr self-destructed in this transaction.
func (s *StateDB) HasSelfDestructed(addr common.Address) bool {
	obj := s.object(addr)
	return obj.live && obj.selfDestructed
}

// Exist reports whether addr exists, including accounts that
// self-destructed in the current transaction.
func (s *StateDB) Exist(addr common.Address) bool { return s.object(addr).live }

// Empty reports whether addr is absent or empty per EIP-161.
func (s *StateDB) Empty(addr common.Address) bool {
	obj := s.object(addr)
	return !obj.live || obj.empty()
}

// Touch loads addr without changing it.
func (s *StateDB) Touch(addr common.Address) { s.object(addr) }

// AddressInAccessList reports whether addr is in the access list.
func (s *StateDB) AddressInAccessList(addr common.Address) bool {
	_, ok := s.accessAddrs[addr]
	return ok
}

// SlotInAccessList reports whether addr and (addr, slot) are in the access list.
func (s *StateDB) SlotInAccessList(addr common.Address, slot common.Hash) (addressOk bool, slotOk bool) {
	if _, ok := s.accessAddrs[addr]; !ok {
		return false, false
	}
	_, slotOk = s.accessSlots[accessSlot{addr, slot}]
	return true, slotOk
}

// AddAddressToAccessList adds addr to the access list.
func (s *StateDB) AddAddressToAccessList(addr common.Address) {
	if _, ok := s.accessAddrs[addr]; ok {
		return
	}
	s.accessAddrs[addr] = struct{}{}
	s.journal.append(change{kind: accessListAddrChange, addr: addr})
}

// AddSlotToAccessList adds addr and (addr, slot) to the access list.
func (s *StateDB) AddSlotToAccessList(addr common.Address, slot common.Hash) {
	s.AddAddressToAccessList(addr)
	k := accessSlot{addr, slot}
	if _, ok := s.accessSlots[k]; ok {
		return
	}
	s.accessSlots[k] = struct{}{}
	s.journal.append(change{kind: accessListSlotChange, addr: addr, key: slot})
}

// Prepare starts a transaction: it resets the access list and warms the
// sender, the destination, the precompiles, the tx's access list and the
// coinbase (EIP-2929, EIP-2930, EIP-3651), and clears transient storage.
func (s *StateDB) Prepare(rules params.Rules, sender, coinbase common.Address, dst *common.Address, precompiles []common.Address, list ethtypes.AccessList) {
	clear(s.transient)
	clear(s.accessAddrs)
	clear(s.accessSlots)
	if !rules.IsEIP2929 {
		return
	}
	warm := func(a common.Address) {
		s.accessAddrs[a] = struct{}{}
	}
	warm(sender)
	if dst != nil {
		warm(*dst)
	}
	for _, a := range precompiles {
		warm(a)
	}
	for _, t := range list {
		warm(t.Address)
		for _, k := range t.StorageKeys {
			s.accessSlots[accessSlot{t.Address, k}] = struct{}{}
		}
	}
	if rules.IsShanghai {
		warm(coinbase)
	}
}

// Snapshot returns an id to revert the state to its current revision.
func (s *StateDB) Snapshot() int { return s.journal.snapshot() }

// RevertToSnapshot undoes the changes made since Snapshot returned id. An
// unknown id is a programming error of the caller and panics, as in
// go-ethereum.
func (s *StateDB) RevertToSnapshot(id int) {
	if !s.journal.revertTo(s, id) {
		panic(fmt.Sprintf("state: snapshot %d cannot be reverted", id))
	}
}

// AddLog records a log of the current transaction.
//
// The log's topics and data become the StateDB's: the EVM and the system
// contracts hand over slices of their own for each log.
func (s *StateDB) AddLog(l *ethtypes.Log) {
	s.journal.append(change{kind: addLogChange})
	topics := l.Topics
	if len(topics) == 0 {
		topics = nil // as a log without topics always was
	}
	s.logs = append(s.logs, &types.Log{Address: l.Address, Topics: topics, Data: l.Data})
}

// TxLogs returns the logs of the current transaction that were not reverted.
func (s *StateDB) TxLogs() []*types.Log {
	return append([]*types.Log(nil), s.logs...)
}

// AddPreimage does nothing: preimages are not kept.
func (s *StateDB) AddPreimage(common.Hash, []byte) {}

// Witness returns nil: stateless witnesses are not collected.
func (s *StateDB) Witness() *stateless.Witness { return nil }

// AccessEvents returns nil. Access events are only used by the verkle
// (EIP-4762) rules, which are not enabled; the EVM keeps its own in the tx
// context and only go-ethereum's block processor, not used here, reads this.
func (s *StateDB) AccessEvents() *gethstate.AccessEvents { return nil }

// SetTxContext starts the next transaction's logs.
func (s *StateDB) SetTxContext(thash common.Hash, ti int, _ uint32) {
	s.txHash, s.txIndex = thash, ti
	clear(s.logs)
	s.logs = s.logs[:0]
}

// Finalise ends a transaction: accounts that self-destructed or that were
// touched and are empty (EIP-161) are deleted with their storage, storage
// writes move to the block layer, and the journal, refund counter, access
// list and transient storage are cleared. It returns no block access list.
func (s *StateDB) Finalise(params.Rules) *bal.ConstructionBlockAccessList {
	s.finalise()
	return nil
}

func (s *StateDB) finalise() {
	for addr := range s.journal.dirties {
		obj := s.objects[addr]
		if obj.live && (obj.selfDestructed || obj.empty()) {
			obj.destroy()
		} else {
			obj.finaliseStorage()
		}
		obj.newContract, obj.selfDestructed = false, false
	}
	s.journal.reset()
	s.refund = 0
	clear(s.accessAddrs)
	clear(s.accessSlots)
	clear(s.transient)
}

// Reset empties s and points it at r, as New(r) would, keeping the memory
// it allocated: the executor reuses one StateDB per worker, serial or
// parallel, from block to block. The storage maps of the accounts the
// block used are kept, emptied, for the same accounts (within maxKept and
// maxKeptSlots) until a block that does not use them.
func (s *StateDB) Reset(r storage.Reader) {
	s.r, s.err = r, nil
	if len(s.objects) > 0 {
		// Kept objects the block since the last Reset did not use are let
		// go (a Reset of an unused StateDB keeps them).
		for _, obj := range s.kept {
			obj.dropStorage()
			s.free = append(s.free, obj)
		}
		clear(s.kept)
	}
	budget := maxKeptSlots
	for addr, obj := range s.objects {
		if n, ok := obj.keptSlots(); ok && n <= budget && len(s.kept) < maxKept {
			budget -= n
			obj.keepStorage()
			if s.kept == nil {
				s.kept = make(map[common.Address]*object)
			}
			s.kept[addr] = obj
			continue
		}
		obj.dropStorage()
		s.free = append(s.free, obj)
	}
	clear(s.objects)
	clear(s.codes)
	s.journal.reset()
	s.refund = 0
	clear(s.accessAddrs)
	clear(s.accessSlots)
	clear(s.transient)
	s.txHash, s.txIndex = common.Hash{}, 0
	clear(s.logs)
	s.logs = s.logs[:0]
}
