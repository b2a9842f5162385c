package engine

import (
	"testing"

	"github.com/gobcos/gobcos/crypto"
)

// TestTxVerifiedOncePerNode: with the node's verifier shared by its pool,
// engine and executor, every sealer checks each tx's signature exactly
// once, whether it got the tx from gossip or first in a proposal (the
// last txs are held by f+1 sealers only: sealers 0 and 1 first see them
// in a proposal).
func TestTxVerifiedOncePerNode(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	c.CheckVerifiedOnce(c.startWithVerifier, func() []int { return []int{2, 3} }, c.checkSameChain)
}

// startWithVerifier (re)builds node i's pool, executor and driver around
// one shared txverify.Verifier over suite, as the node wires them, and
// starts the driver.
func (c *cluster) startWithVerifier(i int, suite crypto.Suite) {
	v := c.Nodes[i].ShareVerifier(c.T, suite)
	c.Start(i, func(p *Params) { p.Core.Suite, p.Verifier = suite, v })
}
