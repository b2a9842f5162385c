package consensus

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// SignCommit signs header's hash with key, as the sealer at index in the
// group's sealer list.
func SignCommit(suite crypto.Suite, key crypto.PrivateKey, header *types.Header, index uint64) (types.CommitSig, error) {
	return SignCommitHash(suite, key, header.Hash(suite), index)
}

// SignCommitHash signs an already computed header hash.
func SignCommitHash(suite crypto.Suite, key crypto.PrivateKey, hash common.Hash, index uint64) (types.CommitSig, error) {
	if key == nil {
		return types.CommitSig{}, fmt.Errorf("%w: no key", ErrSuiteMismatch)
	}
	if key.SuiteName() != suite.Name() {
		return types.CommitSig{}, fmt.Errorf("%w: key is %s, chain is %s", ErrSuiteMismatch, key.SuiteName(), suite.Name())
	}
	sig, err := key.Sign(hash[:])
	if err != nil {
		return types.CommitSig{}, fmt.Errorf("signing header %s: %w", hash, err)
	}
	return types.CommitSig{Index: index, Signature: sig}, nil
}

// VerifyCommitSig checks one sealer's signature over a header hash.
func VerifyCommitSig(suite crypto.Suite, hash common.Hash, sealer []byte, sig []byte) error {
	if err := suite.Verify(sealer, hash[:], sig); err != nil {
		return fmt.Errorf("%w: %v", ErrBadCommitSignature, err)
	}
	return nil
}

// VerifyCommit checks header's commit certificate against the group's
// sealer list (uncompressed public keys, by index): every signature must
// name a sealer in the list, verify against its key and come from a
// distinct sealer, and at least quorum sealers must have signed. A
// certificate holding any bad signature is rejected as a whole, even if
// the good ones reach the quorum: an honest node never assembles one.
func VerifyCommit(suite crypto.Suite, header *types.Header, sealers [][]byte, quorum int) error {
	if header == nil {
		return fmt.Errorf("%w: no header", ErrNoQuorum)
	}
	if quorum < 1 || quorum > len(sealers) {
		return fmt.Errorf("%w: %d with %d sealers", ErrInvalidQuorum, quorum, len(sealers))
	}
	hash := header.Hash(suite)
	signed := make([]bool, len(sealers))
	keys := make(map[string]bool, len(header.Signatures))
	for _, cs := range header.Signatures {
		if cs.Index >= uint64(len(sealers)) {
			return fmt.Errorf("%w: block %d has a signature from index %d, the group has %d sealers",
				ErrUnknownSealer, header.Number, cs.Index, len(sealers))
		}
		pub := sealers[cs.Index]
		if signed[cs.Index] || keys[string(pub)] {
			return fmt.Errorf("%w: block %d, sealer index %d", ErrDuplicateSigner, header.Number, cs.Index)
		}
		if err := VerifyCommitSig(suite, hash, pub, cs.Signature); err != nil {
			return fmt.Errorf("block %d, sealer index %d: %w", header.Number, cs.Index, err)
		}
		signed[cs.Index] = true
		keys[string(pub)] = true
	}
	if n := len(keys); n < quorum {
		return fmt.Errorf("%w: block %d has %d of %d sealer signatures, %d required",
			ErrNoQuorum, header.Number, n, len(sealers), quorum)
	}
	return nil
}
