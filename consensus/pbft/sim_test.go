package pbft

import (
	"fmt"
	"math/rand/v2"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/enginetest"
	"github.com/gobcos/gobcos/crypto"
)

// simFactory plugs the PBFT core into the enginetest harness: each
// replica is a small driver (the shape of the future real one) that
// persists the Ready's state in the host's store, sends its messages,
// verifies and executes with the harness's fake pool and executor, and
// commits to the host's ledger.
type simFactory struct {
	suite   crypto.Suite
	keys    []crypto.PrivateKey
	sealers [][]byte
	cfg     Config
	// signed records, per honest sealer, the digest of everything it
	// signed by (type, height, view), across restarts: an honest sealer
	// must never sign two digests for one key.
	signed map[signKey]common.Hash
	// decided is the proposal digest honest sealers decided at each
	// height: ordering must agree even where no block is committed yet.
	decided map[uint64]common.Hash
	// cores are the latest core of every replica, for the run's totals.
	cores []*Core
	// retired sums the counters of cores lost in crashes.
	retired simTotals
}

// simTotals are counters summed over a run's cores.
type simTotals struct {
	drops DropCounts
	stats Stats
	runs  int
}

func (t *simTotals) add(c *Core) {
	for i, n := range c.drops {
		t.drops[i] += n
	}
	s := c.stats
	t.stats.ViewChanges += s.ViewChanges
	t.stats.NewViews += s.NewViews
	t.stats.Decided += s.Decided
	t.stats.Finalized += s.Finalized
	t.stats.CatchupSent += s.CatchupSent
	t.stats.SyncRequests += s.SyncRequests
	t.stats.ExecMismatches += s.ExecMismatches
	t.stats.Refusals += s.Refusals
}

func (t *simTotals) merge(o *simTotals) {
	for i, n := range o.drops {
		t.drops[i] += n
	}
	t.add(&Core{stats: o.stats})
	t.runs += o.runs
}

// totals sums the counters of every core of the run.
func (f *simFactory) totals() *simTotals {
	t := f.retired
	for _, c := range f.cores {
		if c != nil {
			t.add(c)
		}
	}
	t.runs = 1
	return &t
}

type signKey struct {
	sealer int
	typ    MsgType
	height uint64
	view   uint64
}

// newSimFactory makes the replicas' configuration; weights (nil: 1
// each) are the sealers' vote weights.
func newSimFactory(suite crypto.Suite, n int, seed uint64, weights []uint64) *simFactory {
	keys, pubs := testKeys(suite, n, seed%7)
	rng := rand.New(rand.NewPCG(seed, 42))
	cfg := Config{
		Suite: suite, Sealers: pubs, Weights: weights, Domain: []byte("enginetest"),
		LeaderPeriod:     1 + rng.Uint64N(3),
		Window:           1 + rng.Uint64N(3),
		MaxBlockTxs:      []int{4, 16, 64}[rng.IntN(3)],
		MaxProposalBytes: 1 << 20,
		MaxMessageSize:   4 << 20,
		MinSealTicks:     rng.Uint64N(3),
		TimeoutTicks:     30,
		MaxTimeoutShift:  3,
		HeartbeatTicks:   8,
		ResendTicks:      10,
		SyncTicks:        40,
		RetainBlocks:     8,
	}
	return &simFactory{suite: suite, keys: keys, sealers: pubs, cfg: cfg, signed: make(map[signKey]common.Hash),
		decided: make(map[uint64]common.Hash), cores: make([]*Core, n)}
}

func (f *simFactory) SupportsByzantine() bool { return true }

func (f *simFactory) VerifyBlock(b *enginetest.Block) error {
	total, err := consensus.TotalWeight(len(f.sealers), f.cfg.Weights)
	if err != nil {
		return err
	}
	return consensus.VerifyCommitWeighted(f.suite, b.Header, f.sealers, f.cfg.Weights, consensus.QuorumWeight(total))
}

func (f *simFactory) NewReplica(h *enginetest.Host, byz bool) (enginetest.Replica, error) {
	var hs *HardState
	if b := h.Store.Get("hs"); b != nil {
		var err error
		if hs, err = DecodeHardState(b); err != nil {
			return nil, err
		}
	}
	load := func(d common.Hash) (*Proposal, error) {
		b := h.Store.Get("p/" + d.Hex())
		if b == nil {
			return nil, fmt.Errorf("proposal %s not stored", d)
		}
		return DecodeProposal(b)
	}
	cfg := f.cfg
	cfg.Key = f.keys[h.ID]
	cfg.Incarnation = h.Incarnation
	core, err := New(cfg, h.Ledger.Head(), hs, load)
	if err != nil {
		return nil, err
	}
	if old := f.cores[h.ID]; old != nil {
		f.retired.add(old)
	}
	f.cores[h.ID] = core
	r := &simReplica{f: f, h: h, core: core}
	if byz {
		r.byz = newByzantine(r)
	}
	r.process()
	return r, nil
}

type simReplica struct {
	f         *simFactory
	h         *enginetest.Host
	core      *Core
	byz       *byzantine
	exec      *ExecRequest
	execAt    uint64
	lastRound uint64
	// unsynced holds the writes of Readys that did not ask for sync, as
	// a disk's cache would: a crash loses them (the replica is dropped),
	// the next Ready with MustSync makes them durable.
	unsynced map[string][]byte
}

func (r *simReplica) Deliver(from int, data []byte) {
	if r.byz != nil {
		r.byz.remember(data)
	}
	_ = r.core.Step(from, data)
	r.process()
}

func (r *simReplica) Tick() {
	r.runExec()
	pending := txsOf(r.core.pending(r.core.round.height))
	r.core.SetTxsAvailable(len(r.h.Available(pending, 1)) > 0)
	r.core.Tick()
	r.propose()
	if r.byz != nil {
		r.byz.tick()
	}
	r.process()
}

func (r *simReplica) DeliverBlocks(blocks []*enginetest.Block) {
	for _, b := range blocks {
		if err := r.core.SyncedBlock(b.Header, b.Txs); err != nil {
			break
		}
		r.process()
	}
	r.process()
}

func (r *simReplica) propose() {
	req, ok := r.core.ProposalWanted()
	if !ok {
		return
	}
	txs := r.h.Available(txsOf(req.Pending), req.MaxTxs)
	if len(txs) == 0 {
		return
	}
	if r.byz != nil && r.byz.rng.Float64() < r.byz.pInvalid/2 {
		txs = r.byz.badTxs(txs)
	}
	_ = r.core.Propose(txs, r.h.Now()/10)
}

func (r *simReplica) runExec() {
	if r.exec == nil || r.h.Now() < r.execAt {
		return
	}
	req := r.exec
	r.exec = nil
	hdr := enginetest.Execute(r.f.suite, req.Parent, req.Proposal.Timestamp, req.Sealer, req.Proposal.Txs)
	if err := r.core.Executed(req.Height, hdr, nil); err != nil {
		r.h.Violation("execution result refused: %v", err)
	}
}

// process is the driver loop: persist, send, commit, advance, then start
// verification and execution.
func (r *simReplica) process() {
	if r.byz == nil {
		for _, d := range r.core.chain {
			if prev, ok := r.f.decided[d.height]; !ok {
				r.f.decided[d.height] = d.digest
			} else if prev != d.digest {
				r.h.Violation("decided %s at height %d, another honest sealer decided %s", d.digest, d.height, prev)
			}
		}
		if h := r.core.round.height; h > r.lastRound {
			// A crash point right after a decision (written without
			// sync, so lost by the crash unless a vote's write made it
			// durable): the others must not decide otherwise while this
			// one is down.
			r.lastRound = h
			r.h.CrashPoint(0.01)
		}
	}
	for r.core.HasReady() {
		rd := r.core.Ready()
		if r.unsynced == nil {
			r.unsynced = make(map[string][]byte)
		}
		for _, p := range rd.Proposals {
			r.unsynced["p/"+p.Digest(r.f.suite).Hex()] = p.Encode()
		}
		if rd.State != nil {
			r.unsynced["hs"] = EncodeHardState(rd.State)
		}
		if rd.MustSync {
			// The store and the ledger share one log, written in order:
			// this synced write carries the commits of earlier Readys.
			for k, v := range r.unsynced {
				r.h.Store.Put(k, v)
			}
			clear(r.unsynced)
			r.h.SyncLedger()
		}
		for _, m := range rd.Messages {
			if r.byz != nil {
				r.byz.send(m)
				continue
			}
			r.checkSigned(m.Data)
			r.h.Send(m.To, m.Data)
		}
		for _, c := range rd.Commit {
			// Without sync, as the node commits a PBFT block
			// (ledger.CommitUnsynced): a crash before the next synced
			// write loses it, and the votes decide it again.
			_ = r.h.CommitUnsynced(&enginetest.Block{Header: c.Header, Txs: c.Proposal.Txs})
		}
		if rd.Sync != nil {
			r.h.RequestSync(rd.Sync.From, rd.Sync.Peers)
		}
		r.core.Advance()
		for _, v := range rd.Verify {
			r.core.Verified(v.Height, v.Digest, r.h.CheckTxs(txsOf(v.Pending), v.Proposal.Txs))
		}
		for i := range rd.Execute {
			r.exec = &rd.Execute[i]
			r.execAt = r.h.Now() + r.h.Rand.Uint64N(3)
			r.runExec()
		}
	}
}

// checkSigned records what an honest sealer signs and reports a second,
// different signature for one (type, height, view).
func (r *simReplica) checkSigned(data []byte) {
	m, err := DecodeMessage(data, r.f.cfg.MaxMessageSize)
	if err != nil || m.Kind != KindEnvelope {
		return
	}
	e := m.Env
	k := signKey{sealer: r.h.ID, typ: e.Type, height: e.Height, view: e.View}
	switch e.Type {
	case MsgHeartbeat:
		return
	case MsgCheckpoint:
		k.view = 0
	}
	d := e.Digest
	if e.Type == MsgViewChange {
		d = r.f.suite.Hash(e.Body)
		// A view change may be re-signed with a later certificate only if
		// it is the same certificate; compare the certificate digest.
		if m.Cert != nil && !m.Cert.Empty() {
			d = m.Cert.Digest
		} else {
			d = common.Hash{}
		}
	}
	if prev, ok := r.f.signed[k]; ok && prev != d {
		r.h.Violation("signed two different %s at height %d view %d: %s and %s", e.Type, e.Height, e.View, prev, d)
		return
	}
	r.f.signed[k] = d
}

func txsOf(ps []*Proposal) [][][]byte {
	out := make([][][]byte, len(ps))
	for i, p := range ps {
		out[i] = p.Txs
	}
	return out
}
