package crypto

import (
	"crypto/ecdsa"
	"sync"

	"github.com/emmansun/gmsm/sm2"
)

// smKeyCacheSize bounds the public keys an SM suite keeps parsed: about
// 460 bytes of heap each (measured with 4096 keys), 1.9 MB when full.
const smKeyCacheSize = 4096

// smPublic is a public key as SM2 verification uses it: parsed (and so
// checked to be on the curve) and with its Z value, SM3 of the default
// user id, the curve and the key (GB/T 32918.2).
type smPublic struct {
	pk *ecdsa.PublicKey
	za []byte
}

// smKeyCache keeps the smPublic of the keys verified lately, so that the
// next signature of a sender or a sealer costs the curve arithmetic
// alone: parsing a key and hashing its Z value are about a tenth of an
// SM2 verification. Safe for concurrent use; a nil cache keeps nothing.
type smKeyCache struct {
	mu   sync.RWMutex
	keys map[[65]byte]*smPublic
	max  int
}

func newSMKeyCache(max int) *smKeyCache {
	return &smKeyCache{keys: make(map[[65]byte]*smPublic), max: max}
}

// get returns pub parsed if the cache holds it, else nil.
func (c *smKeyCache) get(pub []byte) *smPublic {
	if c == nil || len(pub) != 65 {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.keys[[65]byte(pub)]
}

// put keeps p as the parsed form of the 65-byte key pub, making room by
// dropping an arbitrary key when the cache is full. The suite keeps only
// the keys of signatures that verified: an invalid signature with a
// fresh key evicts nothing.
func (c *smKeyCache) put(pub []byte, p *smPublic) {
	if c == nil || len(pub) != 65 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.keys) >= c.max {
		for old := range c.keys { // map order: an arbitrary key goes
			delete(c.keys, old)
			break
		}
	}
	c.keys[[65]byte(pub)] = p
}

func parseSMPublic(pub []byte) (*smPublic, error) {
	pk, err := sm2.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	za, err := sm2.CalculateZA(pk, smUID)
	if err != nil {
		return nil, err
	}
	return &smPublic{pk: pk, za: za}, nil
}
