package precompiled

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/vm"

	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
)

// countingDB counts the state reads of each account.
type countingDB struct {
	*state.StateDB
	reads map[common.Address]int
}

func (c *countingDB) GetState(addr common.Address, slot common.Hash) common.Hash {
	c.reads[addr]++
	return c.StateDB.GetState(addr, slot)
}

// TestSessionReadsSwitchOnce: a session reads the permission_check switch
// once, when it starts, not for each transaction or inner call; the
// checks still apply it (on, then off in another block's session).
func TestSessionReadsSwitchOnce(t *testing.T) {
	gg := GovernanceGenesis{
		Governors: []Governor{{Address: common.HexToAddress("0xa"), Weight: 1}},
		Sealers:   [][]byte{append([]byte{4}, make([]byte, 64)...)},
		Config:    map[string]string{KeyPermissionCheck: "1"},
	}
	st, err := gg.Storage()
	if err != nil {
		t.Fatal(err)
	}
	db := &countingDB{StateDB: state.New(storage.NewMemory()), reads: map[common.Address]int{}}
	for addr, slots := range st {
		for s, v := range slots {
			db.SetState(addr, s, v)
		}
	}
	// A contract admin restricts set() of contract c to an allow-list
	// that does not hold caller x.
	c, x := common.HexToAddress("0xc0"), common.HexToAddress("0x99")
	sel := [4]byte{1, 2, 3, 4}
	perm := (&Env{db: db}).tables(PermissionAddress)
	perm.putUint(tblMethodMode, methodKey(c, sel), uint64(MethodAllowList))

	reg := Default()
	block := BlockInfo{Number: 5, Compat: CompatV0_2}
	s := reg.NewSession(db, block)
	if db.reads[SystemConfigAddress] == 0 {
		t.Fatal("the session did not read the switch when it started")
	}
	clear(db.reads)
	s.frames = []frame{{typ: vm.CALL, from: x, to: c}}
	for range 10 {
		if err := s.CheckTx(x, &c, sel[:]); err == nil {
			t.Fatal("a transaction call outside the allow-list passed")
		}
		if err := s.checkInner(vm.CALL, x, c, sel[:]); err == nil {
			t.Fatal("an inner call outside the allow-list passed")
		}
		if err := s.checkInner(vm.CREATE, c, common.HexToAddress("0xd"), nil); err != nil {
			t.Fatalf("a creation with the deploy allow-list off: %v", err)
		}
	}
	if n := db.reads[SystemConfigAddress]; n != 0 {
		t.Fatalf("%d reads of the system config during the block, want none", n)
	}
	if db.reads[PermissionAddress] == 0 {
		t.Fatal("the method access was not read")
	}

	// The switch off: a later block's session lets the same calls through.
	conf := (&Env{db: db}).tables(SystemConfigAddress)
	setConfig(conf, KeyPermissionCheck, "0", 5, 6)
	if err := reg.NewSession(db, block).CheckTx(x, &c, sel[:]); err == nil {
		t.Fatal("the switch changed within its block")
	}
	off := reg.NewSession(db, BlockInfo{Number: 6, Compat: CompatV0_2})
	off.frames = s.frames
	if err := off.CheckTx(x, &c, sel[:]); err != nil {
		t.Fatalf("a transaction call with the check off: %v", err)
	}
	if err := off.checkInner(vm.CALL, x, c, sel[:]); err != nil {
		t.Fatalf("an inner call with the check off: %v", err)
	}
}
