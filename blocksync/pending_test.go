package blocksync

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/ledger"
)

// headSealers knows the sealers of a height only once the block before it
// is committed, as a governance-backed set does.
type headSealers struct {
	l       *ledger.Ledger
	pubs    [][]byte
	pending atomic.Int64 // answers wrapping ErrSealersPending
}

func (s *headSealers) SealersAt(n uint64) ([][]byte, error) {
	if head := s.l.Height(); n > head+1 {
		s.pending.Add(1)
		return nil, fmt.Errorf("%w: block %d, head %d", ErrSealersPending, n, head)
	}
	return s.pubs, nil
}

// TestSealersKnownOnlyAfterParent: a node whose sealer sets follow from
// committed state syncs a whole chain in multi-block responses (the
// certificates above head+1 are checked just before applying), and a peer
// forging the certificate of such a block is penalised then, while no
// honest peer is.
func TestSealersKnownOnlyAfterParent(t *testing.T) {
	sealers := newSealers(t, crypto.ECDSA(), 4)
	c := newTestChain(t, sealers, 1_700_000_000, chainLen)
	var sets []*headSealers
	opt := func() nodeOpt {
		return nodeOpt{sealers: func(l *ledger.Ledger) SealerSet {
			s := &headSealers{l: l, pubs: c.pubs}
			sets = append(sets, s)
			return s
		}}
	}

	t.Run("honest peers", func(t *testing.T) {
		sets = nil
		net := newMemNet()
		p1 := net.addNode(t, c, "peer1", chainLen, nodeOpt{})
		n0 := net.addNode(t, c, "node0", 0, opt())
		waitFor(t, []*testNode{p1, n0}, "node0 to catch up", func() bool { return headOf(n0.ledger) == chainLen })
		sameLedger(t, c, n0.ledger, chainLen)
		if sets[0].pending.Load() == 0 {
			t.Error("no certificate was deferred: the test does not exercise late checks")
		}
		if st := n0.syncer.Stats(); st.Penalties != 0 || st.BadBlocks != 0 {
			t.Errorf("honest peer penalised: %+v", st)
		}
	})

	t.Run("forged deferred certificate", func(t *testing.T) {
		sets = nil
		net := newMemNet()
		forged := byzantineTamper(t, c, nil, forgedCert)
		// The forger serves a valid first block and forged ones after it:
		// only the late check can catch those.
		tamper := func(to PeerID, payload []byte) []byte {
			m, err := DecodeMessage(payload, DefaultMaxMessageSize)
			if err != nil || m.Kind != KindBlocks || len(m.Blocks.Blocks) < 2 {
				return payload
			}
			first := m.Blocks.Blocks[0]
			fm, _ := DecodeMessage(forged(to, payload), DefaultMaxMessageSize)
			fm.Blocks.Blocks[0] = first
			out, err := EncodeMessage(fm)
			if err != nil {
				t.Error(err)
			}
			return out
		}
		byz := net.addNode(t, c, "byz", chainLen, nodeOpt{tamper: tamper})
		n0 := net.addNode(t, c, "node0", 0, opt())
		waitFor(t, []*testNode{byz, n0}, "the forger penalised", func() bool { return n0.syncer.Status().Penalised == 1 })
		if h := headOf(n0.ledger); h > 1 {
			t.Fatalf("node0 committed up to %d from a forger whose blocks above 1 are forged", h)
		}
		h1 := net.addNode(t, c, "honest1", chainLen, nodeOpt{})
		waitFor(t, []*testNode{byz, h1, n0}, "node0 to catch up", func() bool { return headOf(n0.ledger) == chainLen })
		sameLedger(t, c, n0.ledger, chainLen)
		for _, p := range n0.syncer.Peers() {
			switch {
			case p.ID == byz.id && !strings.Contains(p.LastPenalty, consensus.ErrBadCommitSignature.Error()):
				t.Errorf("forger penalised for %q", p.LastPenalty)
			case p.ID != byz.id && p.Penalties != 0:
				t.Errorf("honest peer penalised: %+v", p)
			}
		}
	})
}
