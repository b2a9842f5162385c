package node

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"

	pbftengine "github.com/gobcos/gobcos/consensus/pbft/engine"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
)

// writesTo returns a block's write set with one slot write to addr's
// storage, or to an ordinary account's when addr is zero.
func writesTo(t *testing.T, addr common.Address) *state.WriteSet {
	t.Helper()
	if addr == (common.Address{}) {
		addr = common.HexToAddress("0x1234")
	}
	s := state.New(storage.NewMemory())
	s.SetNonce(addr, 1, tracing.NonceChangeUnspecified) // not empty: kept at the end of the tx
	s.SetState(addr, common.Hash{1}, common.Hash{2})
	ws, err := s.WriteSet()
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func testEpoch(period uint64) govEpoch {
	return govEpoch{ep: pbftengine.Epoch{Sealers: [][]byte{{1}, {2}}, LeaderPeriod: period}, compat: precompiled.CompatV0_4}
}

// TestGovCacheServesOnlyPastTheLastChange: values are kept and served only
// for heights whose parent is at least MaxGovernanceDelay blocks past the
// last block that wrote the SystemConfig or ConsensusNodes storage (or the
// head at open); a block writing other storage keeps them.
func TestGovCacheServesOnlyPastTheLastChange(t *testing.T) {
	var c govCache
	c.open(10) // stable from 12: heights 13 on
	gen := c.generation()
	c.keepEpoch(gen, 10, 12, testEpoch(1))
	if _, ok := c.epochAt(10, 12); ok {
		t.Fatal("kept the configuration of height 12, whose parent may still see a change of block 10")
	}
	c.keepEpoch(gen, 10, 13, testEpoch(1))
	if e, ok := c.epochAt(10, 13); !ok || e.ep.LeaderPeriod != 1 {
		t.Fatalf("height 13 after keeping it: %+v, %v", e, ok)
	}
	if _, ok := c.epochAt(10, 12); ok {
		t.Fatal("served height 12")
	}

	c.committed(11, writesTo(t, common.Address{}))
	if _, ok := c.epochAt(11, 13); !ok {
		t.Fatal("a block that changed no governance storage dropped the configuration")
	}

	c.committed(12, writesTo(t, precompiled.SystemConfigAddress))
	for h := uint64(13); h <= 16; h++ {
		if _, ok := c.epochAt(12, h); ok {
			t.Fatalf("height %d served after block 12 wrote the system config", h)
		}
	}
	gen = c.generation()
	c.keepEpoch(gen, 12, 14, testEpoch(2)) // 14's parent is 13 < 12+2
	if _, ok := c.epochAt(12, 14); ok {
		t.Fatal("kept height 14 after a change in block 12")
	}
	c.keepEpoch(gen, 12, 15, testEpoch(2))
	if e, ok := c.epochAt(12, 15); !ok || e.ep.LeaderPeriod != 2 {
		t.Fatalf("height 15 after the change: %+v, %v", e, ok)
	}

	c.committed(13, writesTo(t, precompiled.ConsensusNodesAddress))
	if _, ok := c.epochAt(13, 16); ok {
		t.Fatal("height 16 served after block 13 wrote the node list")
	}
	c.committed(14, struct{}{}) // writes it cannot list
	if c.stable != 16 {
		t.Fatalf("stable from %d after unlisted writes in block 14, want 16", c.stable)
	}
}

// TestGovCacheRacingReads: a read during which a drop happened is not kept,
// and nothing is served while the ledger's head is ahead of the blocks the
// cache was told of (a commit between the ledger and the cache).
func TestGovCacheRacingReads(t *testing.T) {
	var c govCache
	c.open(20)
	gen := c.generation()
	c.committed(21, writesTo(t, precompiled.ConsensusNodesAddress))
	c.keepEpoch(gen, 21, 30, testEpoch(1))
	c.keepNodes(gen, 21, 30, []precompiled.ConsensusNode{{ID: []byte{1}}})
	if _, ok := c.epochAt(21, 30); ok {
		t.Fatal("kept a configuration read across a drop")
	}
	if _, ok := c.nodesAt(21, 30); ok {
		t.Fatal("kept a node list read across a drop")
	}

	gen = c.generation()
	c.keepNodes(gen, 21, 30, []precompiled.ConsensusNode{{ID: []byte{1}}})
	if _, ok := c.nodesAt(21, 30); !ok {
		t.Fatal("node list not kept")
	}
	if _, ok := c.nodesAt(22, 30); ok {
		t.Fatal("served with the ledger at 22, a block the cache was not told of")
	}
	c.keepNodes(gen, 22, 31, []precompiled.ConsensusNode{{ID: []byte{2}}})
	if nodes, _ := c.nodesAt(21, 31); len(nodes) != 1 || nodes[0].ID[0] != 1 {
		t.Fatalf("kept a node list read with the ledger ahead of the cache: %v", nodes)
	}

	nodes, _ := c.nodesAt(21, 30)
	nodes[0] = precompiled.ConsensusNode{ID: []byte{9}}
	if again, _ := c.nodesAt(21, 30); again[0].ID[0] != 1 {
		t.Fatal("a caller's change to the served list reached the cache")
	}
}
