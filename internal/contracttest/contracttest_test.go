package contracttest

import "testing"

func TestLoad(t *testing.T) {
	store := Load(t, "Store")
	if _, ok := store.ABI.Methods["set"]; !ok || len(store.Bin) == 0 {
		t.Fatalf("Store: methods %v, %d bytes of bytecode", store.ABI.Methods, len(store.Bin))
	}
}
