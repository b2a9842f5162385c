package pbft

import (
	"github.com/ethereum/go-ethereum/common"
)

// msgPrefix separates envelope signatures from every other signed digest.
var (
	msgPrefix = []byte("gobcos/pbft/msg/v1")
	cpPrefix  = []byte("gobcos/pbft/checkpoint-id/v1")
)

// sigDigest is what an envelope's signature covers: the domain-prefixed
// hash of its fields, or for a checkpoint the executed header hash.
func (c *Core) sigDigest(e *Envelope) common.Hash {
	if e.Type == MsgCheckpoint {
		return e.Digest
	}
	return c.suite.Hash(msgPrefix, c.cfg.Domain,
		encodeRLP(&envelopeSigned{e.Type, e.Height, e.View, e.Sender, e.Final, e.Digest, e.Body}))
}

// contentID identifies a message's authenticated content, for duplicate
// detection (a re-signed message has the same id).
func (c *Core) contentID(e *Envelope) common.Hash {
	if e.Type == MsgCheckpoint {
		var b [16]byte
		putUint64(b[:8], e.Height)
		putUint64(b[8:], e.Sender)
		return c.suite.Hash(cpPrefix, c.cfg.Domain, b[:], e.Digest[:])
	}
	return c.sigDigest(e)
}

func putUint64(b []byte, v uint64) {
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}

// sign fills in this node's index, finalized height and signature.
func (c *Core) sign(e *Envelope) bool {
	e.Sender = uint64(c.self)
	if e.Type != MsgCheckpoint {
		e.Final = c.finalNum
	}
	d := c.sigDigest(e)
	sig, err := c.cfg.Key.Sign(d[:])
	if err != nil {
		c.log.Error("signing failed", "type", e.Type, "height", e.Height, "err", err)
		return false
	}
	e.Sig = sig
	c.sigOK.add(c.sigKey(e.Sender, d, sig))
	return true
}

// verify checks an envelope's signature against its sender's key.
func (c *Core) verify(e *Envelope) bool {
	if e.Sender >= uint64(c.n) {
		return false
	}
	d := c.sigDigest(e)
	key := c.sigKey(e.Sender, d, e.Sig)
	if c.sigOK.has(key) {
		return true
	}
	if c.suite.Verify(c.cfg.Sealers[e.Sender], d[:], e.Sig) != nil {
		return false
	}
	c.sigOK.add(key)
	return true
}

// sigKey identifies a verified (signer, digest, signature) triple; the
// signer matters because a checkpoint's digest does not name it.
func (c *Core) sigKey(signer uint64, d common.Hash, sig []byte) common.Hash {
	var b [8]byte
	putUint64(b[:], signer)
	return c.suite.Hash(b[:], d[:], sig)
}

// hashRing is a bounded set of hashes that forgets the oldest first.
type hashRing struct {
	set  map[common.Hash]struct{}
	ring []common.Hash
	next int
}

func newHashRing(size int) *hashRing {
	return &hashRing{set: make(map[common.Hash]struct{}, size), ring: make([]common.Hash, 0, size)}
}

func (h *hashRing) has(k common.Hash) bool { _, ok := h.set[k]; return ok }

func (h *hashRing) add(k common.Hash) {
	if h.has(k) {
		return
	}
	if len(h.ring) < cap(h.ring) {
		h.ring = append(h.ring, k)
	} else {
		delete(h.set, h.ring[h.next])
		h.ring[h.next] = k
		h.next = (h.next + 1) % len(h.ring)
	}
	h.set[k] = struct{}{}
}
