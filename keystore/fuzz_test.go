package keystore

import (
	"testing"
)

// fuzzLimits keep every KDF run of the fuzzer cheap: the limit checks are
// the same code as in production, only the bounds are smaller.
func fuzzLimits() limits { return limits{scryptMem: 1 << 20, scryptWork: 1 << 12, pbkdf2Iter: 1 << 10} }

// FuzzDecrypt feeds arbitrary bytes as a key file. Decrypt must never panic,
// and whatever it accepts must be a key that matches Inspect's address.
// The seed corpus is in testdata/fuzz/FuzzDecrypt.
func FuzzDecrypt(f *testing.F) {
	f.Add([]byte(`{"version":3,"crypto":{"kdf":"scrypt","kdfparams":{}}}`), "")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		key, err := decrypt(data, password, fuzzLimits())
		info, ierr := Inspect(data)
		if err != nil {
			return
		}
		if key == nil {
			t.Fatal("nil key without an error")
		}
		if ierr == nil && info.Address != key.Address() {
			t.Fatalf("accepted a key for %s from a file claiming %s", key.Address().Hex(), info.Address.Hex())
		}
	})
}
