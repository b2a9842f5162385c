package types

import "github.com/ethereum/go-ethereum/common"

// Hasher hashes the concatenation of its inputs with the chain's hash function.
type Hasher interface {
	Hash(data ...[]byte) common.Hash
}

// Scheme is what types needs of a chain's crypto suite to check signatures.
// crypto.Suite satisfies it.
type Scheme interface {
	Hasher
	Name() string
	Verify(pub, digest, sig []byte) error
	Recover(digest, sig []byte) ([]byte, error)
	Address(pub []byte) common.Address
}
