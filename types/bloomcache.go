package types

import (
	"encoding/binary"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// BloomCache computes the blooms of receipts' logs as LogsBloom does,
// keeping the Keccak-256 hash prefix of the logs' addresses and topics:
// the transactions of a block mostly log the same few contract addresses
// and event signatures, and the indexed arguments (token senders and
// recipients, the parties of a contract) recur from block to block as
// the same participants transact again; hashing is most of a bloom's
// cost. Where they do not recur, each costs a map insertion besides its
// hash. The cache is bounded (Trim). It is not safe for concurrent use:
// the executor's workers and the JSON-RPC server's requests each take
// their own (from a BloomCaches).
type BloomCache struct {
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

// maxBloomCache bounds a kept BloomCache (Trim): 16,384 items of about
// 50 bytes.
const maxBloomCache = 1 << 14

// BloomCaches keeps BloomCaches for use again, trimmed (Trim) when taken.
// It is safe for concurrent use; the zero value is ready.
type BloomCaches struct{ pool sync.Pool }

// Get returns a cache, one kept if there is one.
func (p *BloomCaches) Get() *BloomCache {
	c, _ := p.pool.Get().(*BloomCache)
	if c == nil {
		return NewBloomCache()
	}
	c.Trim()
	return c
}

// Put keeps c for a later Get; the caller no longer uses it.
func (p *BloomCaches) Put(c *BloomCache) { p.pool.Put(c) }

// NewBloomCache returns an empty cache.
func NewBloomCache() *BloomCache {
	return &BloomCache{bits: make(map[bloomItem][6]byte), hasher: crypto.NewKeccakState()}
}

// Trim empties the cache once it holds more than a few thousand items, so
// that a cache kept from block to block stays small.
func (c *BloomCache) Trim() {
	if len(c.bits) > maxBloomCache {
		clear(c.bits)
	}
}

// ReceiptBloom is LogsBloom of r alone.
func (c *BloomCache) ReceiptBloom(r *Receipt) ethtypes.Bloom {
	var b ethtypes.Bloom
	c.Add(&b, r)
	return b
}

// ReceiptsBloom is LogsBloom of rs.
func (c *BloomCache) ReceiptsBloom(rs []*Receipt) ethtypes.Bloom {
	var b ethtypes.Bloom
	for _, r := range rs {
		c.Add(&b, r)
	}
	return b
}

// Add sets in b the bits of r's logs.
func (c *BloomCache) Add(b *ethtypes.Bloom, r *Receipt) {
	for _, l := range r.Logs {
		var it bloomItem
		it.n = common.AddressLength
		copy(it.b[:], l.Address[:])
		setBloomBits(b, c.hash(it))
		for _, t := range l.Topics {
			setBloomBits(b, c.hash(bloomItem{n: common.HashLength, b: t}))
		}
	}
}

// hash returns the first 6 bytes of it's Keccak-256 hash.
func (c *BloomCache) hash(it bloomItem) [6]byte {
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
func (c *BloomCache) keccak6(b []byte) [6]byte {
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
