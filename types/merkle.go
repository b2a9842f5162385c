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

// The prefixes of leaves and inner nodes.
const leafTag, innerTag byte = 0, 1

// leafPrefix is leafTag as a hash argument; a Hasher only reads it.
var leafPrefix = []byte{leafTag}

// MerkleLeaf hashes one leaf's data.
func MerkleLeaf(h Hasher, data []byte) common.Hash { return newMerkleHasher(h).leaf(data) }

// merkleHasher hashes the leaves and inner nodes of a tree through
// buffers of its own, one per tree: a Hasher is an interface, so the
// arguments of each call would otherwise be moved to the heap, 4
// allocations a node besides the hash's own, thousands a block.
type merkleHasher struct {
	h    Hasher
	node [1 + 2*common.HashLength]byte
	args [2][]byte
}

func newMerkleHasher(h Hasher) *merkleHasher { return &merkleHasher{h: h} }

// leaf is H(0x00 || data).
func (m *merkleHasher) leaf(data []byte) common.Hash {
	m.args[0], m.args[1] = leafPrefix, data
	sum := m.h.Hash(m.args[:]...)
	m.args[1] = nil // keeps nothing of the caller's
	return sum
}

// hashLeaf is leaf(x[:]).
func (m *merkleHasher) hashLeaf(x common.Hash) common.Hash {
	m.node[0] = leafTag
	copy(m.node[1:], x[:])
	m.args[0] = m.node[:1+common.HashLength]
	return m.h.Hash(m.args[:1]...)
}

// inner is H(0x01 || l || r).
func (m *merkleHasher) inner(l, r common.Hash) common.Hash {
	m.node[0] = innerTag
	copy(m.node[1:], l[:])
	copy(m.node[1+common.HashLength:], r[:])
	m.args[0] = m.node[:]
	return m.h.Hash(m.args[:1]...)
}

// EmptyRoot is the root of a tree with no leaves.
func EmptyRoot(h Hasher) common.Hash { return h.Hash([]byte{0x80}) }

// MerkleRoot computes the root over already-hashed leaves.
func MerkleRoot(h Hasher, leaves []common.Hash) common.Hash {
	if len(leaves) == 0 {
		return EmptyRoot(h)
	}
	m := newMerkleHasher(h)
	level := leaves
	for len(level) > 1 {
		level = m.level(level)
	}
	return level[0]
}

// level hashes one level into the next: pairs are combined, an odd last
// node is carried up unchanged.
func (m *merkleHasher) level(level []common.Hash) []common.Hash {
	next := make([]common.Hash, 0, (len(level)+1)/2)
	for i := 0; i < len(level); i += 2 {
		if i+1 == len(level) {
			next = append(next, level[i])
			continue
		}
		next = append(next, m.inner(level[i], level[i+1]))
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
	m := newMerkleHasher(h)
	level := leaves
	for len(level) > 1 {
		sib := index ^ 1
		if sib < len(level) {
			proof = append(proof, ProofStep{Hash: level[sib], Left: sib < index})
		}
		level = m.level(level)
		index /= 2
	}
	return proof, nil
}

// VerifyMerkleProof checks that leaf (already hashed with MerkleLeaf) is in
// the tree with the given root.
func VerifyMerkleProof(h Hasher, root, leaf common.Hash, proof []ProofStep) error {
	m := newMerkleHasher(h)
	cur := leaf
	for _, s := range proof {
		if s.Left {
			cur = m.inner(s.Hash, cur)
		} else {
			cur = m.inner(cur, s.Hash)
		}
	}
	if cur != root {
		return ErrBadProof
	}
	return nil
}
