// Package storagetest is the conformance suite every storage.KV
// implementation must pass. A backend's tests call TestKV with a function
// that opens a fresh, empty store:
//
//	func TestPebble(t *testing.T) {
//		storagetest.TestKV(t, func(t *testing.T) storage.KV {
//			kv, err := storage.OpenPebble(t.TempDir(), nil)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return kv
//		})
//	}
package storagetest
