package crypto

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
)

// ecdsaSuite is secp256k1 ECDSA with Keccak-256, as on Ethereum.
type ecdsaSuite struct{}

var secp256k1HalfN = new(big.Int).Rsh(ethcrypto.S256().Params().N, 1)

// ECDSA returns the Ethereum-compatible suite.
func ECDSA() Suite { return ecdsaSuite{} }

func (ecdsaSuite) Name() string       { return NameECDSA }
func (ecdsaSuite) SignatureSize() int { return 65 }

func (ecdsaSuite) Hash(data ...[]byte) common.Hash { return ethcrypto.Keccak256Hash(data...) }

func (ecdsaSuite) GenerateKey() (PrivateKey, error) {
	k, err := ethcrypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	return newECDSAKey(k), nil
}

func (ecdsaSuite) ParsePrivateKey(raw []byte) (PrivateKey, error) {
	k, err := ethcrypto.ToECDSA(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return newECDSAKey(k), nil
}

func (ecdsaSuite) ValidatePublicKey(pub []byte) error {
	if _, err := ethcrypto.UnmarshalPubkey(pub); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidPublicKey, err)
	}
	return nil
}

func (ecdsaSuite) Verify(pub, digest, sig []byte) error {
	if len(sig) != 65 && len(sig) != 64 {
		return fmt.Errorf("%w: length %d, want 65", ErrInvalidSignature, len(sig))
	}
	if len(digest) != 32 {
		return fmt.Errorf("%w: digest length %d, want 32", ErrInvalidSignature, len(digest))
	}
	if new(big.Int).SetBytes(sig[32:64]).Cmp(secp256k1HalfN) > 0 {
		return ErrHighS
	}
	if !ethcrypto.VerifySignature(pub, digest, sig[:64]) {
		return ErrInvalidSignature
	}
	return nil
}

func (ecdsaSuite) Recover(digest, sig []byte) ([]byte, error) {
	if len(sig) != 65 {
		return nil, fmt.Errorf("%w: length %d, want 65", ErrInvalidSignature, len(sig))
	}
	if len(digest) != 32 {
		return nil, fmt.Errorf("%w: digest length %d, want 32", ErrInvalidSignature, len(digest))
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	if !ethcrypto.ValidateSignatureValues(sig[64], r, s, true) {
		if s.Cmp(secp256k1HalfN) > 0 {
			return nil, ErrHighS
		}
		return nil, ErrInvalidSignature
	}
	pub, err := ethcrypto.Ecrecover(digest, sig)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSignature, err)
	}
	return pub, nil
}

func (ecdsaSuite) Address(pub []byte) common.Address {
	if len(pub) != 65 {
		return common.Address{}
	}
	return common.BytesToAddress(ethcrypto.Keccak256(pub[1:])[12:])
}

type ecdsaKey struct {
	k    *ecdsa.PrivateKey
	pub  []byte
	addr common.Address
}

func newECDSAKey(k *ecdsa.PrivateKey) *ecdsaKey {
	pub := ethcrypto.FromECDSAPub(&k.PublicKey)
	return &ecdsaKey{k: k, pub: pub, addr: ecdsaSuite{}.Address(pub)}
}

func (k *ecdsaKey) Sign(digest []byte) ([]byte, error) { return ethcrypto.Sign(digest, k.k) }
func (k *ecdsaKey) PublicKey() []byte                  { return common.CopyBytes(k.pub) }
func (k *ecdsaKey) Address() common.Address            { return k.addr }
func (k *ecdsaKey) Bytes() []byte                      { return ethcrypto.FromECDSA(k.k) }
func (k *ecdsaKey) SuiteName() string                  { return NameECDSA }

// ECDSAKey returns the go-ethereum key behind an ECDSA-suite private key, for
// signing Ethereum transactions. ok is false for keys of other suites.
func ECDSAKey(k PrivateKey) (key *ecdsa.PrivateKey, ok bool) {
	ek, ok := k.(*ecdsaKey)
	if !ok {
		return nil, false
	}
	return ek.k, true
}
