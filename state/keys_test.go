package state

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestKeyArena: the arena's keys equal AccountKey's and StorageKey's, and
// appending to one leaves the next one alone.
func TestKeyArena(t *testing.T) {
	var a keyArena
	for i := range 200 { // past a chunk
		addr := common.BigToAddress(big.NewInt(int64(i)))
		slot := common.BigToHash(big.NewInt(int64(1000 + i)))
		ak, sk := a.accountKey(addr), a.storageKey(addr, slot)
		if string(ak) != string(AccountKey(addr)) || string(sk) != string(StorageKey(addr, slot)) {
			t.Fatalf("key %d: %x %x", i, ak, sk)
		}
		_ = append(ak, 0xff, 0xff, 0xff)
		if string(sk) != string(StorageKey(addr, slot)) {
			t.Fatalf("appending to key %d changed the next one", i)
		}
	}
}
