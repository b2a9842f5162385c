package cryptotest

import (
	"bytes"
	"sync/atomic"
	"testing"

	"github.com/gobcos/gobcos/crypto"
)

// CountingSuite counts the signature checks made through it: Verify with
// the public key Pub and Recover of Pub, or every one when Pub is nil
// (then checks of consensus messages count too).
type CountingSuite struct {
	crypto.Suite
	Pub   []byte
	calls atomic.Int64
}

// Verify counts the check and verifies.
func (s *CountingSuite) Verify(pub, digest, sig []byte) error {
	if s.Pub == nil || bytes.Equal(pub, s.Pub) {
		s.calls.Add(1)
	}
	return s.Suite.Verify(pub, digest, sig)
}

// Recover counts the check and recovers.
func (s *CountingSuite) Recover(digest, sig []byte) ([]byte, error) {
	pub, err := s.Suite.Recover(digest, sig)
	if s.Pub == nil || (err == nil && bytes.Equal(pub, s.Pub)) {
		s.calls.Add(1)
	}
	return pub, err
}

// Calls is how many checks were counted.
func (s *CountingSuite) Calls() int64 { return s.calls.Load() }

// Key is a new key pair of suite.
func Key(t testing.TB, suite crypto.Suite) crypto.PrivateKey {
	t.Helper()
	k, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
