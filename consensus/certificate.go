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
	if quorum < 1 || quorum > len(sealers) {
		return fmt.Errorf("%w: %d with %d sealers", ErrInvalidQuorum, quorum, len(sealers))
	}
	return VerifyCommitWeighted(suite, header, sealers, nil, uint64(quorum))
}

// VerifyCommitWeighted is VerifyCommit for sealers whose votes count by
// weight (weights by index; nil: each 1): the signers' weights must sum
// to at least quorum, which must lie in 1..the total weight.
func VerifyCommitWeighted(suite crypto.Suite, header *types.Header, sealers [][]byte, weights []uint64, quorum uint64) error {
	if header == nil {
		return fmt.Errorf("%w: no header", ErrNoQuorum)
	}
	total, err := TotalWeight(len(sealers), weights)
	if err != nil {
		return err
	}
	if quorum < 1 || quorum > total {
		return fmt.Errorf("%w: %d with %d sealers of total weight %d", ErrInvalidQuorum, quorum, len(sealers), total)
	}
	hash := header.Hash(suite)
	signed := make([]bool, len(sealers))
	keys := make(map[string]bool, len(header.Signatures))
	var weight uint64
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
		weight += weightOf(weights, int(cs.Index))
	}
	if weight < quorum {
		if weights == nil {
			return fmt.Errorf("%w: block %d has %d of %d sealer signatures, %d required",
				ErrNoQuorum, header.Number, len(keys), len(sealers), quorum)
		}
		return fmt.Errorf("%w: block %d has signatures of %d sealers weighing %d of %d, weight %d required",
			ErrNoQuorum, header.Number, len(keys), weight, total, quorum)
	}
	return nil
}

// weightOf is sealer i's weight (1 when weights is nil).
func weightOf(weights []uint64, i int) uint64 {
	if weights == nil {
		return 1
	}
	return weights[i]
}
