package executor

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/types"
)

// bloomCache computes the bloom of receipts' logs as types.LogsBloom does,
// keeping the Keccak-256 hash prefix of the logs' addresses and first
// topics: the transactions of a block mostly log the same few contract
// addresses and event signatures, and hashing is most of a bloom's cost.
// The other topics (indexed arguments: senders, recipients) seldom repeat
// and are hashed each time. It is not safe for concurrent use: each worker
// has its own.
type bloomCache struct {
	bits   map[bloomItem][6]byte // the first 6 bytes of the item's hash
	hasher crypto.KeccakState
	// in and out are what the hasher reads and writes: locals would go to
	// the heap through its interface.
	in  [common.HashLength]byte
	out [6]byte
}

// bloomItem is an address (n = 20) or a topic (n = 32).
type bloomItem struct {
	n uint8
	b [common.HashLength]byte
}

// maxBloomCache bounds a kept bloomCache: past it, a new block starts
// with an empty one.
const maxBloomCache = 1 << 12

func newBloomCache() *bloomCache {
	return &bloomCache{bits: make(map[bloomItem][6]byte), hasher: crypto.NewKeccakState()}
}

// logsBloom is types.LogsBloom of r's logs.
func (c *bloomCache) logsBloom(r *types.Receipt) ethtypes.Bloom {
	var b ethtypes.Bloom
	c.add(&b, r)
	return b
}

// add sets in b the bits of r's logs.
func (c *bloomCache) add(b *ethtypes.Bloom, r *types.Receipt) {
	for _, l := range r.Logs {
		var it bloomItem
		it.n = common.AddressLength
		copy(it.b[:], l.Address[:])
		setBloomBits(b, c.hash(it))
		for i := range l.Topics {
			if i == 0 {
				setBloomBits(b, c.hash(bloomItem{n: common.HashLength, b: l.Topics[0]}))
			} else {
				setBloomBits(b, c.keccak6(l.Topics[i][:]))
			}
		}
	}
}

// hash returns the first 6 bytes of it's Keccak-256 hash.
func (c *bloomCache) hash(it bloomItem) [6]byte {
	h, ok := c.bits[it]
	if !ok {
		// Through the cache's buffer: it itself would go to the heap.
		c.in = it.b
		h = c.keccak6(c.in[:it.n])
		c.bits[it] = h
	}
	return h
}

// keccak6 returns the first 6 bytes of b's Keccak-256 hash.
func (c *bloomCache) keccak6(b []byte) [6]byte {
	c.hasher.Reset()
	c.hasher.Write(b)
	c.hasher.Read(c.out[:])
	return c.out
}

// setBloomBits sets the 3 bits of an item whose hash starts with h: for i
// in 0, 1, 2, the bit (low 3 bits of hash byte 2i+1) of the byte indexed
// (hash bytes 2i and 2i+1, big endian, low 11 bits, over 8) from the end,
// as go-ethereum's Bloom.Add does.
func setBloomBits(b *ethtypes.Bloom, h [6]byte) {
	for i := 0; i < 6; i += 2 {
		v := byte(1 << (h[i+1] & 7))
		idx := ethtypes.BloomByteLength - int((binary.BigEndian.Uint16(h[i:])&0x7ff)>>3) - 1
		b[idx] |= v
	}
}

// receiptsBloom is types.LogsBloom of rs, with a kept bloomCache.
func (e *Executor) receiptsBloom(rs []*types.Receipt) ethtypes.Bloom {
	c, _ := e.blooms.Get().(*bloomCache)
	if c == nil {
		c = newBloomCache()
	} else if len(c.bits) > maxBloomCache {
		clear(c.bits)
	}
	defer e.blooms.Put(c)
	var b ethtypes.Bloom
	for _, r := range rs {
		c.add(&b, r)
	}
	return b
}
