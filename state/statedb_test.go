package state

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"

	"github.com/gobcos/gobcos/storage"
)

var (
	addrA = common.HexToAddress("0x00000000000000000000000000000000000000aa")
	addrB = common.HexToAddress("0x00000000000000000000000000000000000000bb")
	addrC = common.HexToAddress("0x00000000000000000000000000000000000000cc")
	slot1 = common.HexToHash("0x01")
	slot2 = common.HexToHash("0x02")
	val1  = common.HexToHash("0x1111")
	val2  = common.HexToHash("0x2222")
	rules = params.Rules{IsEIP2929: true, IsShanghai: true, IsCancun: true}
)

// commit writes s's write set into kv as the next block (0 on an empty
// store) and returns it.
func commit(t *testing.T, s *StateDB, kv storage.KV) *WriteSet {
	t.Helper()
	ws, err := s.WriteSet()
	if err != nil {
		t.Fatalf("WriteSet: %v", err)
	}
	_, head, ok, err := HistoryRange(kv)
	if err != nil {
		t.Fatal(err)
	}
	next := uint64(0)
	if ok {
		next = head + 1
	}
	ws = ws.ForBlock(next)
	if err := ws.ApplyTo(kv); err != nil {
		t.Fatalf("ApplyTo: %v", err)
	}
	return ws
}

// seeded returns a store holding: A with balance 100, nonce 1, code and
// slot1=val1; B with balance 5.
func seeded(t *testing.T) *storage.Memory {
	t.Helper()
	kv := storage.NewMemory()
	s := New(kv)
	s.SetBalance(addrA, uint256.NewInt(100))
	s.SetNonce(addrA, 1, 0)
	s.SetCode(addrA, []byte{0x60, 0x00}, 0)
	s.SetState(addrA, slot1, val1)
	s.SetBalance(addrB, uint256.NewInt(5))
	commit(t, s, kv)
	return kv
}

func TestRoundTripThroughStorage(t *testing.T) {
	kv := seeded(t)
	s := New(kv)
	if got := s.GetBalance(addrA); got.Uint64() != 100 {
		t.Fatalf("balance = %v", got)
	}
	if s.GetNonce(addrA) != 1 || !bytes.Equal(s.GetCode(addrA), []byte{0x60, 0x00}) {
		t.Fatalf("nonce/code not read back")
	}
	if s.GetCodeHash(addrA) != crypto.Keccak256Hash([]byte{0x60, 0x00}) {
		t.Fatalf("code hash is not Keccak of the code")
	}
	if s.GetState(addrA, slot1) != val1 || s.GetState(addrA, slot2) != (common.Hash{}) {
		t.Fatalf("storage not read back")
	}
	if s.GetCodeHash(addrB) != ethtypes.EmptyCodeHash {
		t.Fatalf("existing account without code must have the empty code hash")
	}
	if s.GetCodeHash(addrC) != (common.Hash{}) || s.Exist(addrC) || !s.Empty(addrC) {
		t.Fatalf("absent account must not exist and have a zero code hash")
	}
	r := NewReader(kv)
	if b, _ := r.Balance(addrA); b.Uint64() != 100 {
		t.Fatalf("reader balance = %v", b)
	}
	if n, _ := r.Nonce(addrA); n != 1 {
		t.Fatalf("reader nonce = %d", n)
	}
	if c, _ := r.Code(addrA); !bytes.Equal(c, []byte{0x60, 0x00}) {
		t.Fatalf("reader code = %x", c)
	}
	if v, _ := r.Storage(addrA, slot1); v != val1 {
		t.Fatalf("reader slot = %v", v)
	}
	if a, err := r.Account(addrC); a != nil || err != nil {
		t.Fatalf("absent account: %v %v", a, err)
	}
	// Reading only changes nothing.
	if ws, err := s.WriteSet(); err != nil || ws.Len() != 0 {
		t.Fatalf("read-only block wrote %d entries (%v)", ws.Len(), err)
	}
}

func TestJournalRevertEveryChange(t *testing.T) {
	kv := seeded(t)
	s := New(kv)
	s.AddRefund(7)
	s.SetTransientState(addrA, slot1, val1)
	s.AddAddressToAccessList(addrC)
	snap := s.Snapshot()

	s.CreateAccount(addrC)
	s.CreateContract(addrC)
	s.AddBalance(addrA, uint256.NewInt(5), 0)
	s.SubBalance(addrB, uint256.NewInt(5), 0)
	s.SetNonce(addrA, 9, 0)
	s.SetCode(addrA, []byte{0xfe}, 0)
	s.SetState(addrA, slot1, val2)
	s.SetState(addrA, slot2, val1)
	s.SetState(addrC, slot1, val1)
	s.SetTransientState(addrA, slot1, val2)
	s.SetTransientState(addrB, slot2, val2)
	s.SelfDestruct(addrC)
	s.AddRefund(3)
	s.SubRefund(1)
	s.AddLog(&ethtypes.Log{Address: addrA, Data: []byte{1}})
	s.AddAddressToAccessList(addrB)
	s.AddSlotToAccessList(addrA, slot1)
	s.AddSlotToAccessList(addrC, slot2)

	if !s.Exist(addrC) || !s.HasSelfDestructed(addrC) || !s.IsNewContract(addrC) {
		t.Fatalf("changes not visible before revert")
	}
	s.RevertToSnapshot(snap)

	if s.Exist(addrC) || s.HasSelfDestructed(addrC) || s.IsNewContract(addrC) || s.GetState(addrC, slot1) != (common.Hash{}) {
		t.Fatalf("account creation not reverted")
	}
	if s.GetBalance(addrA).Uint64() != 100 || s.GetBalance(addrB).Uint64() != 5 {
		t.Fatalf("balances not reverted: %v %v", s.GetBalance(addrA), s.GetBalance(addrB))
	}
	if s.GetNonce(addrA) != 1 || !bytes.Equal(s.GetCode(addrA), []byte{0x60, 0x00}) || s.GetCodeHash(addrA) != crypto.Keccak256Hash([]byte{0x60, 0x00}) {
		t.Fatalf("nonce or code not reverted")
	}
	if s.GetState(addrA, slot1) != val1 || s.GetState(addrA, slot2) != (common.Hash{}) {
		t.Fatalf("storage not reverted")
	}
	if s.GetTransientState(addrA, slot1) != val1 || s.GetTransientState(addrB, slot2) != (common.Hash{}) {
		t.Fatalf("transient storage not reverted")
	}
	if s.GetRefund() != 7 {
		t.Fatalf("refund = %d, want 7", s.GetRefund())
	}
	if len(s.TxLogs()) != 0 {
		t.Fatalf("log not reverted")
	}
	if !s.AddressInAccessList(addrC) || s.AddressInAccessList(addrB) {
		t.Fatalf("access list addresses not reverted")
	}
	if a, sl := s.SlotInAccessList(addrA, slot1); a || sl {
		t.Fatalf("access list slot not reverted: %v %v", a, sl)
	}
	if ws, err := s.WriteSet(); err != nil || ws.Len() != 0 {
		t.Fatalf("reverted block wrote %d entries (%v)", ws.Len(), err)
	}
}

func TestNestedSnapshots(t *testing.T) {
	s := New(storage.NewMemory())
	s.SetState(addrA, slot1, val1)
	outer := s.Snapshot()
	s.SetState(addrA, slot1, val2)
	inner := s.Snapshot()
	s.SetState(addrA, slot1, common.HexToHash("0x3333"))
	s.RevertToSnapshot(inner)
	if got := s.GetState(addrA, slot1); got != val2 {
		t.Fatalf("after inner revert: %v", got)
	}
	// A snapshot taken after the inner revert gets a fresh id and still works.
	again := s.Snapshot()
	s.SetState(addrA, slot1, common.HexToHash("0x4444"))
	s.RevertToSnapshot(again)
	if got := s.GetState(addrA, slot1); got != val2 {
		t.Fatalf("after second inner revert: %v", got)
	}
	s.RevertToSnapshot(outer)
	if got := s.GetState(addrA, slot1); got != val1 {
		t.Fatalf("after outer revert: %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatalf("reverting to a dropped snapshot must panic")
		}
	}()
	s.RevertToSnapshot(inner)
}

func TestCommittedState(t *testing.T) {
	kv := seeded(t)
	s := New(kv)
	// tx 1
	cur, committed := s.GetStateAndCommittedState(addrA, slot1)
	if cur != val1 || committed != val1 {
		t.Fatalf("start: %v %v", cur, committed)
	}
	if prev := s.SetState(addrA, slot1, val2); prev != val1 {
		t.Fatalf("SetState returned %v", prev)
	}
	cur, committed = s.GetStateAndCommittedState(addrA, slot1)
	if cur != val2 || committed != val1 {
		t.Fatalf("in tx 1: %v %v", cur, committed)
	}
	s.Finalise(rules)
	// tx 2: the committed value is the value at the start of this tx.
	cur, committed = s.GetStateAndCommittedState(addrA, slot1)
	if cur != val2 || committed != val2 {
		t.Fatalf("start of tx 2: %v %v", cur, committed)
	}
	s.SetState(addrA, slot1, common.Hash{})
	cur, committed = s.GetStateAndCommittedState(addrA, slot1)
	if cur != (common.Hash{}) || committed != val2 {
		t.Fatalf("in tx 2: %v %v", cur, committed)
	}
	// Setting back to the committed value leaves nothing dirty.
	s.SetState(addrA, slot1, val2)
	if len(s.objects[addrA].dirtyStorage) != 0 {
		t.Fatalf("slot set back to its committed value is still dirty")
	}
	s.SetState(addrA, slot1, common.Hash{})
	ws := commit(t, s, kv)
	if ws.Len() != 1 || !ws.Writes()[0].Delete || !bytes.Equal(ws.Writes()[0].Key, StorageKey(addrA, slot1)) {
		t.Fatalf("want one slot delete, got %+v", ws.Writes())
	}
	if has, _ := kv.Has(StorageKey(addrA, slot1)); has {
		t.Fatalf("cleared slot still stored")
	}
}

func TestTransientStorage(t *testing.T) {
	s := New(storage.NewMemory())
	s.SetTransientState(addrA, slot1, val1)
	if s.GetTransientState(addrA, slot1) != val1 || s.GetTransientState(addrB, slot1) != (common.Hash{}) {
		t.Fatalf("transient value not visible")
	}
	s.Finalise(rules)
	if s.GetTransientState(addrA, slot1) != (common.Hash{}) {
		t.Fatalf("transient storage survived the end of the tx")
	}
	s.SetTransientState(addrA, slot1, val1)
	s.Prepare(rules, addrA, addrB, nil, nil, nil)
	if s.GetTransientState(addrA, slot1) != (common.Hash{}) {
		t.Fatalf("Prepare must clear transient storage")
	}
	if ws, _ := s.WriteSet(); ws.Len() != 0 {
		t.Fatalf("transient storage was written to the state")
	}
}

func TestPrepareAccessList(t *testing.T) {
	s := New(storage.NewMemory())
	s.AddAddressToAccessList(addrC)
	dst := addrB
	pre := common.BytesToAddress([]byte{1})
	coinbase := common.HexToAddress("0xc0")
	s.Prepare(rules, addrA, coinbase, &dst, []common.Address{pre}, ethtypes.AccessList{{Address: addrC, StorageKeys: []common.Hash{slot2}}})
	for _, a := range []common.Address{addrA, addrB, pre, coinbase, addrC} {
		if !s.AddressInAccessList(a) {
			t.Errorf("%v not warm", a)
		}
	}
	if _, ok := s.SlotInAccessList(addrC, slot2); !ok {
		t.Errorf("access-list slot not warm")
	}
	if _, ok := s.SlotInAccessList(addrC, slot1); ok {
		t.Errorf("unlisted slot warm")
	}
	s.Prepare(params.Rules{IsEIP2929: true}, addrA, coinbase, nil, nil, nil)
	if s.AddressInAccessList(coinbase) || s.AddressInAccessList(addrC) {
		t.Errorf("Prepare must reset the list (and warm the coinbase only from Shanghai)")
	}
}

func TestSelfDestructNewContract(t *testing.T) {
	kv := seeded(t)
	s := New(kv)
	// tx 1: create C, give it storage and funds, self-destruct it.
	s.CreateAccount(addrC)
	s.CreateContract(addrC)
	s.SetNonce(addrC, 1, 0)
	s.SetCode(addrC, []byte{0x00}, 0)
	s.SetState(addrC, slot1, val1)
	s.AddBalance(addrC, uint256.NewInt(3), 0)
	s.SelfDestruct(addrC)
	if !s.Exist(addrC) || s.GetState(addrC, slot1) != val1 {
		t.Fatalf("self-destructed account must stay readable until the tx ends")
	}
	s.Finalise(rules)
	if s.Exist(addrC) || s.GetState(addrC, slot1) != (common.Hash{}) || s.GetBalance(addrC).Sign() != 0 {
		t.Fatalf("account not deleted at the end of the tx")
	}
	if s.IsNewContract(addrC) {
		t.Fatalf("newContract must not outlive the tx")
	}
	ws := commit(t, s, kv)
	if ws.Len() != 0 {
		t.Fatalf("created and destroyed in one block must leave no writes, got %d", ws.Len())
	}
}

func TestDestroyStoredAccountAndRecreate(t *testing.T) {
	kv := seeded(t)
	s := New(kv)
	// The EVM only self-destructs new contracts (EIP-6780); the StateDB
	// itself deletes whatever is marked, which exercises the storage wipe.
	s.SelfDestruct(addrA)
	s.Finalise(rules)
	if s.GetState(addrA, slot1) != (common.Hash{}) {
		t.Fatalf("stored slot visible after destruction")
	}
	// tx 2: re-create A with a different slot (and a nonce, or EIP-161
	// would delete it again as empty).
	s.SetNonce(addrA, 1, 0)
	s.SetState(addrA, slot2, val2)
	if _, committed := s.GetStateAndCommittedState(addrA, slot1); committed != (common.Hash{}) {
		t.Fatalf("committed value of a wiped slot must be zero")
	}
	commit(t, s, kv)
	r := NewReader(kv)
	if v, _ := r.Storage(addrA, slot1); v != (common.Hash{}) {
		t.Fatalf("wiped slot still stored: %v", v)
	}
	if v, _ := r.Storage(addrA, slot2); v != val2 {
		t.Fatalf("new slot not stored: %v", v)
	}
	if a, _ := r.Account(addrA); a == nil || a.Nonce != 1 || a.Balance.Sign() != 0 || a.CodeHash != ethtypes.EmptyCodeHash {
		t.Fatalf("re-created account = %+v", a)
	}
	// Destroyed for good: account and storage deleted.
	s = New(kv)
	s.SelfDestruct(addrA)
	commit(t, s, kv)
	if has, _ := kv.Has(AccountKey(addrA)); has {
		t.Fatalf("account record survived")
	}
	it := kv.NewIterator(StoragePrefix(addrA), nil)
	defer it.Release()
	if it.Next() {
		t.Fatalf("storage survived: %x", it.Key())
	}
}

func TestEIP161EmptyAccounts(t *testing.T) {
	kv := storage.NewMemory()
	// An empty account stored (as a genesis could leave one).
	if err := kv.Put(AccountKey(addrB), encodeAccount(&Account{CodeHash: ethtypes.EmptyCodeHash})); err != nil {
		t.Fatal(err)
	}
	s := New(kv)
	s.AddBalance(addrA, new(uint256.Int), 0) // absent: created and deleted again
	s.SubBalance(addrC, new(uint256.Int), 0)
	s.AddBalance(addrB, new(uint256.Int), 0) // touched empty: deleted
	s.Finalise(rules)
	if s.Exist(addrA) || s.Exist(addrB) || s.Exist(addrC) {
		t.Fatalf("empty touched accounts must be deleted")
	}
	ws := commit(t, s, kv)
	if ws.Len() != 1 || !ws.Writes()[0].Delete || !bytes.Equal(ws.Writes()[0].Key, AccountKey(addrB)) {
		t.Fatalf("want only the delete of B, got %+v", ws.Writes())
	}

	// A reverted touch does not delete.
	kv2 := storage.NewMemory()
	_ = kv2.Put(AccountKey(addrB), encodeAccount(&Account{CodeHash: ethtypes.EmptyCodeHash}))
	s = New(kv2)
	snap := s.Snapshot()
	s.AddBalance(addrB, new(uint256.Int), 0)
	s.RevertToSnapshot(snap)
	s.Finalise(rules)
	if !s.Exist(addrB) {
		t.Fatalf("reverted touch deleted the account")
	}
}

func TestCodeSharedAndNotRewritten(t *testing.T) {
	kv := seeded(t)
	s := New(kv)
	s.SetCode(addrB, []byte{0x60, 0x00}, 0) // same code as A: already stored
	s.SetCode(addrC, []byte{0x60, 0x01}, 0)
	s.SetCode(common.HexToAddress("0xdd"), []byte{0x60, 0x01}, 0)
	ws := commit(t, s, kv)
	codes := 0
	for _, w := range ws.Writes() {
		if bytes.HasPrefix(w.Key, codePrefix) {
			codes++
		}
	}
	if codes != 1 {
		t.Fatalf("want 1 code write, got %d", codes)
	}
	if prev := New(kv).SetCode(addrB, nil, 0); !bytes.Equal(prev, []byte{0x60, 0x00}) {
		t.Fatalf("SetCode must return the previous code, got %x", prev)
	}
}

type failingReader struct{ storage.Reader }

func (failingReader) Get([]byte) ([]byte, error) { return nil, storage.ErrClosed }

func TestReadErrorsAreReported(t *testing.T) {
	s := New(failingReader{storage.NewMemory()})
	if s.GetBalance(addrA).Sign() != 0 {
		t.Fatalf("failed read must give zero")
	}
	if s.Error() == nil {
		t.Fatalf("read failure not recorded")
	}
	if _, err := s.WriteSet(); err == nil {
		t.Fatalf("WriteSet must fail after a read failure")
	}
	if _, err := NewReader(failingReader{storage.NewMemory()}).Nonce(addrA); err == nil {
		t.Fatalf("Reader must return read failures")
	}
}

func TestCorruptRecords(t *testing.T) {
	kv := storage.NewMemory()
	_ = kv.Put(AccountKey(addrA), []byte{0xff, 0x00})
	_ = kv.Put(StorageKey(addrB, slot1), bytes.Repeat([]byte{1}, 33))
	r := NewReader(kv)
	if _, err := r.Account(addrA); err == nil {
		t.Fatalf("corrupt account accepted")
	}
	if _, err := r.Storage(addrB, slot1); err == nil {
		t.Fatalf("corrupt slot accepted")
	}
}

// TestSubBalanceAllocatesNothing: subtracting from a balance that covers
// it allocates nothing (the EVM does it twice a transaction: the gas
// bought and the value sent). The previous balance once escaped to the
// heap through the underflow's error message.
func TestSubBalanceAllocatesNothing(t *testing.T) {
	s := New(storage.NewMemory())
	s.AddBalance(addrA, uint256.NewInt(1<<62), tracing.BalanceChangeUnspecified)
	one := uint256.NewInt(1)
	for range 4096 { // the journal grows to its size first
		s.SubBalance(addrA, one, tracing.BalanceChangeUnspecified)
	}
	if n := testing.AllocsPerRun(1000, func() { s.SubBalance(addrA, one, tracing.BalanceChangeUnspecified) }); n >= 0.5 {
		t.Fatalf("SubBalance allocated %v times a call", n)
	}
	// The underflow still reports the balance it found.
	s.SubBalance(addrB, one, tracing.BalanceChangeUnspecified)
	if err := s.Error(); err == nil || !strings.Contains(err.Error(), "(0) below the 1 subtracted") {
		t.Fatalf("underflow error %v", err)
	}
}
