package raft

import (
	"fmt"
	"slices"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// ChangeType is a membership change.
type ChangeType int

// Membership changes.
const (
	AddVoter   ChangeType = iota // add a node as voter, or promote a learner
	AddLearner                   // add a node as learner (an observer fed by the log), or demote a voter
	Remove                       // remove a voter or learner
)

func (t ChangeType) String() string {
	switch t {
	case AddVoter:
		return "add-voter"
	case AddLearner:
		return "add-learner"
	case Remove:
		return "remove"
	}
	return fmt.Sprintf("change(%d)", int(t))
}

// ProposeConfChange proposes one membership change for the node with
// public key pub. Only the leader proposes (ErrNotLeader elsewhere: the
// caller, for example the governance module reacting to a node-list change
// on every node, can ignore it), and only one change at a time: while a
// change is proposed but not applied, ErrConfChangePending. Changes that
// would leave no voter, or that change nothing, are refused.
func (c *Core) ProposeConfChange(t ChangeType, pub []byte) error {
	if c.err != nil {
		return c.err
	}
	if !c.IsLeader() {
		return ErrNotLeader
	}
	if len(pub) == 0 {
		return fmt.Errorf("%w: no public key", ErrBadConfChange)
	}
	if c.confPending() {
		return ErrConfChangePending
	}
	id := NodeID(c.cfg.Suite, pub)
	if err := c.validChange(t, id); err != nil {
		return err
	}
	cc := &pb.ConfChange{NodeId: proto.Uint64(id), Context: pub}
	switch t {
	case AddVoter:
		cc.Type = pb.ConfChangeAddNode.Enum()
	case AddLearner:
		cc.Type = pb.ConfChangeAddLearnerNode.Enum()
	default:
		cc.Type = pb.ConfChangeRemoveNode.Enum()
	}
	if err := c.rn.ProposeConfChange(cc); err != nil {
		return fmt.Errorf("%w: %v", ErrBadConfChange, err)
	}
	c.log.Info("membership change proposed", "change", t, "id", id)
	return c.Process()
}

// confPending reports whether a conf change entry is in the log past the
// applied index.
func (c *Core) confPending() bool {
	for _, e := range c.queue {
		if e.GetType() != pb.EntryNormal {
			return true
		}
	}
	last, err := c.st.LastIndex()
	if err != nil || last <= c.applied {
		return false
	}
	first, _ := c.st.FirstIndex()
	ents, err := c.st.Entries(max(c.applied+1, first), last+1, 1<<62)
	if err != nil {
		return true // cannot tell: be safe
	}
	for _, e := range ents {
		if e.GetType() != pb.EntryNormal {
			return true
		}
	}
	return false
}

// validChange checks a change against the applied configuration; every
// replica makes the same check when applying it.
func (c *Core) validChange(t ChangeType, id uint64) error {
	voter := slices.Contains(c.conf.GetVoters(), id)
	learner := slices.Contains(c.conf.GetLearners(), id)
	lastVoter := voter && len(c.conf.GetVoters()) == 1
	switch {
	case t == AddVoter && voter, t == AddLearner && learner:
		return fmt.Errorf("%w: %s of node %d changes nothing", ErrBadConfChange, t, id)
	case t == Remove && !voter && !learner:
		return fmt.Errorf("%w: node %d is not a member", ErrBadConfChange, id)
	case (t == Remove || t == AddLearner) && lastVoter:
		return fmt.Errorf("%w: node %d is the last voter", ErrBadConfChange, id)
	case len(c.conf.GetVotersOutgoing()) > 0:
		return fmt.Errorf("%w: the configuration is joint", ErrBadConfChange)
	}
	return nil
}

// applyConfChange applies a committed conf change entry; an invalid one is
// applied as raft's no-op change.
func (c *Core) applyConfChange(e *pb.Entry) error {
	cc := new(pb.ConfChange)
	if err := proto.Unmarshal(e.GetData(), cc); err != nil {
		cc = &pb.ConfChange{}
	}
	var t ChangeType
	switch cc.GetType() {
	case pb.ConfChangeAddNode:
		t = AddVoter
	case pb.ConfChangeAddLearnerNode:
		t = AddLearner
	case pb.ConfChangeRemoveNode:
		t = Remove
	default:
		t = -1
	}
	pub := cc.GetContext()
	id := cc.GetNodeId()
	valid := t >= 0 && len(pub) > 0 && id != 0 && NodeID(c.cfg.Suite, pub) == id && c.validChange(t, id) == nil
	if !valid {
		c.log.Warn("invalid membership change skipped", "index", e.GetIndex())
		cc = &pb.ConfChange{Type: pb.ConfChangeAddNode.Enum(), NodeId: proto.Uint64(0)}
	} else if t != Remove {
		c.addSigner(pub)
	}
	c.conf = c.rn.ApplyConfChange(cc)
	if valid {
		c.stats.ConfChanges++
		c.log.Info("membership change applied", "change", t, "id", id, "voters", c.conf.GetVoters(), "learners", c.conf.GetLearners())
	}
	return c.st.saveConfState(c.conf)
}

// Reconcile moves the configuration one step toward the wanted node list:
// on the leader, when no change is pending, it proposes the first
// difference (a missing voter is added or promoted, then a missing learner
// added or a voter demoted, then a member in neither list removed) and
// reports true. It is the hook for governance: every node can call it with
// the node list after each change, and call it again (for example on every
// tick) until it reports false with no error, which means the list is
// reached or this node is not the one to act.
func (c *Core) Reconcile(voters, learners [][]byte) (bool, error) {
	if c.err != nil {
		return false, c.err
	}
	if len(voters) == 0 {
		return false, fmt.Errorf("%w: no voter in the wanted list", ErrBadConfChange)
	}
	if !c.IsLeader() || c.confPending() {
		return false, nil
	}
	wantVoter := make(map[uint64]bool, len(voters))
	wantLearner := make(map[uint64]bool, len(learners))
	for _, pub := range voters {
		id := NodeID(c.cfg.Suite, pub)
		wantVoter[id] = true
		if !slices.Contains(c.conf.GetVoters(), id) {
			return true, c.ProposeConfChange(AddVoter, pub)
		}
	}
	for _, pub := range learners {
		id := NodeID(c.cfg.Suite, pub)
		if wantVoter[id] {
			continue
		}
		wantLearner[id] = true
		if !slices.Contains(c.conf.GetLearners(), id) {
			return true, c.ProposeConfChange(AddLearner, pub)
		}
	}
	members := append(slices.Clone(c.conf.GetVoters()), c.conf.GetLearners()...)
	slices.SortFunc(members, func(a, b uint64) int { // the leader itself last
		if (a == c.id) != (b == c.id) {
			if a == c.id {
				return 1
			}
			return -1
		}
		return cmpUint(a, b)
	})
	for _, id := range members {
		if wantVoter[id] || wantLearner[id] {
			continue
		}
		pub, ok := c.byID[id]
		if !ok {
			return false, fmt.Errorf("%w: member %d has no known key", ErrBadConfChange, id)
		}
		return true, c.ProposeConfChange(Remove, pub)
	}
	return false, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
