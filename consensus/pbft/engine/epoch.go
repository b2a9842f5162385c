package engine

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/types"
)

// Epoch is the sealer configuration in force at a height: who votes, in
// which order (a sealer's index is its id in messages and certificates),
// with which vote weights, and how long each leader proposes. An epoch is
// the run of heights that share one configuration.
type Epoch struct {
	Sealers [][]byte // uncompressed public keys
	// Weights are the sealers' vote weights, by index (pbft.Config.Weights);
	// nil means 1 each, and so do weights that are all 1: such an epoch is
	// the same configuration as one without weights.
	Weights      []uint64
	LeaderPeriod uint64
}

// weighted reports whether some sealer's vote weighs other than 1.
func (ep Epoch) weighted() bool { return !consensus.UnitWeights(ep.Weights) }

// Equal reports whether two configurations are the same.
func (ep Epoch) Equal(o Epoch) bool {
	if ep.LeaderPeriod != o.LeaderPeriod || len(ep.Sealers) != len(o.Sealers) {
		return false
	}
	for i := range ep.Sealers {
		if !bytes.Equal(ep.Sealers[i], o.Sealers[i]) {
			return false
		}
	}
	if ep.weighted() || o.weighted() {
		return slices.Equal(ep.Weights, o.Weights)
	}
	return true
}

// id identifies a configuration: the hash of its sealers and leader
// period, and of its weights when some are not 1 (so an epoch of unit
// weights has the id it had before weights existed).
func (e *Engine) epochID(ep Epoch) common.Hash {
	var b []byte
	b = binary.BigEndian.AppendUint64(b, ep.LeaderPeriod)
	for _, s := range ep.Sealers {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	if ep.weighted() {
		b = append(b, "/weights"...)
		for _, w := range ep.Weights {
			b = binary.BigEndian.AppendUint64(b, w)
		}
	}
	return e.suite.Hash([]byte("gobcos/pbft/epoch/v1"), b)
}

// domainFor is the signing domain of a configuration. The initial one
// (Params.Core) keeps Core.Domain, so a chain whose sealers never change
// signs exactly as before; every other configuration appends its id, so a
// message signed in one epoch never verifies in another, whatever the
// sealers' indexes.
func (e *Engine) domainFor(ep Epoch) []byte {
	if ep.Equal(e.initial) {
		return e.baseDomain
	}
	id := e.epochID(ep)
	return fmt.Appendf(bytes.Clone(e.baseDomain), "/epoch/%s", hex.EncodeToString(id[:]))
}

// selfIn is this node's index in ep's sealers, or -1.
func (e *Engine) selfIn(ep Epoch) int {
	pub := e.ccfg.Key.PublicKey()
	for i, s := range ep.Sealers {
		if bytes.Equal(s, pub) {
			return i
		}
	}
	return -1
}

// epochOf asks Params.Epochs for the configuration in force at height;
// without Epochs it is the initial one.
func (e *Engine) epochOf(height uint64) (Epoch, error) {
	if e.epochs == nil {
		return e.initial, nil
	}
	ep, err := e.epochs(height)
	if err != nil {
		return Epoch{}, err
	}
	if len(ep.Sealers) == 0 {
		return Epoch{}, fmt.Errorf("%w: no sealers at height %d", ErrInvalidConfig, height)
	}
	if _, err := consensus.TotalWeight(len(ep.Sealers), ep.Weights); err != nil {
		return Epoch{}, fmt.Errorf("%w: height %d: %w", ErrInvalidConfig, height, err)
	}
	if !ep.weighted() {
		ep.Weights = nil
	}
	if ep.LeaderPeriod == 0 {
		ep.LeaderPeriod = 1
	}
	return ep, nil
}

// checkEpoch reads the configuration of the height after head when head
// moved since the last check, and switches epochs when it changed. The
// driver calls it before the core handles anything after a commit, so a
// core never votes at a height outside its configuration. While the
// configuration cannot be read the engine idles (no core) and retries.
func (e *Engine) checkEpoch(head *types.Header) {
	if e.epochs == nil && e.known || head.Number <= e.checked && e.known {
		return
	}
	ep, err := e.epochOf(head.Number + 1)
	if err == nil {
		e.checked = head.Number
		if e.known && ep.Equal(e.ep) {
			return
		}
		err = e.switchEpoch(head, ep)
	}
	if err != nil {
		if e.epochErr != err.Error() {
			e.log.Warn("cannot set up the sealer set of the next height; consensus pauses here until it can", "height", head.Number+1, "err", err)
		}
		e.epochErr = err.Error()
		wasActive := e.core != nil || e.known
		e.retireCore()
		e.known, e.core = false, nil
		if wasActive {
			e.publishRole(-1)
		}
		return
	}
	e.epochErr = ""
}

// switchEpoch starts the configuration ep at head+1: a new core when this
// node is one of its sealers, none (idle, following by block sync) when
// not. The core of the previous configuration is dropped with whatever it
// had not handed out yet; the persisted consensus state is restored only
// into the configuration it was written by (a restart within an epoch):
// the votes of another epoch are signed under another domain and count
// nowhere else.
func (e *Engine) switchEpoch(head *types.Header, ep Epoch) error {
	prev, prevKnown := e.ep, e.known
	e.ep, e.epID, e.known = ep, e.epochID(ep), false
	e.ccfg.Sealers, e.ccfg.Weights, e.ccfg.LeaderPeriod, e.ccfg.Domain = ep.Sealers, ep.Weights, ep.LeaderPeriod, e.domainFor(ep)
	e.retireCore()
	e.core, e.base = nil, head.Number
	clear(e.execs)
	e.waiting = e.waiting[:0]
	e.traces.forget(head.Number)
	self := e.selfIn(ep)
	if prevKnown {
		total, _ := consensus.TotalWeight(len(ep.Sealers), ep.Weights) // checked by epochOf
		e.log.Info("sealer set changed: new epoch", "height", head.Number+1, "sealers", len(ep.Sealers), "was", len(prev.Sealers),
			"weights", ep.Weights, "leaderPeriod", ep.LeaderPeriod, "sealer", self,
			"quorumWeight", consensus.QuorumWeight(total), "totalWeight", total)
	}
	if self >= 0 {
		var hs *pbft.HardState
		if e.lastHSID == e.epID {
			hs = e.lastHS
		}
		if e.maxWindow > 1 {
			e.known = true // for windowAbove; reset below on failure
			e.ccfg.Window = e.windowAbove(head.Number)
			e.known = false
		}
		core, err := pbft.New(e.ccfg, head, hs, e.st.loadProposal)
		if err != nil {
			return err
		}
		e.core = core
		e.core.SetTxsAvailable(e.available)
		e.tryProp = true
	}
	e.known = true
	// The transport learns the new indexes before the core sends anything.
	e.publishRole(self)
	return nil
}

// publishRole records this node's index in the running configuration (-1:
// not a sealer, or unknown) and tells Params.OnEpoch.
func (e *Engine) publishRole(self int) {
	e.self.Store(int64(self))
	if e.onEpoch != nil {
		var sealers [][]byte
		if e.known {
			sealers = e.ep.Sealers
		}
		e.onEpoch(sealers, self)
	}
}

// initialEpoch is the configuration of Params.Core.
func initialEpoch(c pbft.Config) Epoch {
	ep := Epoch{Sealers: c.Sealers, Weights: c.Weights, LeaderPeriod: c.LeaderPeriod}
	if !ep.weighted() {
		ep.Weights = nil
	}
	return ep
}
