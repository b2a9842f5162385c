package pbft

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus/enginetest"
)

func TestNewViewMustCarryPreparedProposal(t *testing.T) {
	c := newCluster(t, 4, nil)
	oldLeader := c.nodes[0].core.Leader(1, 0)
	newLeader := c.nodes[0].core.Leader(1, 1)
	target := -1
	for i := range 4 {
		if i != oldLeader && i != newLeader {
			target = i
		}
	}
	isType := func(m *Message, types ...MsgType) bool {
		for _, ty := range types {
			if m.Kind == KindEnvelope && m.Env.Type == ty {
				return true
			}
		}
		return false
	}
	c.drop = func(from, to int, m *Message) bool { return isType(m, MsgCommit) }
	c.addTxs(2)
	for range 3 {
		c.tick()
	}
	prepared := c.nodes[target].core.round.prepared
	if prepared == nil {
		t.Fatal("not prepared")
	}
	// Everyone times out, but no new view is delivered.
	c.drop = func(from, to int, m *Message) bool { return isType(m, MsgCommit, MsgNewView) }
	var vcs []*Envelope
	c.runUntil(200, "view changes to view 1", func() bool {
		vcs = nil
		for _, nd := range c.nodes {
			for _, e := range nd.sentOf(MsgViewChange) {
				if e.View == 1 && len(vcs) < Quorum(4) {
					vcs = append(vcs, e)
					break
				}
			}
		}
		return len(vcs) == Quorum(4)
	})
	nd := c.nodes[target]
	lc := c.nodes[newLeader].core
	send := func(e *Envelope, p *Proposal) error {
		t.Helper()
		if !lc.sign(e) {
			t.Fatal("sign")
		}
		err := nd.core.Step(newLeader, EncodeEnvelope(e, p))
		c.process(nd)
		return err
	}
	// A new view that drops the prepared proposal is refused.
	bad := &Envelope{Type: MsgNewView, Height: 1, View: 1, Body: encodeRLP(vcs)}
	if err := send(bad, nil); !errors.Is(err, ErrDropBadCertificate) {
		t.Fatalf("new view without the prepared proposal: %v", err)
	}
	// So is one carrying another proposal.
	other := &Proposal{Height: 1, Parent: c.genesis.Hash(c.suite), Timestamp: 5, Proposer: uint64(newLeader),
		Txs: [][]byte{enginetest.MakeTx(c.suite, 77)}}
	bad = &Envelope{Type: MsgNewView, Height: 1, View: 1, Digest: other.Digest(c.suite), Body: encodeRLP(vcs)}
	if err := send(bad, other); !errors.Is(err, ErrDropBadCertificate) {
		t.Fatalf("new view with another proposal: %v", err)
	}
	// A new view with too few view changes is refused.
	bad = &Envelope{Type: MsgNewView, Height: 1, View: 1, Digest: prepared.Digest, Body: encodeRLP(vcs[:2])}
	if err := send(bad, nd.core.round.props[prepared.Digest]); !errors.Is(err, ErrDropBadCertificate) {
		t.Fatalf("new view with 2 view changes: %v", err)
	}
	if st := nd.core.Status(); st.View != 1 || !st.ViewChanging {
		t.Fatalf("a refused new view moved the node: %+v", st)
	}
	// The correct one is accepted and the prepared proposal is decided.
	good := &Envelope{Type: MsgNewView, Height: 1, View: 1, Digest: prepared.Digest, Body: encodeRLP(vcs)}
	if err := send(good, nd.core.round.props[prepared.Digest]); err != nil {
		t.Fatalf("valid new view: %v", err)
	}
	if st := nd.core.Status(); st.View != 1 || st.ViewChanging {
		t.Fatalf("valid new view not entered: %+v", st)
	}
	c.drop = nil
	c.runUntil(300, "block 1", c.allAt(1))
	c.checkChains()
	if common.BytesToHash(c.nodes[target].ledger.Block(1).Header.Extra) != prepared.Digest {
		t.Fatal("the prepared proposal was not the one decided")
	}
}

// TestOnlyFreshNodesJoinHigherViews: a sealer that has not voted at a
// height joins the view f+1 others are in; one that voted must wait for
// a new view.
func TestOnlyFreshNodesJoinHigherViews(t *testing.T) {
	c := newCluster(t, 4, nil)
	leader := c.nodes[0].core.Leader(1, 0)
	var others []int
	for i := range 4 {
		if i != leader {
			others = append(others, i)
		}
	}
	target, a, b := others[0], others[1], others[2]
	nd := c.nodes[target]
	highVote := func(from int) []byte {
		e := &Envelope{Type: MsgPrepare, Height: 1, View: 3, Digest: common.Hash{3}}
		c.nodes[from].core.sign(e)
		return EncodeEnvelope(e, nil)
	}
	_ = nd.core.Step(a, highVote(a))
	c.process(nd)
	if nd.core.Status().View != 0 {
		t.Fatal("joined a higher view on one sealer's word")
	}
	_ = nd.core.Step(b, highVote(b))
	c.process(nd)
	if v := nd.core.Status().View; v != 3 {
		t.Fatalf("fresh node did not join view 3 of f+1 sealers (view %d)", v)
	}

	// A node that voted at the height stays.
	c2 := newCluster(t, 4, nil)
	c2.drop = func(from, to int, m *Message) bool { return to != target }
	c2.addTxs(1)
	c2.tick()
	nd = c2.nodes[target]
	if len(nd.sentOf(MsgPrepare)) != 1 {
		t.Fatal("setup: target did not vote")
	}
	for _, from := range []int{a, b} {
		e := &Envelope{Type: MsgPrepare, Height: 1, View: 3, Digest: common.Hash{3}}
		c2.nodes[from].core.sign(e)
		_ = nd.core.Step(from, EncodeEnvelope(e, nil))
		c2.process(nd)
	}
	if v := nd.core.Status().View; v != 0 {
		t.Fatalf("a node that voted joined view %d without a new view", v)
	}
}
