package types

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// The Merkle trees of headers are binary trees over leaf hashes.
// Leaves and inner nodes are hashed with distinct prefixes so a leaf can
// never be passed off as an inner node:
//
//	leaf  = H(0x00 || data)
//	inner = H(0x01 || left || right)
//
// A level with an odd number of nodes carries its last node up unchanged.
// The root of an empty tree is H(0x80), the hash of the RLP empty string: with
// Keccak-256 that is Ethereum's empty trie root, so clients that compare an
// empty block's transactionsRoot with Ethereum's constant accept our blocks.

// MerkleLeaf hashes one leaf's data.
func MerkleLeaf(h Hasher, data []byte) common.Hash { return h.Hash([]byte{0}, data) }

func merkleInner(h Hasher, l, r common.Hash) common.Hash { return h.Hash([]byte{1}, l[:], r[:]) }

// EmptyRoot is the root of a tree with no leaves.
func EmptyRoot(h Hasher) common.Hash { return h.Hash([]byte{0x80}) }

// MerkleRoot computes the root over already-hashed leaves.
func MerkleRoot(h Hasher, leaves []common.Hash) common.Hash {
	if len(leaves) == 0 {
		return EmptyRoot(h)
	}
	level := leaves
	for len(level) > 1 {
		level = merkleLevel(h, level)
	}
	return level[0]
}

// merkleLevel hashes one level into the next: pairs are combined, an odd
// last node is carried up unchanged.
func merkleLevel(h Hasher, level []common.Hash) []common.Hash {
	next := make([]common.Hash, 0, (len(level)+1)/2)
	for i := 0; i < len(level); i += 2 {
		if i+1 == len(level) {
			next = append(next, level[i])
			continue
		}
		next = append(next, merkleInner(h, level[i], level[i+1]))
	}
	return next
}

// ProofStep is one sibling on the path from a leaf to the root.
type ProofStep struct {
	Hash common.Hash `json:"hash"`
	Left bool        `json:"left"` // the sibling is on the left
}

// MerkleProof builds the path proving leaves[index].
func MerkleProof(h Hasher, leaves []common.Hash, index int) ([]ProofStep, error) {
	if index < 0 || index >= len(leaves) {
		return nil, fmt.Errorf("merkle proof: index %d out of range [0,%d)", index, len(leaves))
	}
	var proof []ProofStep
	level := leaves
	for len(level) > 1 {
		sib := index ^ 1
		if sib < len(level) {
			proof = append(proof, ProofStep{Hash: level[sib], Left: sib < index})
		}
		level = merkleLevel(h, level)
		index /= 2
	}
	return proof, nil
}

// VerifyMerkleProof checks that leaf (already hashed with MerkleLeaf) is in
// the tree with the given root.
func VerifyMerkleProof(h Hasher, root, leaf common.Hash, proof []ProofStep) error {
	cur := leaf
	for _, s := range proof {
		if s.Left {
			cur = merkleInner(h, s.Hash, cur)
		} else {
			cur = merkleInner(h, cur, s.Hash)
		}
	}
	if cur != root {
		return ErrBadProof
	}
	return nil
}
