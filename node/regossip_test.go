package node

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/txtest"
	"github.com/gobcos/gobcos/network"
	"github.com/gobcos/gobcos/types"
)

// TestRegossipPlanRotates: a pool larger than one round's bound goes out
// over several rounds, every tx in turn: no tx is sent twice before every
// tx has been sent once, the first round takes the oldest txs, a tx is
// first due an interval after it is first seen, and the txs that left the
// pool are forgotten.
func TestRegossipPlanRotates(t *testing.T) {
	const every, pooled = 3 * time.Second, 5000
	key := cryptotest.Key(t, crypto.ECDSA())
	to := common.Address{0xaa}
	txs := make([]*types.Transaction, pooled)
	for i := range txs {
		txs[i] = txtest.SignEth(t, key, 5, &ethtypes.LegacyTx{Nonce: uint64(i), To: &to, Gas: 21000, GasPrice: new(big.Int)})
	}
	plan := newRegossipPlan(every)
	t0 := time.Unix(1_700_000_000, 0)
	if due := plan.due(txs, t0); len(due) != 0 {
		t.Fatalf("%d txs due when first seen; want none", len(due))
	}
	sends := make(map[common.Hash]int)
	round := func(k int) []*types.Transaction {
		now := t0.Add(time.Duration(k) * every)
		due := plan.due(txs, now)
		if len(due) > maxRegossip {
			due = due[:maxRegossip]
		}
		for _, tx := range due {
			plan.sent(tx.Hash(), now)
			sends[tx.Hash()]++
		}
		return due
	}
	first := round(1)
	for i, tx := range first {
		if tx != txs[i] {
			t.Fatalf("round 1 sent tx %d at position %d: want the oldest first", tx.Nonce(), i)
		}
	}
	rounds := 1
	for ; len(sends) < pooled; rounds++ {
		if rounds > 10 {
			t.Fatalf("%d of %d txs re-gossiped after %d rounds", len(sends), pooled, rounds)
		}
		seen := make(map[common.Hash]bool, len(sends))
		for h := range sends {
			seen[h] = true
		}
		for _, tx := range round(rounds + 1) {
			if seen[tx.Hash()] && len(seen) < pooled {
				t.Fatalf("round %d sent tx %d again while %d txs were never sent", rounds+1, tx.Nonce(), pooled-len(seen))
			}
			seen[tx.Hash()] = true
		}
	}
	if want := (pooled + maxRegossip - 1) / maxRegossip; rounds != want {
		t.Fatalf("every tx re-gossiped after %d rounds; want %d", rounds, want)
	}

	// The txs that left the pool (committed) are forgotten.
	rest := txs[pooled/2:]
	plan.due(rest, t0.Add(20*every))
	if plan.pooled(txs[0].Hash()) || !plan.pooled(rest[0].Hash()) {
		t.Fatal("the plan keeps txs that left the pool, or forgot pooled ones")
	}
}

// TestConnectionsFresh: a peer's first connection and each new one (a
// later connection time) are fresh once; a peer that stays connected is
// not; a peer gone and back is fresh again.
func TestConnectionsFresh(t *testing.T) {
	a, b := network.NodeID{4, 1}, network.NodeID{4, 2}
	t0 := time.Unix(1_700_000_000, 0)
	peer := func(id network.NodeID, at time.Time) network.PeerInfo {
		return network.PeerInfo{Identity: network.Identity{NodeID: id}, ConnectedAt: at}
	}
	c := newConnections()
	check := func(peers []network.PeerInfo, want ...network.NodeID) {
		t.Helper()
		got := c.fresh(peers)
		if len(got) != len(want) {
			t.Fatalf("fresh %v; want %v", got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("fresh %v; want %v", got, want)
			}
		}
	}
	check([]network.PeerInfo{peer(a, t0), peer(b, t0)}, a, b)
	check([]network.PeerInfo{peer(a, t0), peer(b, t0)})
	check([]network.PeerInfo{peer(a, t0), peer(b, t0.Add(time.Second))}, b) // b reconnected
	check([]network.PeerInfo{peer(b, t0.Add(time.Second))})                 // a gone
	check([]network.PeerInfo{peer(a, t0), peer(b, t0.Add(time.Second))}, a) // a back
}
