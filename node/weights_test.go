package node_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/internal/govtest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// certIndexes returns the sealer indexes that signed block b's commit
// certificate, each signature checked against sealers (the set in force
// at b, by index).
func certIndexes(ctx context.Context, t *testing.T, client *sdk.Client, suite crypto.Suite, sealers [][]byte, b uint64) []int {
	t.Helper()
	var blk struct {
		Hash       common.Hash `json:"hash"`
		Signatures []struct {
			Index     hexutil.Uint64 `json:"index"`
			Signature hexutil.Bytes  `json:"signature"`
		} `json:"signatures"`
	}
	if err := client.RPC().CallContext(ctx, &blk, "eth_getBlockByNumber", hexutil.EncodeUint64(b), false); err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, s := range blk.Signatures {
		if int(s.Index) >= len(sealers) {
			t.Fatalf("block %d: signature index %d of %d sealers", b, s.Index, len(sealers))
		}
		if err := suite.Verify(sealers[s.Index], blk.Hash[:], s.Signature); err != nil {
			t.Fatalf("block %d: signature of sealer %d: %v", b, s.Index, err)
		}
		out = append(out, int(s.Index))
	}
	return out
}

// TestPBFTWeightsByGovernance: on a 4-sealer PBFT chain created at
// compatibility version 0.2.0, the committee sets sealer 0's weight to
// 3. The weight is recorded but votes still count one per sealer: with
// sealer 0 down, the three others commit (they weigh 3 of 6, which would
// not reach the weighted quorum of 4). After the upgrade to 0.3.0 the
// weights count from the block after the one executing it: with sealers 2
// and 3 down, sealers 0 and 1 (two signatures of four, which the unit
// quorum of 3 refuses) certify blocks alone, and sealers 2 and 3, back,
// accept those blocks.
func TestPBFTWeightsByGovernance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a 4-node chain")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := buildChain(t, "pbft", "ecdsa", 4)
	c.editGenesis(func(g *node.Genesis) {
		g.CompatibilityVersion = precompiled.CompatV0_2
		g.ConsensusTimeoutMs = 1000 // view changes away from stopped leaders stay short
	})
	c.startAll()
	suite := c.nodes[1].Genesis().Suite()
	client := nodetest.Dial(t, ctx, c.nodes[1])
	committee := govtest.New(t, client, govtest.OrgAdmin(t, c.dir, "org1", suite))
	sealers := c.sealerKeys()
	weights := []uint64{3, 1, 1, 1}

	// 1. The weight is recorded at 0.2.0 (one governor: the proposal
	// executes with its proposer's vote).
	weightedAt := committee.ProposeNode(ctx, precompiled.NodeOpSetWeight, sealers[0], 3).BlockNumber
	list, err := c.nodes[1].ConsensusNodes(weightedAt + 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 || !bytes.Equal(list[0].ID, sealers[0]) || list[0].Weight != 3 {
		t.Fatalf("node list after the weight change: %+v", list)
	}

	// 2. Below 0.3.0 the weight does not count: the three light sealers
	// commit without the heavy one.
	c.stop(0)
	from := c.nodes[1].Height() + 1
	h := commitSome(ctx, t, client, suite, 2)
	for b := from; b <= h; b++ {
		idx := certIndexes(ctx, t, client, suite, sealers, b)
		if len(idx) < 3 {
			t.Fatalf("block %d at 0.2.0: %d signatures, below the unit quorum", b, len(idx))
		}
		for _, i := range idx {
			if i == 0 {
				t.Fatalf("block %d carries the stopped sealer's signature", b)
			}
		}
	}

	// 3. Upgrade to 0.3.0 with every sealer up.
	c.start(0)
	c.waitPeers()
	upgradedAt := committee.Pass(ctx, "proposeUpgrade", precompiled.CompatV0_3, uint64(0)).BlockNumber
	c.waitHeight(upgradedAt)

	// 4. From upgradedAt+1 the heavy sealer and one light one (weight 4 of
	// 6) are a quorum: sealers 2 and 3 stop and the chain goes on.
	c.stop(2)
	c.stop(3)
	from = c.nodes[1].Height() + 1
	h = commitSome(ctx, t, client, suite, 2)
	c.waitHeight(h)
	c.checkSame(ctx, h)
	for b := from; b <= h; b++ {
		idx := certIndexes(ctx, t, client, suite, sealers, b)
		var w uint64
		for _, i := range idx {
			w += weights[i]
			if i >= 2 {
				t.Fatalf("block %d carries the signature of stopped sealer %d", b, i)
			}
		}
		if len(idx) != 2 || w < consensus.QuorumWeight(6) {
			t.Fatalf("block %d: signers %v weighing %d", b, idx, w)
		}
	}

	// 5. Sealers 2 and 3 return and catch up on blocks whose two
	// signatures are a quorum only by weight; the four go on together.
	c.start(2)
	c.start(3)
	c.waitPeers()
	c.waitHeight(h)
	h2 := commitSome(ctx, t, client, suite, 1)
	c.waitHeight(h2)
	c.checkSame(ctx, h2)
	t.Logf("weight set in block %d, upgraded in block %d; blocks %d..%d certified by sealers 0 and 1 alone", weightedAt, upgradedAt, from, h)
}

// The cap ConsensusNodes puts on a sealer's weight is the one the PBFT
// core accepts, so no weight governance lets through can stall consensus.
func TestSealerWeightCapsAgree(t *testing.T) {
	if precompiled.MaxSealerWeight != consensus.MaxSealerWeight {
		t.Fatalf("ConsensusNodes caps weights at %d, PBFT at %d", uint64(precompiled.MaxSealerWeight), uint64(consensus.MaxSealerWeight))
	}
}
