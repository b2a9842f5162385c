package crypto

import (
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/ethereum/go-ethereum/common"
)

// smUID is the default user identity of GB/T 32918.2 used in the Z value.
var smUID = []byte("1234567812345678")

// smSuite is SM2 signatures over SM3 hashes (GB/T 32918, GB/T 32905).
// It keeps the public keys it verified lately parsed (smkeys.go).
type smSuite struct{ keys *smKeyCache }

// SM returns the SM2 + SM3 suite. Each call makes a suite with its own
// cache of parsed public keys: a node makes one and passes it around.
func SM() Suite { return smSuite{keys: newSMKeyCache(smKeyCacheSize)} }

func (smSuite) Name() string       { return NameSM }
func (smSuite) SignatureSize() int { return 64 }

func (smSuite) Hash(data ...[]byte) common.Hash {
	h := sm3.New()
	for _, d := range data {
		h.Write(d)
	}
	var out common.Hash
	h.Sum(out[:0])
	return out
}

func (smSuite) GenerateKey() (PrivateKey, error) {
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return newSMKey(k), nil
}

func (smSuite) ParsePrivateKey(raw []byte) (PrivateKey, error) {
	k, err := sm2.NewPrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return newSMKey(k), nil
}

func (smSuite) ValidatePublicKey(pub []byte) error {
	if _, err := sm2.NewPublicKey(pub); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidPublicKey, err)
	}
	return nil
}

// Verify checks an SM2 signature (r || s, 64 bytes) over digest, which SM2
// treats as the message: the standard's e = SM3(Z || M) with the default
// user id is computed inside, so digest may have any length (chain data
// always passes a 32-byte hash). As sm2.VerifyWithSM2, with pub's parsed
// form and Z value taken from the suite's cache.
func (su smSuite) Verify(pub, digest, sig []byte) error {
	if len(sig) != 64 {
		return fmt.Errorf("%w: length %d, want 64", ErrInvalidSignature, len(sig))
	}
	p := su.keys.get(pub)
	fresh := p == nil
	if fresh {
		var err error
		if p, err = parseSMPublic(pub); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidPublicKey, err)
		}
	}
	h := sm3.New()
	h.Write(p.za)
	h.Write(digest)
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !sm2.Verify(p.pk, h.Sum(nil), r, s) {
		return ErrInvalidSignature
	}
	if fresh {
		su.keys.put(pub, p)
	}
	return nil
}

func (smSuite) Recover(digest, sig []byte) ([]byte, error) { return nil, ErrNoRecovery }

// Address is the last 20 bytes of SM3(X || Y).
func (s smSuite) Address(pub []byte) common.Address {
	if len(pub) != 65 {
		return common.Address{}
	}
	h := s.Hash(pub[1:])
	return common.BytesToAddress(h[12:])
}

type smKey struct {
	k    *sm2.PrivateKey
	pub  []byte
	addr common.Address
}

func newSMKey(k *sm2.PrivateKey) *smKey {
	pub := make([]byte, 65)
	pub[0] = 4
	k.PublicKey.X.FillBytes(pub[1:33])
	k.PublicKey.Y.FillBytes(pub[33:])
	return &smKey{k: k, pub: pub, addr: smSuite{}.Address(pub)}
}

func (k *smKey) Sign(digest []byte) ([]byte, error) {
	r, s, err := sm2.SignWithSM2(rand.Reader, &k.k.PrivateKey, smUID, digest)
	if err != nil {
		return nil, err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig, nil
}

func (k *smKey) PublicKey() []byte       { return common.CopyBytes(k.pub) }
func (k *smKey) Address() common.Address { return k.addr }
func (k *smKey) Bytes() []byte {
	b := make([]byte, 32)
	k.k.D.FillBytes(b)
	return b
}
func (k *smKey) SuiteName() string { return NameSM }
