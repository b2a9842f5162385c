package raft

import (
	"errors"
	"slices"
	"testing"
)

// TestMembershipChanges adds a learner (it follows the log), promotes it
// to voter, removes a voter, and checks one change at a time.
func TestMembershipChanges(t *testing.T) {
	c := newCluster(t, 4, 3, func(cfg *Config) { cfg.SnapshotEntries = 8; cfg.KeepEntries = 2 })
	c.submit(3)
	c.runUntil(300, "commit", func() bool { return c.allCommitted(0, 1, 2) })
	ld := c.leader()
	follower := (ld + 1) % 3
	newPub := c.pubs[3]
	newID := NodeID(c.suite, newPub)

	if err := c.nodes[follower].core.ProposeConfChange(AddLearner, newPub); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("follower proposed a change: %v", err)
	}
	if err := c.nodes[ld].core.ProposeConfChange(AddVoter, c.pubs[ld]); !errors.Is(err, ErrBadConfChange) {
		t.Fatalf("re-adding a voter: %v", err)
	}
	if err := c.nodes[ld].core.ProposeConfChange(AddLearner, newPub); err != nil {
		t.Fatal(err)
	}
	if err := c.nodes[ld].core.ProposeConfChange(AddVoter, newPub); !errors.Is(err, ErrConfChangePending) {
		t.Fatalf("second change while one is pending: %v", err)
	}
	c.runUntil(300, "learner added", func() bool {
		return slices.Contains(c.nodes[ld].core.Status().Learners, newID)
	})
	c.submit(3)
	c.runUntil(600, "learner follows the chain", func() bool { return c.allCommitted(0, 1, 2, 3) })
	if st := c.nodes[3].core.Status(); !slices.Contains(st.Learners, newID) || st.State == "StateLeader" {
		t.Fatalf("learner status %+v", st)
	}

	ld = c.leader()
	if err := c.nodes[ld].core.ProposeConfChange(AddVoter, newPub); err != nil {
		t.Fatal(err)
	}
	c.runUntil(300, "learner promoted", func() bool {
		return len(c.nodes[3].core.Status().Voters) == 4
	})
	c.submit(3)
	c.runUntil(600, "commit with 4 voters", func() bool { return c.allCommitted(0, 1, 2, 3) })
	// Blocks the new voter signs name it in the signer list.
	if got := len(c.nodes[0].core.Signers()); got != 4 {
		t.Fatalf("signer list has %d keys", got)
	}

	// Remove the current leader: it steps down, the others go on.
	ld = c.leader()
	removed := NodeID(c.suite, c.pubs[ld])
	if err := c.nodes[ld].core.ProposeConfChange(Remove, c.pubs[ld]); err != nil {
		t.Fatal(err)
	}
	rest := []int{}
	for i := range 4 {
		if i != ld {
			rest = append(rest, i)
		}
	}
	c.runUntil(600, "leader removed", func() bool {
		for _, i := range rest {
			if slices.Contains(c.nodes[i].core.Status().Voters, removed) {
				return false
			}
		}
		return true
	})
	c.stop(ld)
	c.submit(4)
	c.runUntil(1000, "commit after removal", func() bool { return c.allCommitted(rest...) })
	c.sameChains()
	for _, i := range rest {
		if st := c.nodes[i].core.Status(); len(st.Voters) != 3 || st.Stats.ConfChanges != 3 {
			t.Fatalf("node %d: %+v", i, st)
		}
	}

	// A restarted member rebuilds the configuration from its store.
	c.stop(rest[0])
	c.start(rest[0])
	c.submit(2)
	c.runUntil(1000, "commit after restart", func() bool { return c.allCommitted(rest...) })
	if st := c.nodes[rest[0]].core.Status(); len(st.Voters) != 3 {
		t.Fatalf("restarted node sees voters %v", st.Voters)
	}
}

func TestLastVoterCannotLeave(t *testing.T) {
	c := newCluster(t, 1, 1, nil)
	c.runUntil(100, "single node leads", func() bool { return c.leader() == 0 })
	for _, ct := range []ChangeType{Remove, AddLearner} {
		if err := c.nodes[0].core.ProposeConfChange(ct, c.pubs[0]); !errors.Is(err, ErrBadConfChange) {
			t.Fatalf("%v of the last voter: %v", ct, err)
		}
	}
	c.submit(3)
	c.runUntil(100, "single node commits", func() bool { return c.allCommitted(0) })
}

// TestReconcile drives the configuration from a wanted node list, one
// change at a time, whichever node leads.
func TestReconcile(t *testing.T) {
	c := newCluster(t, 5, 3, nil)
	c.submit(2)
	c.runUntil(300, "commit", func() bool { return c.allCommitted(0, 1, 2) })
	voters := [][]byte{c.pubs[1], c.pubs[2], c.pubs[3]}
	learners := [][]byte{c.pubs[4], c.pubs[0]}
	want := func(list [][]byte) []uint64 {
		var ids []uint64
		for _, p := range list {
			ids = append(ids, NodeID(c.suite, p))
		}
		slices.Sort(ids)
		return ids
	}
	reached := func() bool {
		for _, i := range []int{1, 2, 3} {
			st := c.nodes[i].core.Status()
			v, l := slices.Sorted(slices.Values(st.Voters)), slices.Sorted(slices.Values(st.Learners))
			if !slices.Equal(v, want(voters)) || !slices.Equal(l, want(learners)) {
				return false
			}
		}
		return true
	}
	steps := 0
	c.runUntil(2000, "wanted configuration", func() bool {
		for _, n := range c.nodes {
			if n.core == nil {
				continue
			}
			ok, err := n.core.Reconcile(voters, learners)
			if err != nil {
				t.Fatalf("node %d: %v", n.i, err)
			}
			if ok {
				steps++
			}
		}
		return reached()
	})
	if steps != 3 { // add voter 3, add learner 4, demote 0
		t.Fatalf("%d changes proposed, want 3", steps)
	}
	c.submit(4)
	c.runUntil(1000, "commit with the new configuration", func() bool { return c.allCommitted(0, 1, 2, 3, 4) })
	c.sameChains()
	if _, err := c.nodes[1].core.Reconcile(nil, learners); !errors.Is(err, ErrBadConfChange) {
		t.Fatalf("empty voter list: %v", err)
	}
}
