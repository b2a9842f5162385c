package crypto

import (
	"bytes"
	"errors"
	"math/big"
	"sync"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

// smReference is the SM suite's verification done by the library alone,
// every key parsed anew (the suite's code before its key cache).
func smReference(pub, digest, sig []byte) bool {
	pk, err := sm2.NewPublicKey(pub)
	if err != nil || len(sig) != 64 {
		return false
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	return sm2.VerifyWithSM2(pk, smUID, digest, r, s)
}

// smSigned is a fresh SM key's public key, and its signature over the
// hash of msg with that hash.
type smSigned struct{ pub, digest, sig []byte }

func signSM(tb testing.TB, su Suite, msg []byte) smSigned {
	tb.Helper()
	k, err := su.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	d := su.Hash(msg)
	sig, err := k.Sign(d[:])
	if err != nil {
		tb.Fatal(err)
	}
	return smSigned{k.PublicKey(), d[:], sig}
}

// TestSMKeyCacheAgreesWithLibrary checks valid, tampered and misattributed
// signatures, each verified while its key is new to the cache and again
// once it is kept, and with a cache so small that keys keep being
// evicted: the answers are the library's every time.
func TestSMKeyCacheAgreesWithLibrary(t *testing.T) {
	for _, size := range []int{smKeyCacheSize, 3} {
		su := smSuite{keys: newSMKeyCache(size)}
		var pubs [][]byte
		var keys []PrivateKey
		for range 8 {
			k, err := su.GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			keys, pubs = append(keys, k), append(pubs, k.PublicKey())
		}
		checks, valid := 0, 0
		for i, k := range keys {
			for j := range 4 {
				digest := su.Hash([]byte{byte(i), byte(j)})
				sig, err := k.Sign(digest[:])
				if err != nil {
					t.Fatal(err)
				}
				bad := bytes.Clone(sig)
				bad[j*16] ^= 0x01
				cases := []struct {
					pub, sig []byte
				}{
					{pubs[i], sig},               // valid
					{pubs[i], bad},               // tampered
					{pubs[(i+1)%len(pubs)], sig}, // another key's
					{pubs[i], append(sig, 0)},    // wrong length
				}
				for _, c := range cases {
					want := smReference(c.pub, digest[:], c.sig)
					for round := range 2 {
						got := su.Verify(c.pub, digest[:], c.sig) == nil
						if got != want {
							t.Fatalf("cache size %d, key %d, digest %d, round %d: suite says %v, library %v", size, i, j, round, got, want)
						}
						checks++
						if got {
							valid++
						}
					}
				}
			}
		}
		if valid != 2*len(keys)*4 {
			t.Fatalf("cache size %d: %d valid answers, want %d (one per signature and round)", size, valid, 2*len(keys)*4)
		}
		if n := len(su.keys.keys); n > size {
			t.Fatalf("cache holds %d keys, bound %d", n, size)
		}
		t.Logf("cache size %d: %d checks agree", size, checks)
	}
}

// TestSMKeyCacheKeepsNoBadKey: a key off the curve is refused every time
// and never kept, nor a key whose signature does not verify.
func TestSMKeyCacheKeepsNoBadKey(t *testing.T) {
	su := smSuite{keys: newSMKeyCache(16)}
	m := signSM(t, su, []byte("m"))
	digest, sig := m.digest, m.sig
	bad := bytes.Clone(m.pub)
	bad[64] ^= 0x01 // y no longer on the curve
	for range 2 {
		if err := su.Verify(bad, digest, sig); !errors.Is(err, ErrInvalidPublicKey) {
			t.Fatalf("off-curve key: %v, want ErrInvalidPublicKey", err)
		}
	}
	if n := len(su.keys.keys); n != 0 {
		t.Fatalf("cache holds %d keys after refusing a bad one", n)
	}
	// A good key under a signature that does not verify is not kept either.
	tampered := bytes.Clone(sig)
	tampered[0] ^= 0x01
	if err := su.Verify(m.pub, digest, tampered); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("tampered signature: %v, want ErrInvalidSignature", err)
	}
	if n := len(su.keys.keys); n != 0 {
		t.Fatalf("cache holds %d keys after an invalid signature", n)
	}
	if err := su.Verify(m.pub, digest, sig); err != nil {
		t.Fatal(err)
	}
	if n := len(su.keys.keys); n != 1 {
		t.Fatalf("cache holds %d keys, want 1", n)
	}
	// A zero-value suite (no cache) verifies as well.
	if err := (smSuite{}).Verify(m.pub, digest, sig); err != nil {
		t.Fatal(err)
	}
}

// TestSMKeyCacheConcurrent verifies from several goroutines through a
// cache smaller than the keys in use (run with -race).
func TestSMKeyCacheConcurrent(t *testing.T) {
	su := smSuite{keys: newSMKeyCache(2)}
	var all []smSigned
	for i := range 6 {
		all = append(all, signSM(t, su, []byte{byte(i)}))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				s := all[(g+i)%len(all)]
				if err := su.Verify(s.pub, s.digest, s.sig); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// BenchmarkSMVerify: a key seen before (kept parsed) against a key new to
// the cache each time (a zero-value suite keeps none).
func BenchmarkSMVerify(b *testing.B) {
	su := SM()
	m := signSM(b, su, []byte("bench"))
	for _, c := range []struct {
		name string
		su   Suite
	}{{"known-key", su}, {"new-key", smSuite{}}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := c.su.Verify(m.pub, m.digest, m.sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzSMVerify: on any key, digest and signature bytes, the suite (with
// its key cache, asked twice) answers as the library does.
func FuzzSMVerify(f *testing.F) {
	su := smSuite{keys: newSMKeyCache(8)}
	m := signSM(f, su, []byte("seed"))
	f.Add(m.pub, m.digest, m.sig)
	f.Add(m.pub, m.digest, make([]byte, 64))
	f.Add(append([]byte{4}, make([]byte, 64)...), m.digest, m.sig)
	f.Add([]byte{}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, pub, digest, sig []byte) {
		want := smReference(pub, digest, sig)
		for round := range 2 {
			if got := su.Verify(pub, digest, sig) == nil; got != want {
				t.Fatalf("round %d: suite says %v, library %v", round, got, want)
			}
		}
	})
}
