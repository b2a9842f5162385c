package pbft

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus/enginetest"
)

// TestDropsCountedPerReason sends one bad message per reason and checks
// the error Step returns and the counter it increments.
func TestDropsCountedPerReason(t *testing.T) {
	c := newCluster(t, 4, nil)
	leader := c.nodes[0].core.Leader(1, 0)
	target := (leader + 1) % 4
	other := (leader + 2) % 4
	nd := c.nodes[target]
	signed := func(from int, e *Envelope) *Envelope {
		t.Helper()
		if !c.nodes[from].core.sign(e) {
			t.Fatal("sign")
		}
		return e
	}
	prop := &Proposal{Height: 1, Parent: c.genesis.Hash(c.suite), Timestamp: 1, Proposer: uint64(leader),
		Txs: [][]byte{enginetest.MakeTx(c.suite, 1)}}
	prepare := func(from int, d common.Hash) []byte {
		return EncodeEnvelope(signed(from, &Envelope{Type: MsgPrepare, Height: 1, Digest: d}), nil)
	}
	good := prepare(other, prop.Digest(c.suite))
	badSig := signed(other, &Envelope{Type: MsgPrepare, Height: 1, Digest: common.Hash{7}})
	badSig.Sig[0] ^= 1
	badParent := *prop
	badParent.Parent = common.Hash{1}
	badParent.enc, badParent.hashed = nil, false
	fakeCert := signed(other, &Envelope{Type: MsgViewChange, Height: 1, View: 1,
		Body: encodeCert(&PreparedCert{View: 0, Digest: common.Hash{2}, Prepares: []*Envelope{
			signed(other, &Envelope{Type: MsgPrepare, Height: 1, Digest: common.Hash{2}})}})})

	cases := []struct {
		name   string
		from   int
		data   []byte
		reason DropReason
	}{
		{"transport peer not a sealer", -1, good, DropNotSealer},
		{"unknown sender index", other, EncodeEnvelope(&Envelope{Type: MsgPrepare, Height: 1, Sender: 9, Sig: []byte{1}}, nil), DropNotSealer},
		{"oversize", other, make([]byte, c.cfg.MaxMessageSize+1), DropOversize},
		{"malformed", other, []byte{0xc3, 0x01, 0x02}, DropMalformed},
		{"bad signature", other, EncodeEnvelope(badSig, nil), DropBadSignature},
		{"old height", other, EncodeEnvelope(signed(other, &Envelope{Type: MsgPrepare, Height: 0}), nil), DropOldHeight},
		{"far future height", other, EncodeEnvelope(signed(other, &Envelope{Type: MsgPrepare, Height: 50}), nil), DropFutureHeight},
		{"accepted prepare", other, good, -1},
		{"duplicate", other, good, DropDuplicate},
		{"replay by another peer", leader, good, DropDuplicate},
		{"equivocating prepare", other, prepare(other, common.Hash{9}), DropEquivocation},
		{"pre-prepare from a non-leader", other,
			EncodeEnvelope(signed(other, &Envelope{Type: MsgPrePrepare, Height: 1, Digest: prop.Digest(c.suite)}), prop), DropNotLeader},
		{"invalid proposal", leader,
			EncodeEnvelope(signed(leader, &Envelope{Type: MsgPrePrepare, Height: 1, Digest: badParent.Digest(c.suite)}), &badParent), DropInvalidProposal},
		{"forged prepared certificate", other, EncodeEnvelope(fakeCert, nil), DropBadCertificate},
		{"view change to view 0", other, EncodeEnvelope(signed(other, &Envelope{Type: MsgViewChange, Height: 1,
			Body: encodeCert(nil)}), nil), DropUnexpected},
		// The invalid proposal made the target start a view change to view 1.
		{"old view", other, prepare(other, common.Hash{5}), DropOldView},
		{"view too far ahead", other, EncodeEnvelope(signed(other, &Envelope{Type: MsgPrepare, Height: 1, View: 40}), nil), DropFutureView},
	}
	for _, tc := range cases {
		before := nd.core.Drops()
		err := nd.core.Step(tc.from, tc.data)
		after := nd.core.Drops()
		if tc.reason < 0 {
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, tc.reason.Err()) {
			t.Fatalf("%s: error %v, want %v", tc.name, err, tc.reason.Err())
		}
		if after[tc.reason] != before[tc.reason]+1 || after.Total() != before.Total()+1 {
			t.Fatalf("%s: counters %v -> %v, want one more %s", tc.name, before.Map(), after.Map(), tc.reason)
		}
		c.process(nd)
	}
	if nd.core.Status().View != 1 {
		t.Fatalf("an invalid proposal from the leader should start a view change; view %d", nd.core.Status().View)
	}
	m := nd.core.Drops().Map()
	if _, ok := m[DropSurplus.String()]; ok || len(m) != int(numDropReasons)-1 {
		t.Fatalf("not every reason but surplus (TestSurplusPrepareNotVerified) was counted: %v", m)
	}
}

// TestSurplusPrepareNotVerified: once a sealer has sent its commit in a
// view, a prepare of that view is dropped as surplus before its signature
// is checked (a tampered one too: without the surplus rule it would be
// checked, and dropped for its bad signature), and the rounds go on.
func TestSurplusPrepareNotVerified(t *testing.T) {
	c := newCluster(t, 4, nil)
	leader := c.nodes[0].core.Leader(1, 0)
	target := (leader + 1) % 4
	late := (leader + 2) % 4
	nd := c.nodes[target]
	var held *Envelope
	holding := true
	c.drop = func(from, to int, m *Message) bool {
		if !holding || to != target || m.Kind != KindEnvelope {
			return false
		}
		switch {
		case m.Env.Type == MsgPrepare && from == late:
			held = m.Env
			return true
		case m.Env.Type == MsgCommit:
			return true // the target stays at height 1 after its commit
		}
		return false
	}
	c.addTxs(2)
	c.runUntil(50, "the target sent its commit", func() bool { return len(nd.sentOf(MsgCommit)) > 0 })
	if held == nil {
		t.Fatal("the late sealer's prepare was never sent")
	}
	if nd.core.Status().Height != 1 {
		t.Fatalf("target at height %d, want 1", nd.core.Status().Height)
	}

	tampered := *held
	tampered.Sig = append([]byte(nil), held.Sig...)
	tampered.Sig[0] ^= 1
	for _, e := range []*Envelope{&tampered, held} {
		before := nd.core.Drops()
		if err := nd.core.Step(late, EncodeEnvelope(e, nil)); !errors.Is(err, ErrDropSurplus) {
			t.Fatalf("a prepare after the commit: error %v, want %v", err, ErrDropSurplus)
		}
		if after := nd.core.Drops(); after[DropSurplus] != before[DropSurplus]+1 || after[DropBadSignature] != before[DropBadSignature] {
			t.Fatalf("counters %v -> %v, want one more surplus", before.Map(), after.Map())
		}
	}

	holding = false
	c.addTxs(3)
	c.runUntil(200, "5 txs committed everywhere", c.allCommitted(5))
	c.checkChains()
}

// countingSuite is fastSuite counting its Verify calls.
type countingSuite struct {
	fastSuite
	verifies *int
}

func (s countingSuite) Verify(pub, digest, sig []byte) error {
	*s.verifies++
	return s.fastSuite.Verify(pub, digest, sig)
}

// TestSurplusSavesChecks: over 30 heights of one tx each, the 4 sealers
// of the test network check fewer than 8 signatures per height each (7.5;
// 8.5 without the surplus rule), and every one of them skipped surplus
// prepares.
func TestSurplusSavesChecks(t *testing.T) {
	verifies := 0
	c := newSuiteCluster(t, countingSuite{verifies: &verifies}, 4, nil)
	verifies = 0
	const heights = 30
	for h := uint64(1); h <= heights; h++ {
		c.addTxs(1)
		c.runUntil(100, "the next height committed everywhere", c.allAt(h))
	}
	perNode := float64(verifies) / heights / 4 // before checkChains, which checks certificates
	t.Logf("%.2f signature checks per height per sealer", perNode)
	if perNode >= 8 {
		t.Fatalf("%.2f signature checks per height per sealer, want fewer than 8", perNode)
	}
	c.checkChains()
	for _, nd := range c.nodes {
		if nd.core.Drops()[DropSurplus] == 0 {
			t.Fatalf("node %d skipped no surplus prepare", nd.idx)
		}
	}
}
