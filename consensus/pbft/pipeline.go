package pbft

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/types"
)

// stepPipeline takes at most one step of the decided-to-finalized
// pipeline; it reports whether it did.
func (c *Core) stepPipeline() bool {
	h := c.round.height
	if pm := c.pendingProofs[h]; pm != nil && (pm.Kind == KindFinalized || c.windowOpen()) {
		delete(c.pendingProofs, h)
		_ = c.onProof(-1, pm)
		return true
	}
	for ph := range c.pendingProofs {
		if ph < h {
			delete(c.pendingProofs, ph)
		}
	}
	return c.finalize() || c.requestExecution()
}

// requestExecution asks for the next decided height to be executed.
func (c *Core) requestExecution() bool {
	if c.executing != 0 || c.tick < c.execRetry {
		return false
	}
	h := c.execNum + 1
	d := c.decision(h)
	parent := c.headerAt(h - 1)
	if d == nil || parent == nil {
		return false
	}
	c.executing = h
	c.rd.Execute = append(c.rd.Execute, ExecRequest{Height: h, Proposal: d.prop, Parent: parent, Sealer: c.addrs[d.prop.Proposer]})
	return true
}

// Executed gives the result of an ExecRequest: the executed header (its
// Extra and Signatures are set by the core), or the error that prevented
// execution (the request is repeated later; logged as a warning, or as
// information when it matches ErrExecDeferred).
func (c *Core) Executed(height uint64, header *types.Header, err error) error {
	defer c.flush()
	if height == 0 || height != c.executing {
		return fmt.Errorf("%w: height %d", ErrUnexpectedResult, height)
	}
	c.executing, c.execPassing = 0, false
	if err != nil {
		// The causes are passing (bodies being fetched, the ledger moved
		// by sync, a parent not committed yet): ask again at the next
		// tick, not after ResendTicks, or sooner when the driver says the
		// cause may have cleared (RetryExecution); log a repeat quietly.
		c.execRetry, c.execPassing = c.tick+1, true
		if msg := err.Error(); height != c.execErrHeight || msg != c.execErr {
			c.execErrHeight, c.execErr = height, msg
			if errors.Is(err, ErrExecDeferred) {
				c.log.Info("execution deferred; will retry", "height", height, "err", err)
			} else {
				c.log.Warn("execution failed; will retry", "height", height, "err", err)
			}
		} else {
			c.log.Debug("execution failed again; will retry", "height", height, "err", err)
		}
		return nil
	}
	d, parent := c.decision(height), c.headerAt(height-1)
	if d == nil || parent == nil {
		return fmt.Errorf("%w: height %d is no longer pending", ErrUnexpectedResult, height)
	}
	var why string
	switch {
	case header == nil:
		why = "no header"
	case header.Number != height:
		why = fmt.Sprintf("number %d", header.Number)
	case header.ParentHash != parent.Hash(c.suite):
		why = "parent hash"
	case header.Timestamp != d.prop.Timestamp:
		why = "timestamp"
	case header.Sealer != c.addrs[d.prop.Proposer]:
		why = "sealer"
	}
	if why != "" {
		c.execRetry, c.execPassing = c.tick+c.cfg.ResendTicks, false
		return fmt.Errorf("%w: height %d: %s", ErrBadExecution, height, why)
	}
	hdr := *header
	hdr.Extra = d.digest.Bytes()
	hdr.Signatures = nil
	d.header, d.hash = &hdr, hdr.Hash(c.suite)
	c.execNum = height
	env := &Envelope{Type: MsgCheckpoint, Height: height, Digest: d.hash}
	if !c.sign(env) {
		return nil
	}
	d.cpMsg = EncodeEnvelope(env, nil)
	c.send(Broadcast, d.cpMsg, 0)
	c.addCheckpoint(height, c.self, d.hash, env.Sig)
	return nil
}

// RetryExecution tells the core that the cause of its last failed
// execution (bodies being fetched, a parent not committed yet) may have
// cleared: the driver calls it when fetched bodies arrive or the ledger
// head moves, and the execution is asked again at once instead of at the
// next tick. A result the core refused (ErrBadExecution) keeps its longer
// wait; with no failed execution waiting, nothing changes.
func (c *Core) RetryExecution() {
	defer c.flush()
	if c.execPassing && c.executing == 0 {
		c.execRetry, c.execPassing = 0, false
	}
}

func (c *Core) addCheckpoint(h uint64, s int, hash common.Hash, sig []byte) bool {
	cs := c.cps[h]
	if cs == nil {
		cs = &cpSet{hashes: make([]common.Hash, c.n), sigs: make([][]byte, c.n)}
		c.cps[h] = cs
	}
	if cs.sigs[s] != nil {
		return false
	}
	cs.hashes[s], cs.sigs[s] = hash, sig
	return true
}

func (c *Core) onCheckpoint(e *Envelope, id common.Hash) error {
	h := e.Height
	if h <= c.finalNum {
		if c.stuck(e) {
			c.helpLaggard(e)
		}
		return c.drop(DropOldHeight, e, "height already finalized")
	}
	if h > c.round.height+c.cfg.Window+1 {
		return c.drop(DropFutureHeight, e, "")
	}
	if !c.verify(e) {
		return c.drop(DropBadSignature, e, "")
	}
	if cs := c.cps[h]; cs != nil && cs.sigs[e.Sender] != nil {
		if cs.hashes[e.Sender] == e.Digest {
			return c.drop(DropDuplicate, e, "")
		}
		return c.drop(DropEquivocation, e, "second checkpoint for one height")
	}
	c.addCheckpoint(h, int(e.Sender), e.Digest, e.Sig)
	c.seen.add(id)
	return nil
}

// finalize completes the certificate of the next height when a quorum
// signed the header this node executed.
func (c *Core) finalize() bool {
	h := c.finalNum + 1
	d := c.decision(h)
	if d == nil || d.header == nil || d.mismatch {
		return false
	}
	var sigs []types.CommitSig
	if d.certified != nil {
		if d.certified.Hash(c.suite) != d.hash {
			c.mismatched(d, d.certified.Hash(c.suite))
			return false
		}
		sigs = slices.Clone(d.certified.Signatures)
	} else {
		cs := c.cps[h]
		if cs == nil {
			return false
		}
		count := make(map[common.Hash]uint64) // weight of the checkpoints of each header
		for i, sig := range cs.sigs {
			if sig == nil {
				continue
			}
			count[cs.hashes[i]] += c.weights[i]
			if cs.hashes[i] == d.hash {
				sigs = append(sigs, types.CommitSig{Index: uint64(i), Signature: sig})
			}
		}
		if count[d.hash] < c.q {
			for i, sig := range cs.sigs {
				if sig != nil && cs.hashes[i] != d.hash && count[cs.hashes[i]] >= c.q {
					c.mismatched(d, cs.hashes[i])
				}
			}
			return false
		}
	}
	hdr := *d.header
	hdr.Signatures = sigs
	d.final = &hdr
	c.finalNum, c.lastFinal = h, c.tick
	delete(c.cps, h)
	c.rd.Commit = append(c.rd.Commit, CommitRequest{Header: &hdr, Proposal: d.prop})
	c.recent = append(c.recent, &finalBlock{header: &hdr, prop: d.prop, at: d.at})
	if len(c.recent) > c.cfg.RetainBlocks {
		c.recent = slices.Delete(c.recent, 0, len(c.recent)-c.cfg.RetainBlocks)
	}
	c.stats.Finalized++
	c.dirty = true
	return true
}

// mismatched reports that a quorum certified another header than the one
// this node executed: its execution diverged. It stops finalizing; the
// operator must repair the node (resync its state).
func (c *Core) mismatched(d *decision, other common.Hash) {
	if d.mismatch {
		return
	}
	d.mismatch = true
	c.stats.ExecMismatches++
	c.log.Error("executed header differs from the one a quorum certified; this node's execution diverged",
		"height", d.height, "executed", d.hash, "certified", other)
}

// onOldHeight answers a sealer still working on a height decided here,
// when the message shows it is stuck rather than just late.
func (c *Core) onOldHeight(e *Envelope) error {
	if c.stuck(e) {
		c.helpLaggard(e)
	}
	return c.drop(DropOldHeight, e, "")
}

// stuck tells a sealer stuck at a height decided here from one whose
// message for it is merely late: it asks for a view change, or its
// message comes well after this node decided that height.
func (c *Core) stuck(e *Envelope) bool {
	if e.Type == MsgViewChange {
		return true
	}
	at, ok := c.decidedAt(e.Height)
	return !ok || c.tick >= at+max(1, c.cfg.ResendTicks/2)
}

// decidedAt is the tick at which this node decided h, if it remembers.
func (c *Core) decidedAt(h uint64) (uint64, bool) {
	if d := c.decision(h); d != nil {
		return d.at, true
	}
	if len(c.recent) > 0 && h >= c.recent[0].header.Number && h <= c.finalNum {
		return c.recent[h-c.recent[0].header.Number].at, true
	}
	return 0, false
}

// helpLaggard sends a lagging sealer the proofs of the heights it misses,
// at most once per half resend period.
func (c *Core) helpLaggard(e *Envelope) {
	s := e.Sender
	if c.lastReply[s] != 0 && c.tick+1-c.lastReply[s] < max(1, c.cfg.ResendTicks/2) {
		return
	}
	if !c.verify(e) {
		return
	}
	if e.Type != MsgCheckpoint {
		c.peerFinal[s] = max(c.peerFinal[s], e.Final)
	}
	c.lastReply[s] = c.tick + 1
	sent := false
	for h := e.Height; h < e.Height+catchupBatch && h < c.round.height; h++ {
		if data := c.proofFor(h); data != nil {
			c.send(int(s), data, 0)
			c.stats.CatchupSent++
			sent = true
		}
	}
	if !sent && len(c.recent) > 0 {
		// Too far behind for proofs: the newest certified block tells it to sync.
		fb := c.recent[len(c.recent)-1]
		c.send(int(s), EncodeFinalized(fb.prop, fb.header), 0)
		c.stats.CatchupSent++
	}
}

// proofFor encodes the best proof this node holds that h is decided.
func (c *Core) proofFor(h uint64) []byte {
	if h <= c.finalNum {
		if len(c.recent) == 0 || h < c.recent[0].header.Number {
			return nil
		}
		fb := c.recent[h-c.recent[0].header.Number]
		return EncodeFinalized(fb.prop, fb.header)
	}
	d := c.decision(h)
	switch {
	case d == nil:
		return nil
	case d.certified != nil:
		return EncodeFinalized(d.prop, d.certified)
	case len(d.commits) > 0 && c.envWeight(d.commits) >= c.q:
		return EncodeDecided(d.prop, d.commits)
	}
	return nil
}

// probe verifies, rate limited, a message from far ahead to learn how far
// its sender has finalized.
func (c *Core) probe(e *Envelope) {
	s := e.Sender
	if c.lastProbe[s] != 0 && c.tick+1-c.lastProbe[s] < c.cfg.ResendTicks {
		return
	}
	c.lastProbe[s] = c.tick + 1
	if c.verify(e) {
		c.peerFinal[s] = max(c.peerFinal[s], e.Final)
	}
}

func (c *Core) onProof(from int, m *Message) error {
	if m.Kind == KindDecided {
		return c.onDecided(m)
	}
	return c.onFinalized(from, m)
}

func (c *Core) bufferProof(h uint64, m *Message) error {
	if h > c.round.height+c.cfg.Window+catchupBatch {
		return c.drop(DropFutureHeight, nil, fmt.Sprintf("proof for height %d", h))
	}
	if cur := c.pendingProofs[h]; cur == nil || m.Kind == KindFinalized {
		c.pendingProofs[h] = m
	}
	return nil
}

// onDecided applies a proof that a quorum committed a proposal.
func (c *Core) onDecided(m *Message) error {
	p, r := m.Proposal, c.round
	h := p.Height
	switch {
	case h < r.height:
		return c.drop(DropOldHeight, nil, fmt.Sprintf("decided proof for height %d", h))
	case h > r.height || !c.windowOpen():
		return c.bufferProof(h, m)
	case len(m.Commits) == 0:
		return c.drop(DropBadCertificate, nil, "decided proof without commits")
	}
	d, view := p.Digest(c.suite), m.Commits[0].View
	signed := make([]bool, c.n)
	for _, e := range m.Commits {
		switch {
		case e.Height != h || e.View != view || e.Digest != d:
			return c.drop(DropBadCertificate, nil, "decided proof mixes heights, views or digests")
		case e.Sender >= uint64(c.n) || signed[e.Sender]:
			return c.drop(DropBadCertificate, nil, "decided proof has an unknown or repeated signer")
		case !c.verify(e):
			return c.drop(DropBadCertificate, nil, "decided proof has a bad signature")
		}
		signed[e.Sender] = true
		c.peerFinal[e.Sender] = max(c.peerFinal[e.Sender], e.Final)
	}
	commits, ok := c.quorumPrefix(m.Commits)
	if !ok {
		return c.drop(DropBadCertificate, nil, "decided proof with commits weighing less than a quorum")
	}
	if p.Parent != c.link(h-1) {
		return c.drop(DropBadCertificate, nil, "decided proposal does not extend the chain")
	}
	c.decide(view, d, p, commits, nil)
	return nil
}

// onFinalized applies a certified header with its proposal.
func (c *Core) onFinalized(from int, m *Message) error {
	h := m.Header.Number
	switch {
	case h <= c.finalNum:
		return c.drop(DropOldHeight, nil, fmt.Sprintf("finalized proof for height %d", h))
	case h > c.round.height:
		// A valid certificate far ahead proves that a quorum moved on: a
		// reason to sync even if no sealer talks to us otherwise.
		if h > c.syncHint && from >= 0 && c.checkCertified(m.Proposal, m.Header) == nil {
			c.syncHint, c.syncHintFrom = h, from
		}
		return c.bufferProof(h, m)
	}
	return c.applyCertified(m.Proposal, m.Header)
}

// SyncedBlock hands the core a block downloaded by sync: its header with
// the commit certificate and its encoded transactions. Blocks must come in
// height order from the ledger head + 1; the core checks the certificate
// and the link to the chain, then executes the block like a decided one.
func (c *Core) SyncedBlock(header *types.Header, txs [][]byte) error {
	defer c.flush()
	if header == nil {
		return fmt.Errorf("%w: no header", ErrSyncGap)
	}
	h := header.Number
	if h <= c.finalNum {
		return nil
	}
	if h > c.round.height {
		return fmt.Errorf("%w: block %d, next expected %d", ErrSyncGap, h, c.round.height)
	}
	idx, ok := c.addrIdx[header.Sealer]
	if !ok {
		return c.drop(DropBadCertificate, nil, fmt.Sprintf("synced block %d sealed by a non-sealer", h))
	}
	hdr := *header
	p := &Proposal{Height: h, Parent: c.link(h - 1), Timestamp: header.Timestamp, Proposer: uint64(idx), Txs: txs}
	return c.applyCertified(p, &hdr)
}

// checkCertified checks that hdr carries p's digest and a valid commit certificate.
func (c *Core) checkCertified(p *Proposal, hdr *types.Header) error {
	h := hdr.Number
	switch {
	case p.Height != h || len(hdr.Extra) != common.HashLength || common.BytesToHash(hdr.Extra) != p.Digest(c.suite):
		return errorf("block %d does not carry its proposal's digest", h)
	case hdr.Timestamp != p.Timestamp || p.Proposer >= uint64(c.n) || hdr.Sealer != c.addrs[p.Proposer]:
		return errorf("block %d does not match its proposal", h)
	}
	return consensus.VerifyCommitWeighted(c.suite, hdr, c.cfg.Sealers, c.cfg.Weights, c.q)
}

func (c *Core) applyCertified(p *Proposal, hdr *types.Header) error {
	h, r := hdr.Number, c.round
	d := p.Digest(c.suite)
	if err := c.checkCertified(p, hdr); err != nil {
		return c.drop(DropBadCertificate, nil, err.Error())
	}
	if h < r.height {
		dec := c.decision(h)
		if dec == nil {
			return nil
		}
		if dec.digest != d {
			c.log.Error("a certified block conflicts with a decided proposal: more than f sealers are faulty",
				"height", h, "decided", dec.digest, "certified", d)
			return c.drop(DropEquivocation, nil, fmt.Sprintf("certified block %d conflicts with the decided one", h))
		}
		if dec.certified == nil {
			dec.certified = hdr
			c.dirty = true
		}
		return nil
	}
	if p.Parent != c.link(h-1) {
		return c.drop(DropBadCertificate, nil, fmt.Sprintf("certified block %d does not extend the chain", h))
	}
	c.decide(r.view, d, p, nil, hdr)
	return nil
}

// checkSync asks the driver to sync when other sealers weighing more
// than F (f+1 of weight 1) report a finalized height above ours and we
// are not catching up by ourselves.
func (c *Core) checkSync() {
	if c.synced && c.tick-c.lastSync < c.cfg.SyncTicks {
		return
	}
	var finals []sealerValue
	for i, f := range c.peerFinal {
		if i != c.self {
			finals = append(finals, sealerValue{i, f})
		}
	}
	reported, ok := c.beyondFaulty(finals)
	if !ok {
		return
	}
	target := max(reported, c.syncHint)
	if target <= c.finalNum {
		return
	}
	if c.tick-c.lastFinal < c.cfg.SyncTicks && target <= c.round.height+c.cfg.Window {
		return
	}
	var peers []int
	for i, f := range c.peerFinal {
		if i != c.self && (f >= target || i == c.syncHintFrom && c.syncHint >= target) {
			peers = append(peers, i)
		}
	}
	c.rd.Sync = &SyncRequest{From: c.finalNum + 1, To: target, Peers: peers}
	c.lastSync, c.synced = c.tick, true
	c.stats.SyncRequests++
}

// replayVotes rebuilds, after a restart, the messages this node signed at
// the current height, so that it resends exactly what it had signed.
func (c *Core) replayVotes(load func(common.Hash) (*Proposal, error)) {
	r := c.round
	for _, v := range slices.Clone(r.myVotes) {
		vv := r.viewVotes(v.View)
		switch v.Type {
		case MsgPrepare, MsgCommit:
			if vv.ppDigest == (common.Hash{}) {
				vv.ppDigest = v.Digest
			}
			e := &Envelope{Type: v.Type, Height: r.height, View: v.View, Digest: v.Digest}
			if !c.sign(e) {
				continue
			}
			if v.Type == MsgPrepare {
				_ = c.storeVote(&vv.prepares, vv.nPrep, e)
			} else {
				_ = c.storeVote(&vv.commits, vv.nCommit, e)
			}
			if v.View == r.view || v.Type == MsgCommit {
				c.send(Broadcast, EncodeEnvelope(e, nil), v.Type)
			}
		case MsgPrePrepare, MsgNewView:
			if v.Digest == (common.Hash{}) {
				continue
			}
			vv.ppDigest = v.Digest
			if load == nil {
				continue
			}
			if p, err := load(v.Digest); err == nil && p != nil && p.Digest(c.suite) == v.Digest {
				r.props[v.Digest] = p
				r.verify[v.Digest] = verifyOK
				if v.Type == MsgPrePrepare && v.View == r.view && !r.viaNV {
					e := &Envelope{Type: MsgPrePrepare, Height: r.height, View: v.View, Digest: v.Digest}
					if c.sign(e) {
						vv.pp = e
						c.send(Broadcast, EncodeEnvelope(e, p), MsgPrePrepare)
					}
				}
			}
		case MsgViewChange:
			if r.changing && v.View == r.view {
				c.sendViewChange()
			}
		}
	}
}
