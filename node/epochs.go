package node

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gobcos/gobcos/blocksync"
	"github.com/gobcos/gobcos/consensus"
	pbftengine "github.com/gobcos/gobcos/consensus/pbft/engine"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/network"
	"github.com/gobcos/gobcos/state"
)

// errSealersPending: the sealer set of a height follows from a block this
// node has not committed yet.
var errSealersPending = fmt.Errorf("node: the sealer set of this height: %w", consensus.ErrRulesPending)

// pbftEpoch is the PBFT configuration in force at height on a PBFT chain:
// the governance node list's sealers in list order, their weights when
// the chain's compatibility version at height is 0.3.0 or more (weighted
// PBFT votes; below it every sealer counts 1, whatever its recorded
// weight) and the leader_period system config, all as in force at height
// (a change executed in block h applies from h+1; from compatibility
// version 0.4.0, from h+2). It is readable once block height-1 is
// committed, or block height-2 when the compatibility version in force
// at height-1 is 0.4.0 or later (consensus.Rules.Pipelined): block
// height-1 then changes nothing in force at height. A list without sealers (a store whose
// governance state was never written) means the genesis sealers, each of
// weight 1. A weight recorded above consensus.MaxSealerWeight (possible
// only before 0.3.0, when ConsensusNodes did not bound it) counts as that
// maximum.
func (n *Node) pbftEpoch(height uint64) (pbftengine.Epoch, error) {
	at := max(height, 1) - 1
	head := n.ledger.Height()
	if height > head+2 {
		return pbftengine.Epoch{}, fmt.Errorf("%w: height %d, head %d", errSealersPending, height, head)
	}
	if e, ok := n.gov.epochAt(head, height); ok {
		if height == head+2 && !precompiled.Pipelined(e.compat) {
			return pbftengine.Epoch{}, fmt.Errorf("%w: height %d, head %d, compatibility version %s at %d", errSealersPending, height, head, e.compat, height-1)
		}
		return e.ep, nil
	}
	gen := n.gov.generation()
	if height > head+1 {
		compat, err := read(&backend{n}, head, func(r *state.Reader) (string, error) {
			p, err := precompiled.NewGovernanceReader(r).Params(height - 1)
			return p.Compatibility, err
		})
		if err != nil {
			return pbftengine.Epoch{}, fmt.Errorf("sealer set of height %d: %w", height, err)
		}
		if !precompiled.Pipelined(compat) {
			return pbftengine.Epoch{}, fmt.Errorf("%w: height %d, head %d, compatibility version %s at %d", errSealersPending, height, head, compat, height-1)
		}
		at = head
	}
	type result struct {
		sealers [][]byte
		weights []uint64
		period  uint64
		compat  string // the compatibility version in force at height
	}
	r, err := read(&backend{n}, at, func(r *state.Reader) (result, error) {
		g := precompiled.NewGovernanceReader(r)
		nodes, err := g.Nodes(height)
		if err != nil {
			return result{}, err
		}
		var out result
		for _, x := range nodes {
			if x.Type == precompiled.NodeSealer {
				out.sealers = append(out.sealers, x.ID)
				out.weights = append(out.weights, min(x.Weight, consensus.MaxSealerWeight))
			}
		}
		cfg, err := g.SystemConfig(height)
		if err != nil {
			return result{}, err
		}
		compat := precompiled.CompatV0_1
		if v, ok := cfg[precompiled.KeyCompatibilityVersion]; ok {
			compat = v.Value
		}
		out.compat = compat
		if precompiled.CompareVersions(compat, precompiled.CompatV0_3) < 0 || consensus.UnitWeights(out.weights) {
			out.weights = nil // one vote per sealer
		}
		if v, ok := cfg[precompiled.KeyLeaderPeriod]; ok {
			p, err := strconv.ParseUint(v.Value, 10, 64)
			if err != nil || p == 0 {
				return result{}, fmt.Errorf("system config %s is %q, not a positive integer", precompiled.KeyLeaderPeriod, v.Value)
			}
			out.period = p
		}
		return out, nil
	})
	if err != nil {
		return pbftengine.Epoch{}, fmt.Errorf("sealer set of height %d: %w", height, err)
	}
	if len(r.sealers) == 0 {
		r.weights = nil
		for _, s := range n.genesis.Sealers {
			r.sealers = append(r.sealers, s)
		}
	}
	if r.period == 0 {
		r.period = n.genesis.PBFTLeaderPeriod()
	}
	ep := pbftengine.Epoch{Sealers: r.sealers, Weights: r.weights, LeaderPeriod: r.period}
	n.gov.keepEpoch(gen, head, height, govEpoch{ep: ep, compat: r.compat})
	return ep, nil
}

// pbftSigners is block sync's sealer set on a PBFT chain: the sealers in
// force at each block's height, so that a certificate is checked against
// the set that signed it.
type pbftSigners struct{ n *Node }

func (s pbftSigners) SealersAt(number uint64) ([][]byte, error) {
	sealers, _, err := s.WeightedSealersAt(number)
	return sealers, err
}

// WeightedSealersAt adds the sealers' vote weights in force at the
// block (nil: one vote each), so that block sync checks a certificate
// with the weights that certified it.
func (s pbftSigners) WeightedSealersAt(number uint64) ([][]byte, []uint64, error) {
	ep, err := s.n.pbftEpoch(number)
	if errors.Is(err, errSealersPending) {
		return nil, nil, fmt.Errorf("%w: %w", blocksync.ErrSealersPending, err)
	}
	if err != nil {
		return nil, nil, err
	}
	return ep.Sealers, ep.Weights, nil
}

// setSealers records the PBFT engine's running sealer set, which maps
// consensus messages to and from peers: called by the engine before a
// core of a new configuration sends anything (self is -1 when this node
// is not one of them).
func (n *Node) setSealers(sealers [][]byte, self int) {
	idx := make(map[network.NodeID]int, len(sealers))
	ids := make([]network.NodeID, len(sealers))
	for i, pub := range sealers {
		id, err := network.ParseNodeID(pub)
		if err != nil {
			n.logger.Warn("sealer with an invalid node id; its messages are ignored", "index", i, "err", err)
			continue
		}
		idx[id], ids[i] = i, id
	}
	n.sealerMu.Lock()
	n.sealerIdx, n.sealerIDs = idx, ids
	n.sealerMu.Unlock()
	n.logger.Info("pbft sealer set in force", "height", n.ledger.Height()+1, "sealers", len(sealers), "self", self)
}

// sealerIndex is the index of peer id in the running sealer set.
func (n *Node) sealerIndex(id network.NodeID) (int, bool) {
	n.sealerMu.RLock()
	defer n.sealerMu.RUnlock()
	i, ok := n.sealerIdx[id]
	return i, ok
}

// sealerPeers is the running sealer set's node ids, by index.
func (n *Node) sealerPeers() []network.NodeID {
	n.sealerMu.RLock()
	defer n.sealerMu.RUnlock()
	return n.sealerIDs
}
