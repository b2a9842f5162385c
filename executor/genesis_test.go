package executor

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
)

func TestGenesis(t *testing.T) {
	e, err := New(testConfig(), crypto.SM(), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b, empty := common.HexToAddress("0xa"), common.HexToAddress("0xb"), common.HexToAddress("0xe")
	alloc := map[common.Address]GenesisAccount{
		a:     {Balance: big.NewInt(100), Nonce: 3},
		b:     {Code: []byte{0x60, 0x00}, Storage: map[common.Hash]common.Hash{{1}: {2}}},
		empty: {},
	}
	kv := storage.NewMemory()
	ws, root, err := e.Genesis(alloc, kv, "")
	if err != nil {
		t.Fatal(err)
	}
	if root != ws.FlatRoot(common.Hash{}, crypto.SM()) {
		t.Fatalf("genesis root is not chained to the zero hash with the chain's hasher")
	}
	// From compatibility version 0.5.0 the write set is hashed in parts.
	if _, root5, err := e.Genesis(alloc, storage.NewMemory(), precompiled.CompatV0_5); err != nil || root5 != ws.Root(common.Hash{}, crypto.SM()) || root5 == root {
		t.Fatalf("genesis root under 0.5.0: %v, %v (flat %v)", err, root5, root)
	}
	if err := ws.ApplyTo(kv); err != nil {
		t.Fatal(err)
	}
	r := state.NewReader(kv)
	if acc, _ := r.Account(a); acc == nil || acc.Nonce != 3 || acc.Balance.Uint64() != 100 {
		t.Fatalf("account a: %+v", acc)
	}
	if v, _ := r.Storage(b, common.Hash{1}); v != (common.Hash{2}) {
		t.Fatalf("storage of b: %v", v)
	}
	if acc, _ := r.Account(empty); acc != nil {
		t.Fatalf("empty account stored")
	}
	if code, _ := r.Code(precompiled.SystemInfoAddress); !bytes.Equal(code, SystemContractCode) {
		t.Fatalf("system contract code %x", code)
	}
	// Same alloc, same root.
	ws2, root2, _ := e.Genesis(alloc, storage.NewMemory(), "")
	if root2 != root || !bytes.Equal(ws2.Encode(), ws.Encode()) {
		t.Fatalf("genesis not deterministic")
	}

	for name, bad := range map[string]GenesisAccount{
		"storage without code": {Storage: map[common.Hash]common.Hash{{1}: {1}}},
		"negative balance":     {Balance: big.NewInt(-1)},
		"huge balance":         {Balance: new(big.Int).Lsh(big.NewInt(1), 256)},
	} {
		if _, _, err := e.Genesis(map[common.Address]GenesisAccount{a: bad}, storage.NewMemory(), ""); !errors.Is(err, ErrBadGenesis) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Storage preset on a system contract is fine: it gets the marker code.
	if _, _, err := e.Genesis(map[common.Address]GenesisAccount{precompiled.SystemInfoAddress: {Storage: map[common.Hash]common.Hash{{1}: {1}}}}, storage.NewMemory(), ""); err != nil {
		t.Fatalf("storage on a system contract: %v", err)
	}
}
