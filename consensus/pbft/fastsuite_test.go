package pbft

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/crypto"
)

// fastSuite is a test-only crypto.Suite that makes thousands of simulated
// runs affordable: a signature is sha256(public key || digest), which
// anyone knowing the public key could compute. It is NOT a signature
// scheme; it only lets honest code paths sign and verify cheaply. The
// byzantine adapter never uses another sealer's public key to sign, and a
// share of the seeds runs on the real ECDSA and SM suites.
type fastSuite struct{}

const fastSuiteName = "fast-insecure-test"

var errFastSig = errors.New("fast test signature mismatch")

func (fastSuite) Name() string       { return fastSuiteName }
func (fastSuite) SignatureSize() int { return 32 }

func (fastSuite) Hash(data ...[]byte) common.Hash {
	h := sha256.New()
	for _, d := range data {
		h.Write(d)
	}
	return common.BytesToHash(h.Sum(nil))
}

func (s fastSuite) GenerateKey() (crypto.PrivateKey, error) {
	return nil, errors.New("fast test suite keys are made from seeds")
}

func (s fastSuite) ParsePrivateKey(raw []byte) (crypto.PrivateKey, error) {
	if len(raw) != 32 {
		return nil, crypto.ErrInvalidKey
	}
	a, b := sha256.Sum256(raw), sha256.Sum256(append([]byte("y"), raw...))
	pub := append(append([]byte{4}, a[:]...), b[:]...)
	return &fastKey{priv: append([]byte(nil), raw...), pub: pub, addr: s.Address(pub)}, nil
}

func (fastSuite) ValidatePublicKey(pub []byte) error {
	if len(pub) != 65 || pub[0] != 4 {
		return crypto.ErrInvalidPublicKey
	}
	return nil
}

func (s fastSuite) Verify(pub, digest, sig []byte) error {
	want := s.Hash(pub, digest)
	if len(sig) != 32 || string(sig) != string(want[:]) {
		return fmt.Errorf("%w: %w", crypto.ErrInvalidSignature, errFastSig)
	}
	return nil
}

func (fastSuite) Recover(digest, sig []byte) ([]byte, error) { return nil, crypto.ErrNoRecovery }

func (s fastSuite) Address(pub []byte) common.Address {
	h := s.Hash(pub)
	return common.BytesToAddress(h[12:])
}

type fastKey struct {
	priv, pub []byte
	addr      common.Address
}

func (k *fastKey) Sign(digest []byte) ([]byte, error) {
	h := fastSuite{}.Hash(k.pub, digest)
	return h[:], nil
}
func (k *fastKey) PublicKey() []byte       { return append([]byte(nil), k.pub...) }
func (k *fastKey) Address() common.Address { return k.addr }
func (k *fastKey) Bytes() []byte           { return append([]byte(nil), k.priv...) }
func (k *fastKey) SuiteName() string       { return fastSuiteName }

// testKeys makes n deterministic keys of suite.
func testKeys(suite crypto.Suite, n int, salt uint64) ([]crypto.PrivateKey, [][]byte) {
	keys := make([]crypto.PrivateKey, n)
	pubs := make([][]byte, n)
	for i := range n {
		var raw [32]byte
		for j := 0; ; j++ {
			seed := sha256.Sum256([]byte(fmt.Sprintf("pbft test key %d/%d/%d", salt, i, j)))
			raw = seed
			k, err := suite.ParsePrivateKey(raw[:])
			if err == nil {
				keys[i], pubs[i] = k, k.PublicKey()
				break
			}
		}
	}
	return keys, pubs
}
