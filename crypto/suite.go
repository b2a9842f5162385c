package crypto

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Names of the suites, as written in genesis files and shown over RPC.
const (
	NameECDSA = "ecdsa" // secp256k1 + Keccak-256, Ethereum compatible
	NameSM    = "sm"    // SM2 + SM3
)

// Sentinel errors.
var (
	ErrUnknownSuite     = errors.New("unknown crypto suite (want \"ecdsa\" or \"sm\")")
	ErrInvalidKey       = errors.New("invalid private key")
	ErrInvalidPublicKey = errors.New("invalid public key")
	ErrInvalidSignature = errors.New("invalid signature")
	ErrHighS            = errors.New("signature s value is not in the lower half of the curve order")
	ErrNoRecovery       = errors.New("this crypto suite cannot recover a public key from a signature")
)

// Suite is the set of primitives one chain uses. Implementations are
// values safe for concurrent use; their only state is a cache that does
// not change any result (the SM suite's parsed public keys).
type Suite interface {
	// Name is NameECDSA or NameSM.
	Name() string
	// Hash hashes the concatenation of data (Keccak-256 or SM3).
	Hash(data ...[]byte) common.Hash
	// GenerateKey makes a new random private key.
	GenerateKey() (PrivateKey, error)
	// ParsePrivateKey loads a 32-byte big-endian private scalar.
	ParsePrivateKey(raw []byte) (PrivateKey, error)
	// ValidatePublicKey checks a 65-byte uncompressed public key is on the curve.
	ValidatePublicKey(pub []byte) error
	// Verify checks sig over the 32-byte digest by the holder of pub. It
	// accepts only canonical (low-S for ECDSA) signatures.
	Verify(pub, digest, sig []byte) error
	// Recover returns the uncompressed public key that made sig over digest.
	// Suites without cheap recovery return ErrNoRecovery.
	Recover(digest, sig []byte) ([]byte, error)
	// Address derives the 20-byte account address of a public key.
	Address(pub []byte) common.Address
	// SignatureSize is the length of the signatures Sign produces.
	SignatureSize() int
}

// PrivateKey signs digests for one suite.
type PrivateKey interface {
	// Sign signs a 32-byte digest. ECDSA signatures are 65 bytes
	// (r || s || v, v in {0,1}, low s); SM2 signatures are 64 bytes (r || s).
	Sign(digest []byte) ([]byte, error)
	// PublicKey is the 65-byte uncompressed public key (0x04 || X || Y).
	PublicKey() []byte
	// Address is the account address of the key.
	Address() common.Address
	// Bytes is the 32-byte private scalar. Handle with care.
	Bytes() []byte
	// SuiteName is the name of the suite the key belongs to.
	SuiteName() string
}

// ByName returns the suite with the given name.
func ByName(name string) (Suite, error) {
	switch name {
	case NameECDSA, "secp256k1", "":
		return ECDSA(), nil
	case NameSM, "sm2", "gm":
		return SM(), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownSuite, name)
}
