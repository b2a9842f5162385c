package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/node"
)

// TestUpgradeToPartsRoot runs a 4-sealer PBFT chain created at
// compatibility version 0.4.0 across the committee's upgrade to 0.5.0.
// Every block up to the upgrade's effective height (the proposal's block
// plus 0.4.0's governance delay of 2) has the one-pass state root of its
// write set, every block from it on the root in parts, and the two
// differ for each of those blocks that writes anything; the four nodes
// commit the same blocks across the switch. Each block is executed again
// on the state history's view of its parent, which must give the
// committed root.
func TestUpgradeToPartsRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := buildUpgradeChain(t)
	c.editGenesis(func(g *node.Genesis) { g.CompatibilityVersion = precompiled.CompatV0_4 })
	for i := range c.nodes {
		c.startAs(i, newBinary)
	}
	c.waitPeers()
	client := c.client(ctx, 0)
	user, _ := crypto.ECDSA().GenerateKey()
	send := func() uint64 {
		t.Helper()
		to := common.Address{0x42}
		r, err := client.SendNativeWait(ctx, user, &to, nil, []byte("root"), 100_000)
		if err != nil || !r.Succeeded() {
			t.Fatalf("%v %+v", err, r)
		}
		return r.BlockNumber
	}
	send()
	send()
	proposed := c.upgradeTo(ctx, 0, precompiled.CompatV0_5)
	effective := proposed + precompiled.GovernanceDelay(precompiled.CompatV0_4)
	var top uint64
	for top < effective+2 {
		top = send()
	}
	c.waitHeight(top)
	c.checkSame(ctx, top)

	for _, i := range []int{0, 3} {
		n := c.nodes[i]
		var flatBlocks, partsBlocks int
		for b := uint64(1); b <= top; b++ {
			x, err := n.ReexecuteBlock(ctx, b)
			if err != nil {
				t.Fatalf("node %d re-executing block %d: %v", i, b, err)
			}
			wantCompat := precompiled.CompatV0_4
			if b >= effective {
				wantCompat = precompiled.CompatV0_5
			}
			if x.Compatibility != wantCompat {
				t.Fatalf("node %d block %d ran under %s, want %s (upgrade proposed in block %d)", i, b, x.Compatibility, wantCompat, proposed)
			}
			ws := x.Result.Writes
			flat, parts := ws.FlatRoot(x.ParentRoot, n.Hasher()), ws.Root(x.ParentRoot, n.Hasher())
			want := flat
			if b >= effective {
				want = parts
			}
			switch {
			case x.Header.StateRoot != want:
				t.Fatalf("node %d block %d (%s, %d writes): state root %s, want %s (one pass %s, in parts %s)",
					i, b, x.Compatibility, ws.Len(), x.Header.StateRoot, want, flat, parts)
			case x.Result.StateRoot != x.Header.StateRoot:
				t.Fatalf("node %d block %d executed again: root %s, committed %s", i, b, x.Result.StateRoot, x.Header.StateRoot)
			case ws.Len() > 0 && flat == parts:
				t.Fatalf("block %d: the two roots of %d writes are equal", b, ws.Len())
			}
			if ws.Len() > 0 {
				if b >= effective {
					partsBlocks++
				} else {
					flatBlocks++
				}
			}
		}
		if flatBlocks == 0 || partsBlocks == 0 {
			t.Fatalf("node %d: %d blocks with writes before the switch, %d after", i, flatBlocks, partsBlocks)
		}
	}
	t.Logf("upgrade proposed in block %d, effective from %d; checked blocks 1 to %d", proposed, effective, top)
}
