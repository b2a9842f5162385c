package executor

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/executor/precompiled"
)

// TestSealerWeightCap: from compatibility 0.3.0 (weighted PBFT votes) a
// sealer's weight is at most MaxSealerWeight; below it the weight is
// recorded unchecked, as before, so old blocks replay the same.
func TestSealerWeightCap(t *testing.T) {
	for _, compat := range []string{precompiled.CompatV0_2, precompiled.CompatV0_3} {
		t.Run(compat, func(t *testing.T) {
			gov := signers(t, 1)[0]
			a := nodeID(t)
			g := newGovChain(t, precompiled.GovernanceGenesis{
				Governors: []precompiled.Governor{{Address: gov.addr(), Weight: 1}},
				Sealers:   [][]byte{a},
				Config:    map[string]string{precompiled.KeyCompatibilityVersion: compat},
			}, nil)
			heavy := uint64(precompiled.MaxSealerWeight + 1)
			g.ok(gov, committee, "proposeNode", precompiled.NodeOpSetWeight, a, uint64(precompiled.MaxSealerWeight), uint64(0))
			if compat == precompiled.CompatV0_3 {
				g.refused("weight is at most 4294967296", gov, committee, "proposeNode", precompiled.NodeOpSetWeight, a, heavy, uint64(0))
				g.refused("weight is at most", gov, committee, "proposeNode", precompiled.NodeOpAddSealer, nodeID(t), heavy, uint64(0))
				return
			}
			g.ok(gov, committee, "proposeNode", precompiled.NodeOpSetWeight, a, heavy, uint64(0))
			if s := g.view(common.Address{}, nodesAddr, "getSealers"); s[1].([]uint64)[0] != heavy {
				t.Fatalf("getSealers %v", s)
			}
		})
	}
}
