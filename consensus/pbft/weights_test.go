package pbft

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/enginetest"
)

// heavy: sealer 0 weighs 3, the others 1. W = 6, F = 1, Q = 4.
var heavy = []uint64{3, 1, 1, 1}

func TestWeightedConfig(t *testing.T) {
	suite := fastSuite{}
	keys, pubs := testKeys(suite, 4, 1)
	for name, ws := range map[string][]uint64{"zero": {3, 0, 1, 1}, "short": {3, 1, 1},
		"too heavy": {consensus.MaxSealerWeight + 1, 1, 1, 1}} {
		cfg := testConfig(suite, pubs)
		cfg.Key, cfg.Weights = keys[0], ws
		if _, err := cfg.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s weights %v: %v", name, ws, err)
		}
	}
	cfg := testConfig(suite, pubs)
	cfg.Key, cfg.Weights = keys[0], heavy
	core, err := New(cfg, enginetest.Genesis(suite), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if core.total != 6 || core.f != 1 || core.q != 4 {
		t.Fatalf("W=%d F=%d Q=%d, want 6, 1, 4", core.total, core.f, core.q)
	}
}

// A commit quorum is a weight, not a count: with weights 3,1,1,1 the heavy
// sealer and any one other decide; the three light ones do not.
func TestWeightedDecidedProofs(t *testing.T) {
	for _, tc := range []struct {
		signers []int
		decides bool
	}{
		{[]int{0, 1}, true},
		{[]int{2, 0}, true},
		{[]int{1, 2, 3}, false},
		{[]int{0}, false},
		{[]int{3, 1}, false},
	} {
		t.Run(fmt.Sprint(tc.signers), func(t *testing.T) {
			c := newCluster(t, 4, func(cfg *Config) { cfg.Weights = heavy })
			// Votes are collected by hand: nobody hears anybody.
			c.drop = func(int, int, *Message) bool { return true }
			c.addTxs(1)
			c.tick()
			leader := c.nodes[0].core.Leader(1, 0)
			pps := c.nodes[leader].sentOf(MsgPrePrepare)
			if len(pps) != 1 {
				t.Fatalf("leader sent %d pre-prepares", len(pps))
			}
			prop := c.nodes[leader].core.round.props[pps[0].Digest]
			var commits []*Envelope
			for _, s := range tc.signers {
				e := &Envelope{Type: MsgCommit, Height: 1, View: 0, Digest: pps[0].Digest}
				if !c.nodes[s].core.sign(e) {
					t.Fatal("sign")
				}
				commits = append(commits, e)
			}
			// A sealer that signed nothing receives the proof.
			to := c.nodes[0]
			for _, nd := range c.nodes {
				if nd.idx != leader && !contains(tc.signers, nd.idx) {
					to = nd
				}
			}
			if to.idx == leader || contains(tc.signers, to.idx) {
				t.Skip("no bystander for this set")
			}
			err := to.core.Step(leader, EncodeDecided(prop, commits))
			decided := to.core.Status().Decided == 1
			if decided != tc.decides {
				t.Fatalf("commits of %v (weight %d): decided %v, want %v (err %v)", tc.signers, to.core.envWeight(commits), decided, tc.decides, err)
			}
			if !tc.decides && !errors.Is(err, ErrDropBadCertificate) {
				t.Fatalf("short proof: %v", err)
			}
			if tc.decides {
				// The kept proof is the shortest prefix that reaches the quorum.
				if d := to.core.decision(1); to.core.envWeight(d.commits) < to.core.q {
					t.Fatalf("kept commits weigh %d", to.core.envWeight(d.commits))
				}
			}
		})
	}
}

func contains(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// Without the heavy sealer (weight 3 of 6) the light ones (3 < Q = 4)
// cannot commit, although they are three of four; with it, the heavy
// sealer and one light one (4 = Q) commit while two of four are down.
func TestWeightedLiveness(t *testing.T) {
	t.Run("heavy down", func(t *testing.T) {
		c := newCluster(t, 4, func(cfg *Config) { cfg.Weights = heavy })
		c.crash(0)
		c.addTxs(2)
		for range 300 {
			c.tick()
		}
		for i, nd := range c.nodes[1:] {
			if h := nd.ledger.Height(); h != 0 {
				t.Fatalf("node %d committed %d blocks without a quorum of weight", i+1, h)
			}
		}
		// Unit weights: the same three commit.
		u := newCluster(t, 4, nil)
		u.crash(0)
		u.addTxs(2)
		u.runUntil(300, "block 1 with unit weights", func() bool {
			for _, nd := range u.nodes[1:] {
				if nd.ledger.Height() < 1 {
					return false
				}
			}
			return true
		})
		// The heavy sealer returns: the chain goes on.
		c.restart(0)
		c.runUntil(600, "block 1 after the heavy sealer returned", c.allAt(1))
		c.checkChains()
	})
	t.Run("two light down", func(t *testing.T) {
		c := newCluster(t, 4, func(cfg *Config) { cfg.Weights = heavy })
		c.crash(2)
		c.crash(3)
		c.addTxs(2)
		c.runUntil(400, "block 1 on the heavy sealer and one light one", func() bool {
			return c.nodes[0].ledger.Height() >= 1 && c.nodes[1].ledger.Height() >= 1
		})
		hdr := c.nodes[0].ledger.Block(1).Header
		if err := consensus.VerifyCommitWeighted(c.suite, hdr, c.pubs, heavy, 4); err != nil {
			t.Fatal(err)
		}
		if err := consensus.VerifyCommit(c.suite, hdr, c.pubs, Quorum(4)); !errors.Is(err, consensus.ErrNoQuorum) {
			t.Fatalf("two signatures pass the unit quorum: %v", err)
		}
	})
}

// The f+1 rule is weight above F: a view change from the heavy sealer
// alone (3 > F = 1) makes the others join; one from a light sealer does not.
func TestWeightedViewChangeRule(t *testing.T) {
	for _, tc := range []struct {
		from  int
		joins bool
	}{{0, true}, {2, false}} {
		c := newCluster(t, 4, func(cfg *Config) { cfg.Weights = heavy })
		c.drop = func(int, int, *Message) bool { return true }
		vc := &Envelope{Type: MsgViewChange, Height: 1, View: 1, Body: encodeCert(&PreparedCert{})}
		if !c.nodes[tc.from].core.sign(vc) {
			t.Fatal("sign")
		}
		to := c.nodes[1]
		if err := to.core.Step(tc.from, EncodeEnvelope(vc, nil)); err != nil {
			t.Fatalf("view change from %d: %v", tc.from, err)
		}
		if st := to.core.Status(); st.ViewChanging != tc.joins || tc.joins && st.View != 1 {
			t.Fatalf("view change from sealer %d (weight %d): status %+v, want joining %v", tc.from, heavy[tc.from], st, tc.joins)
		}
	}
}
