package types

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
)

// concatHash hashes the concatenation of parts as one slice: the reference
// the tree's hashes are checked against.
func concatHash(h Hasher, parts ...[]byte) common.Hash { return h.Hash(bytes.Join(parts, nil)) }

// refRoot is the tree's root as the package documentation defines it,
// computed recursively over whole levels.
func refRoot(h Hasher, level []common.Hash) common.Hash {
	if len(level) == 0 {
		return concatHash(h, []byte{0x80})
	}
	for len(level) > 1 {
		var next []common.Hash
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i])
			} else {
				next = append(next, concatHash(h, []byte{1}, level[i][:], level[i+1][:]))
			}
		}
		level = next
	}
	return level[0]
}

// TestMerkleHasherMatches checks the buffered hasher of the block roots
// against hashes of the concatenated bytes, calls interleaved so that each
// reuses what the one before left in the buffers.
func TestMerkleHasherMatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		m := newMerkleHasher(s)
		var leaves []common.Hash
		for n := range 70 {
			data := make([]byte, n*3)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			var x common.Hash
			copy(x[:], data)
			if got, want := m.leaf(data), concatHash(s, []byte{0}, data); got != want || got != MerkleLeaf(s, data) {
				t.Fatalf("%s: leaf of %d bytes %x, want %x", s.Name(), len(data), got, want)
			}
			if got, want := m.hashLeaf(x), concatHash(s, []byte{0}, x[:]); got != want {
				t.Fatalf("%s: leaf of hash %x: %x, want %x", s.Name(), x, got, want)
			}
			l, r := m.leaf(data), m.hashLeaf(x)
			if got, want := m.inner(l, r), concatHash(s, []byte{1}, l[:], r[:]); got != want {
				t.Fatalf("%s: inner %x, want %x", s.Name(), got, want)
			}
			leaves = append(leaves, l)
			if got, want := MerkleRoot(s, leaves), refRoot(s, leaves); got != want {
				t.Fatalf("%s: root of %d leaves %x, want %x", s.Name(), len(leaves), got, want)
			}
		}
		if got, want := MerkleRoot(s, nil), refRoot(s, nil); got != want {
			t.Fatalf("%s: empty root %x, want %x", s.Name(), got, want)
		}
	}
}

// TestMerkleRootAllocations: a root over a block's leaves allocates its
// levels, its hasher and what the suite's hash allocates (one a call on
// ECDSA, inside go-ethereum's Keccak256Hash), not the arguments of each
// call: it took 5005 allocations for 1000 leaves before merkleHasher.
func TestMerkleRootAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what sync.Pool keeps, and so the allocations")
	}
	s := crypto.ECDSA()
	leaves := make([]common.Hash, 1000)
	for i := range leaves {
		leaves[i][0], leaves[i][1] = byte(i), byte(i>>8)
	}
	if n := testing.AllocsPerRun(20, func() { MerkleRoot(s, leaves) }); n > 1100 {
		t.Fatalf("MerkleRoot of 1000 leaves allocated %v times", n)
	}
}
