package pbft

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// Core is the PBFT state machine of one sealer: messages, ticks and
// results go in through its methods, and what the node must do comes out
// through Ready. It has no goroutines, clock, I/O or randomness, and it is
// not safe for concurrent use: one driver goroutine owns it.
type Core struct {
	cfg     Config
	suite   crypto.Suite
	log     *slog.Logger
	n       int
	weights []uint64 // vote weight of each sealer (weights.go)
	total   uint64   // sum of the weights
	f, q    uint64   // tolerated faulty weight and quorum weight
	self    int
	addrs   []common.Address
	addrIdx map[common.Address]int

	tick uint64

	// The chain above the ledger head the driver last acknowledged.
	base      *types.Header // acknowledged ledger head; chain starts at base.Number+1
	baseLink  common.Hash   // digest of the proposal of base (genesis: its hash)
	chain     []*decision   // decided heights, oldest first
	finalNum  uint64        // highest finalized height (its CommitRequest emitted)
	execNum   uint64        // highest executed height
	executing uint64        // height whose ExecRequest is outstanding; 0 if none
	execRetry uint64        // tick before which a failed execution is not asked again
	// execPassing reports that the last execution failed for a passing
	// cause (RetryExecution may ask again before execRetry).
	execPassing bool
	// execErrHeight and execErr are the last failed execution's height and
	// error, to log a repeat of it quietly.
	execErrHeight uint64
	execErr       string
	emitted       uint64 // highest height whose CommitRequest Ready handed out
	cps           map[uint64]*cpSet
	recent        []*finalBlock // the last RetainBlocks finalized blocks, oldest first
	lastFinal     uint64        // tick of the last finalization

	round         *round
	future        map[uint64][]*Message // verified envelopes for heights above the round's
	pendingProofs map[uint64]*Message   // catch-up proofs for heights above the round's

	peerFinal []uint64 // highest finalized height each sealer reported
	lastReply []uint64 // tick of the last catch-up reply to each sealer
	lastProbe []uint64 // tick of the last far-future message verified from each sealer
	lastSync  uint64
	synced    bool // a SyncRequest was emitted at lastSync
	// syncHint is the highest height a verified certificate from sealer
	// syncHintFrom showed finalized above the round.
	syncHint     uint64
	syncHintFrom int

	txsAvailable bool
	seen         *hashRing // content ids of accepted messages
	sigOK        *hashRing // (digest, signature) pairs already verified
	saved        map[common.Hash]uint64

	rd    Ready
	dirty bool
	// binding: the state changed in a way this node's signatures rely on
	// (a vote, a prepared certificate, a view): the next Ready's state
	// must be durable before its messages leave (Ready.MustSync).
	binding bool
	drops   DropCounts
	stats   Stats
}

// decision is a decided height on its way to the ledger.
type decision struct {
	height    uint64
	view      uint64
	prop      *Proposal
	digest    common.Hash
	commits   []*Envelope
	certified *types.Header // certified header from catch-up or sync
	header    *types.Header // our executed header: Extra = digest, no signatures
	hash      common.Hash
	cpMsg     []byte        // our checkpoint, resent until finalized
	final     *types.Header // header with its certificate, once finalized
	mismatch  bool
	at        uint64 // tick of the decision
}

type finalBlock struct {
	header *types.Header
	prop   *Proposal
	at     uint64 // tick of the decision
}

// cpSet holds the checkpoints received for one height, by sender.
type cpSet struct {
	hashes []common.Hash
	sigs   [][]byte
}

// New makes a core for the sealer holding cfg.Key. head is the ledger's
// latest committed header (the genesis header on a new chain). hs and
// load restore a node after a restart: hs is the last persisted
// HardState (nil on first start) and load returns a persisted proposal by
// digest.
func New(cfg Config, head *types.Header, hs *HardState, load func(common.Hash) (*Proposal, error)) (*Core, error) {
	self, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	if head == nil {
		return nil, fmt.Errorf("%w: no ledger head", ErrInvalidConfig)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	n := len(cfg.Sealers)
	weights := slices.Clone(cfg.Weights)
	if weights == nil {
		weights = make([]uint64, n)
		for i := range weights {
			weights[i] = 1
		}
	}
	total, _ := consensus.TotalWeight(n, cfg.Weights) // checked by Validate
	c := &Core{
		cfg: cfg, suite: cfg.Suite, n: n, weights: weights, total: total,
		f: consensus.MaxFaultyWeight(total), q: consensus.QuorumWeight(total), self: self,
		log:     logger.With("module", "consensus", "engine", consensus.NamePBFT, "sealer", self),
		addrs:   make([]common.Address, n),
		addrIdx: make(map[common.Address]int, n),
		base:    head, baseLink: linkOf(cfg.Suite, head),
		finalNum: head.Number, execNum: head.Number, emitted: head.Number,
		cps: make(map[uint64]*cpSet), future: make(map[uint64][]*Message),
		pendingProofs: make(map[uint64]*Message),
		peerFinal:     make([]uint64, n), lastReply: make([]uint64, n), lastProbe: make([]uint64, n),
		seen: newHashRing(8192), sigOK: newHashRing(8192), saved: make(map[common.Hash]uint64),
		syncHintFrom: -1,
	}
	for i, pub := range cfg.Sealers {
		c.addrs[i] = cfg.Suite.Address(pub)
		c.addrIdx[c.addrs[i]] = i
	}
	if err := c.restore(hs, load); err != nil {
		return nil, err
	}
	c.flush()
	return c, nil
}

// linkOf is the digest a proposal on top of head names as its parent: the
// proposal digest PBFT keeps in Extra, or the hash of a genesis header.
func linkOf(h types.Hasher, head *types.Header) common.Hash {
	if head.Number > 0 && len(head.Extra) == common.HashLength {
		return common.BytesToHash(head.Extra)
	}
	return head.Hash(h)
}

func (c *Core) restore(hs *HardState, load func(common.Hash) (*Proposal, error)) error {
	if hs == nil {
		c.newRound(c.base.Number+1, 0)
		return nil
	}
	loadProp := func(d common.Hash, height uint64) (*Proposal, error) {
		if load == nil {
			return nil, fmt.Errorf("%w: no proposal store to load %s", ErrCorruptState, d)
		}
		p, err := load(d)
		if err != nil || p == nil {
			return nil, fmt.Errorf("%w: proposal %s of height %d: %v", ErrCorruptState, d, height, err)
		}
		if p.Digest(c.suite) != d || p.Height != height {
			return nil, fmt.Errorf("%w: stored proposal %s does not match its digest or height %d", ErrCorruptState, d, height)
		}
		return p, nil
	}
	for _, dd := range hs.Decided {
		if dd.Height <= c.base.Number {
			continue
		}
		if want := c.orderHeight(); dd.Height != want {
			return fmt.Errorf("%w: decided height %d follows %d", ErrCorruptState, dd.Height, want-1)
		}
		p, err := loadProp(dd.Digest, dd.Height)
		if err != nil {
			return err
		}
		if p.Parent != c.link(dd.Height-1) {
			return fmt.Errorf("%w: decided proposal %d does not extend the chain", ErrCorruptState, dd.Height)
		}
		d := &decision{height: dd.Height, view: dd.View, prop: p, digest: dd.Digest, commits: dd.Commits}
		if len(dd.Certificate) > 0 {
			h, err := types.DecodeHeader(dd.Certificate)
			if err != nil || h.Number != dd.Height || common.BytesToHash(h.Extra) != dd.Digest {
				return fmt.Errorf("%w: certificate of height %d", ErrCorruptState, dd.Height)
			}
			d.certified = h
		}
		c.chain = append(c.chain, d)
		c.saved[d.digest] = d.height
	}
	h := c.orderHeight()
	switch {
	case hs.Height > h:
		return fmt.Errorf("%w: state at height %d, ledger head %d with %d decided above it",
			ErrStateAhead, hs.Height, c.base.Number, len(c.chain))
	case hs.Height < h:
		c.newRound(h, 0)
		return nil
	}
	c.newRound(h, hs.View)
	r := c.round
	r.changing, r.viaNV, r.constraint = hs.ViewChanging, hs.ViaNewView, hs.Constraint
	r.myVotes = slices.Clone(hs.Votes)
	r.fresh = len(r.myVotes) == 0
	if !hs.Prepared.Empty() {
		pc := hs.Prepared
		p, err := loadProp(pc.Digest, h)
		if err != nil {
			return err
		}
		r.prepared = &pc
		r.props[pc.Digest] = p
		c.saved[pc.Digest] = h
	}
	c.replayVotes(load)
	return nil
}

// orderHeight is the height being ordered: one above the last decided.
func (c *Core) orderHeight() uint64 { return c.base.Number + uint64(len(c.chain)) + 1 }

// decision returns the decided height h, or nil.
func (c *Core) decision(h uint64) *decision {
	if h <= c.base.Number || h > c.base.Number+uint64(len(c.chain)) {
		return nil
	}
	return c.chain[h-c.base.Number-1]
}

// link is the digest of the proposal decided at h (base.Number <= h <= last decided).
func (c *Core) link(h uint64) common.Hash {
	if h == c.base.Number {
		return c.baseLink
	}
	if d := c.decision(h); d != nil {
		return d.digest
	}
	return common.Hash{}
}

// timeAt is the timestamp of the proposal decided at h.
func (c *Core) timeAt(h uint64) uint64 {
	if d := c.decision(h); d != nil {
		return d.prop.Timestamp
	}
	return c.base.Timestamp
}

// headerAt is the executed header of h (execNum >= h >= base.Number).
func (c *Core) headerAt(h uint64) *types.Header {
	if h == c.base.Number {
		return c.base
	}
	if d := c.decision(h); d != nil {
		return d.header
	}
	return nil
}

// Leader is the index of the sealer that proposes at height in view.
func (c *Core) Leader(height, view uint64) int {
	return int((view + height/c.cfg.LeaderPeriod) % uint64(c.n))
}

func (c *Core) windowOpen() bool { return c.round.height-c.finalNum <= c.cfg.Window }

// SetTxsAvailable tells the core whether the txpool holds transactions
// that could be proposed. While it does, a heartbeat from a leader that
// does not propose no longer holds off a view change.
func (c *Core) SetTxsAvailable(avail bool) { c.txsAvailable = avail }

// Propose makes this node's proposal for the current height and view from
// txs (encoded, none committed or pending) and timestamp (seconds; raised
// to the parent's if lower). Call it after a ProposalRequest.
func (c *Core) Propose(txs [][]byte, timestamp uint64) error {
	defer c.flush()
	if !c.canPropose() {
		return ErrCannotPropose
	}
	if len(txs) == 0 {
		return ErrEmptyProposal
	}
	r := c.round
	p := &Proposal{Height: r.height, Parent: c.link(r.height - 1), Timestamp: max(timestamp, c.timeAt(r.height-1)),
		Proposer: uint64(c.self), Txs: txs}
	if err := c.checkProposal(p); err != nil {
		return fmt.Errorf("%w: %v", ErrProposalTooLarge, err)
	}
	d := p.Digest(c.suite)
	if !c.vote(MsgPrePrepare, r.view, d) {
		return ErrCannotPropose
	}
	env := &Envelope{Type: MsgPrePrepare, Height: r.height, View: r.view, Digest: d}
	if !c.sign(env) {
		return ErrCannotPropose
	}
	c.saveProposal(p)
	r.props[d] = p
	r.verify[d] = verifyOK
	vv := r.viewVotes(r.view)
	vv.pp, vv.ppDigest = env, d
	c.send(Broadcast, EncodeEnvelope(env, p), MsgPrePrepare)
	c.log.Debug("proposed", "height", r.height, "view", r.view, "txs", len(txs), "digest", d)
	return nil
}

// canPropose reports whether this node may propose now.
func (c *Core) canPropose() bool {
	r := c.round
	if r.changing || c.Leader(r.height, r.view) != c.self || !c.windowOpen() {
		return false
	}
	if r.viaNV && r.constraint != (common.Hash{}) {
		return false
	}
	if vv := r.votes[r.view]; vv != nil && (vv.pp != nil || vv.ppDigest != common.Hash{}) {
		return false
	}
	if c.hasVote(MsgPrePrepare, r.view) {
		return false
	}
	return c.tick-r.startTick >= c.cfg.MinSealTicks
}

// ProposalWanted returns the current proposal request if this node may propose now.
func (c *Core) ProposalWanted() (ProposalRequest, bool) {
	if !c.canPropose() {
		return ProposalRequest{}, false
	}
	return c.proposalRequest(), true
}

func (c *Core) proposalRequest() ProposalRequest {
	r := c.round
	return ProposalRequest{Height: r.height, View: r.view, MaxTxs: c.cfg.MaxBlockTxs,
		MinTimestamp: c.timeAt(r.height - 1), Pending: c.pending(r.height)}
}

// pending lists the decided proposals below height not yet acknowledged as committed.
func (c *Core) pending(height uint64) []*Proposal {
	var out []*Proposal
	for _, d := range c.chain {
		if d.height < height {
			out = append(out, d.prop)
		}
	}
	return out
}

// Verified gives the driver's verdict on a VerifyRequest: nil if every
// transaction is valid, else why not.
func (c *Core) Verified(height uint64, digest common.Hash, err error) {
	defer c.flush()
	r := c.round
	if height != r.height || r.verify[digest] != verifyPending {
		return
	}
	if err == nil {
		r.verify[digest] = verifyOK
		return
	}
	r.verify[digest] = verifyBad
	c.drops[DropInvalidProposal]++
	c.log.Warn("proposal rejected by verification", "height", height, "digest", digest, "err", err)
	if vv := r.votes[r.view]; vv != nil && vv.ppDigest == digest {
		c.leaderFault("invalid transactions in proposal")
	}
}

// HasReady reports whether Ready has anything for the driver.
func (c *Core) HasReady() bool { return !c.rd.Empty() }

// Ready returns and clears what the driver must do; see Ready for the order.
func (c *Core) Ready() Ready {
	rd := c.rd
	c.rd = Ready{}
	if n := len(rd.Commit); n > 0 {
		c.emitted = rd.Commit[n-1].Header.Number
	}
	return rd
}

// Advance tells the core that the driver handled the last Ready, in
// particular that its CommitRequests are committed to the ledger.
//
// Dropping the committed heights from the decided chain does not by itself
// ask for the HardState to be written again: a persisted HardState that
// still lists decisions at or below the ledger head is restored without
// them (restore skips them), exactly as after a crash between the commit
// and the next write, so the next write that is needed anyway (a vote, a
// decision) carries the shorter list. This saves a synced write per block.
func (c *Core) Advance() {
	defer c.flush()
	for len(c.chain) > 0 && c.chain[0].final != nil && c.chain[0].height <= c.emitted {
		d := c.chain[0]
		c.chain[0] = nil
		c.chain = c.chain[1:]
		c.base, c.baseLink = d.final, d.digest
	}
	for d, h := range c.saved {
		if h <= c.base.Number {
			delete(c.saved, d)
		}
	}
}

// Status is a snapshot of the core's progress.
type Status struct {
	Index        int    // this sealer's index
	Finalized    uint64 // highest height with a complete commit certificate
	Executed     uint64 // highest executed height
	Decided      uint64 // highest ordered height
	Height       uint64 // height being ordered
	View         uint64
	ViewChanging bool
	Leader       int // leader of Height in View
	Drops        DropCounts
	Stats        Stats
}

// Status returns a snapshot.
func (c *Core) Status() Status {
	r := c.round
	return Status{Index: c.self, Finalized: c.finalNum, Executed: c.execNum, Decided: r.height - 1,
		Height: r.height, View: r.view, ViewChanging: r.changing, Leader: c.Leader(r.height, r.view),
		Drops: c.drops, Stats: c.stats}
}

// Drops returns the dropped-message counters.
func (c *Core) Drops() DropCounts { return c.drops }

// Tick advances the core's clock by one tick: timeouts, heartbeats, resends.
func (c *Core) Tick() {
	defer c.flush()
	c.tick++
	r := c.round
	r.timer++
	c.heartbeat()
	if r.timer >= c.timeout() {
		r.timeouts++
		c.log.Info("view change on timeout", "height", r.height, "view", r.view, "timeouts", r.timeouts)
		c.startViewChange(r.view + 1)
	}
	if c.tick%c.cfg.ResendTicks == 0 {
		c.resend()
	}
	c.checkSync()
}

func (c *Core) timeout() uint64 {
	return c.cfg.TimeoutTicks << min(c.round.timeouts, c.cfg.MaxTimeoutShift)
}

// flush runs the state machine to a fixed point and prepares the outputs.
func (c *Core) flush() {
	c.advance()
	if c.canPropose() && !c.round.requested {
		req := c.proposalRequest()
		c.rd.Propose = &req
		c.round.requested = true
	}
	if c.dirty {
		c.rd.State = c.hardState()
		c.rd.MustSync = c.rd.MustSync || c.binding
		c.dirty, c.binding = false, false
	}
}

func (c *Core) hardState() *HardState {
	r := c.round
	hs := &HardState{Height: r.height, View: r.view, ViewChanging: r.changing, ViaNewView: r.viaNV,
		Constraint: r.constraint, Votes: slices.Clone(r.myVotes)}
	if r.prepared != nil {
		hs.Prepared = *r.prepared
	}
	for _, d := range c.chain {
		dd := Decision{Height: d.height, View: d.view, Digest: d.digest, Commits: d.commits}
		if d.final != nil {
			dd.Certificate = types.EncodeHeader(d.final)
		} else if d.certified != nil {
			dd.Certificate = types.EncodeHeader(d.certified)
		}
		hs.Decided = append(hs.Decided, dd)
	}
	return hs
}

func (c *Core) saveProposal(p *Proposal) {
	d := p.Digest(c.suite)
	if _, ok := c.saved[d]; ok {
		return
	}
	c.saved[d] = p.Height
	c.rd.Proposals = append(c.rd.Proposals, p)
}

// send queues data for one sealer or all. Round messages (typ != 0) are
// kept and resent until the height is decided.
func (c *Core) send(to int, data []byte, typ MsgType) {
	c.rd.Messages = append(c.rd.Messages, Outbound{To: to, Data: data})
	if typ != 0 {
		c.round.out = append(c.round.out, sentMsg{data: data, commit: typ == MsgCommit})
	}
}

// drop counts a dropped message and returns the error Step reports.
func (c *Core) drop(reason DropReason, e *Envelope, detail string) error {
	c.drops[reason]++
	if e != nil {
		c.log.Debug("message dropped", "reason", reason, "type", e.Type, "height", e.Height, "view", e.View,
			"sender", e.Sender, "detail", detail)
		return fmt.Errorf("%w: %s from sealer %d at height %d view %d: %s", reason.Err(), e.Type, e.Sender, e.Height, e.View, detail)
	}
	c.log.Debug("message dropped", "reason", reason, "detail", detail)
	return fmt.Errorf("%w: %s", reason.Err(), detail)
}
