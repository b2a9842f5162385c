package pbft

import (
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/types"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

type verifyState uint8

const (
	verifyNone verifyState = iota
	verifyPending
	verifyOK
	verifyBad
)

// Bounds of what a round buffers for views and heights it has not reached.
const (
	maxFutureViews = 16 // views above the current one whose messages are buffered
	keptOldViews   = 4  // views below the current one whose commits are kept
	catchupBatch   = 4  // heights sent in one catch-up reply
)

// round is the ordering state of the current height.
type round struct {
	height     uint64
	view       uint64 // current view, or the target of a view change
	changing   bool   // sent a view change to view, waiting for its new view
	viaNV      bool   // view was entered through a new-view message
	constraint common.Hash
	// fresh: this node has sent no prepare and no view change at this
	// height, so it may join a higher view without a new-view message.
	fresh     bool
	timer     uint64
	timeouts  uint
	startTick uint64
	lastHB    uint64
	requested bool // a ProposalRequest was emitted for the current view

	votes    map[uint64]*viewVotes
	props    map[common.Hash]*Proposal
	verify   map[common.Hash]verifyState
	prepared *PreparedCert
	myVotes  []Vote
	vcs      []*vcEntry // latest view change per sender
	maxView  []uint64   // per sender, 1 + the highest view seen in its messages at this height
	ready    []viewDigest
	futureV  map[uint64][]*Message
	out      []sentMsg // messages sent at this height, resent until it is decided
}

type sentMsg struct {
	data   []byte
	commit bool // commits stay useful after a view change
}

type viewVotes struct {
	pp       *Envelope   // the leader's pre-prepare or new view carrying the proposal
	ppDigest common.Hash // digest of the proposal of this view (also known from own votes)
	prepares []*Envelope
	commits  []*Envelope
	nPrep    map[common.Hash]uint64 // weight of the prepares of each digest
	nCommit  map[common.Hash]uint64 // weight of the commits of each digest
}

type vcEntry struct {
	env  *Envelope
	cert *PreparedCert
}

type viewDigest struct {
	view   uint64
	digest common.Hash
}

func (c *Core) newRound(height, view uint64) {
	c.round = &round{
		height: height, view: view, fresh: true, startTick: c.tick,
		votes: make(map[uint64]*viewVotes), props: make(map[common.Hash]*Proposal),
		verify: make(map[common.Hash]verifyState), vcs: make([]*vcEntry, c.n),
		maxView: make([]uint64, c.n), futureV: make(map[uint64][]*Message),
	}
	// A restore that finds the state of an earlier height starts this one
	// in view 0; a later view must be durable, or the sealer would come
	// back in a view its peers left (they may need its votes to move on).
	c.dirty, c.binding = true, c.binding || view > 0
	msgs := c.future[height]
	for h := range c.future {
		if h <= height {
			delete(c.future, h)
		}
	}
	for _, m := range msgs {
		_ = c.dispatch(m)
	}
}

func (r *round) viewVotes(v uint64) *viewVotes {
	vv := r.votes[v]
	if vv == nil {
		vv = &viewVotes{nPrep: make(map[common.Hash]uint64), nCommit: make(map[common.Hash]uint64)}
		r.votes[v] = vv
	}
	return vv
}

// pruneVotes forgets the votes of views too old to matter: commits of
// the last keptOldViews views stay, as a commit quorum in any view decides.
func (r *round) pruneVotes() {
	for v, vv := range r.votes {
		if v+keptOldViews < r.view || v < r.view && len(vv.commits) == 0 {
			delete(r.votes, v)
		}
	}
}

// vote records that this node signs (typ, view, digest) at the current
// height; it refuses if that would contradict an earlier signature.
func (c *Core) vote(typ MsgType, view uint64, d common.Hash) bool {
	r := c.round
	for _, v := range r.myVotes {
		if v.Type == typ && v.View == view {
			if v.Digest != d {
				c.stats.Refusals++
				c.log.Error("refusing to sign a conflicting message", "type", typ, "height", r.height, "view", view,
					"signed", v.Digest, "asked", d)
				return false
			}
			return true
		}
	}
	r.myVotes = append(r.myVotes, Vote{Type: typ, View: view, Digest: d})
	if typ == MsgPrepare || typ == MsgViewChange {
		r.fresh = false
	}
	c.dirty, c.binding = true, true
	return true
}

func (c *Core) hasVote(typ MsgType, view uint64) bool {
	for _, v := range c.round.myVotes {
		if v.Type == typ && v.View == view {
			return true
		}
	}
	return false
}

// Step hands the core a message received from the sealer at index from
// (-1 when the transport peer is not a sealer). A dropped message is
// counted and reported as an error wrapping its DropReason's sentinel; the
// driver may use it to rate-limit the peer.
func (c *Core) Step(from int, data []byte) error {
	defer c.flush()
	if from < 0 || from >= c.n {
		return c.drop(DropNotSealer, nil, "transport peer is not a sealer")
	}
	if len(data) > c.cfg.MaxMessageSize {
		return c.drop(DropOversize, nil, fmt.Sprintf("%d bytes, limit %d", len(data), c.cfg.MaxMessageSize))
	}
	m, err := DecodeMessage(data, c.cfg.MaxMessageSize)
	if err != nil {
		return c.drop(DropMalformed, nil, err.Error())
	}
	if m.Kind == KindEnvelope {
		return c.onEnvelope(m)
	}
	return c.onProof(from, m)
}

// onEnvelope handles a decoded envelope packet.
func (c *Core) onEnvelope(m *Message) error {
	e, r := m.Env, c.round
	if e.Sender >= uint64(c.n) {
		return c.drop(DropNotSealer, e, "unknown sealer index")
	}
	if e.Sender == uint64(c.self) {
		return c.drop(DropDuplicate, e, "own message")
	}
	id := c.contentID(e)
	if c.seen.has(id) {
		if e.Height < r.height && c.stuck(e) {
			c.helpLaggard(e) // a resend from a sealer still at a decided height
		}
		return c.drop(DropDuplicate, e, "already accepted")
	}
	if e.Type == MsgCheckpoint {
		return c.onCheckpoint(e, id)
	}
	switch {
	case e.Height < r.height:
		return c.onOldHeight(e)
	case e.Height > r.height+c.cfg.Window+1:
		c.probe(e)
		return c.drop(DropFutureHeight, e, "beyond the buffered heights")
	case e.Height > r.height:
		if len(c.future[e.Height]) >= 4*c.n {
			return c.drop(DropFutureHeight, e, "buffer for that height is full")
		}
		if !c.verify(e) {
			return c.drop(DropBadSignature, e, "")
		}
		c.observe(e)
		c.future[e.Height] = append(c.future[e.Height], m)
		c.seen.add(id)
		return nil
	}
	if reason, bad := c.precheck(e); bad {
		return c.drop(reason, e, "")
	}
	if c.surplus(e) {
		return c.drop(DropSurplus, e, "")
	}
	if !c.verify(e) {
		return c.drop(DropBadSignature, e, "")
	}
	c.observe(e)
	err := c.dispatch(m)
	if err == nil {
		c.seen.add(id)
	}
	return err
}

// precheck rejects, before the signature is checked, what the state alone rules out.
func (c *Core) precheck(e *Envelope) (DropReason, bool) {
	r := c.round
	switch e.Type {
	case MsgPrePrepare, MsgPrepare:
		if e.View < r.view {
			return DropOldView, true
		}
	case MsgViewChange:
		if cur := r.vcs[e.Sender]; cur != nil && cur.env.View > e.View {
			return DropOldView, true
		}
	}
	switch e.Type {
	case MsgPrePrepare, MsgNewView, MsgHeartbeat:
		if int(e.Sender) != c.Leader(e.Height, e.View) {
			return DropNotLeader, true
		}
	}
	return 0, false
}

// surplus reports a prepare of the current height for a view in which
// this node has sent its commit. It had a quorum of prepares for that
// view's proposal then, kept in its prepared certificate, and no later
// step counts another prepare of that view, so checking the signature
// would be wasted. With 4 sealers of equal weight, 2 of the 3 others'
// prepares make the quorum: the third is surplus in most rounds.
func (c *Core) surplus(e *Envelope) bool {
	return e.Type == MsgPrepare && e.Height == c.round.height && c.hasVote(MsgCommit, e.View)
}

// observe notes what a verified envelope says about its sender's progress.
func (c *Core) observe(e *Envelope) {
	s := e.Sender
	c.peerFinal[s] = max(c.peerFinal[s], e.Final)
	if e.Height == c.round.height && e.Type != MsgViewChange && e.View+1 > c.round.maxView[s] {
		c.round.maxView[s] = e.View + 1
	}
}

// dispatch handles a verified envelope of the current height.
func (c *Core) dispatch(m *Message) error {
	e, r := m.Env, c.round
	if e.Height != r.height {
		return c.drop(DropOldHeight, e, "height moved on")
	}
	switch e.Type {
	case MsgPrePrepare, MsgNewView, MsgHeartbeat:
		if int(e.Sender) != c.Leader(e.Height, e.View) {
			return c.drop(DropNotLeader, e, "")
		}
	}
	switch e.Type {
	case MsgPrePrepare, MsgPrepare:
		if e.View < r.view {
			return c.drop(DropOldView, e, "")
		}
		if e.View > r.view || r.changing {
			return c.bufferView(m)
		}
		if e.Type == MsgPrePrepare {
			return c.onPrePrepare(e, m.Proposal, false)
		}
		return c.onPrepare(e)
	case MsgCommit:
		return c.onCommit(e)
	case MsgHeartbeat:
		return c.onHeartbeat(e)
	case MsgViewChange:
		return c.onViewChange(m)
	case MsgNewView:
		return c.onNewView(m)
	}
	return c.drop(DropUnexpected, e, "")
}

func (c *Core) bufferView(m *Message) error {
	e, r := m.Env, c.round
	if e.View > r.view+maxFutureViews {
		return c.drop(DropFutureView, e, "too many views ahead")
	}
	if len(r.futureV[e.View]) >= 4*c.n {
		return c.drop(DropFutureView, e, "buffer for that view is full")
	}
	r.futureV[e.View] = append(r.futureV[e.View], m)
	return nil
}

// onPrePrepare accepts the proposal of the current view.
func (c *Core) onPrePrepare(e *Envelope, p *Proposal, viaNV bool) error {
	r := c.round
	vv := r.viewVotes(e.View)
	if vv.pp != nil {
		if vv.pp.Digest == e.Digest {
			return c.drop(DropDuplicate, e, "")
		}
		c.leaderFault("equivocating pre-prepare")
		return c.drop(DropEquivocation, e, "second proposal in one view")
	}
	if vv.ppDigest != (common.Hash{}) && vv.ppDigest != e.Digest {
		c.leaderFault("pre-prepare contradicts an earlier one")
		return c.drop(DropEquivocation, e, "contradicts the proposal this node voted for")
	}
	if p == nil || p.Digest(c.suite) != e.Digest {
		// The attachment is not signed: a relay may have swapped it, so
		// this proves nothing against the leader.
		return c.drop(DropInvalidProposal, e, "proposal does not match the digest")
	}
	if !viaNV {
		if r.viaNV && r.constraint != (common.Hash{}) {
			c.leaderFault("pre-prepare contradicts the new view")
			return c.drop(DropEquivocation, e, "the new view already fixed the proposal")
		}
		if p.Proposer != e.Sender {
			c.leaderFault("proposal of another proposer")
			return c.drop(DropInvalidProposal, e, "proposer is not the sender")
		}
	}
	if err := c.checkProposal(p); err != nil {
		c.leaderFault("invalid proposal")
		return c.drop(DropInvalidProposal, e, err.Error())
	}
	vv.pp, vv.ppDigest = e, e.Digest
	if r.props[e.Digest] == nil {
		r.props[e.Digest] = p
	}
	if viaNV {
		// A new view carries a proposal only when a quorum prepared it
		// (f+1 honest sealers verified it): it is not verified again.
		r.verify[e.Digest] = verifyOK
	}
	if r.verify[e.Digest] == verifyNone {
		r.verify[e.Digest] = verifyPending
		c.rd.Verify = append(c.rd.Verify, VerifyRequest{Height: r.height, Digest: e.Digest, Proposal: p,
			Pending: c.pending(r.height)})
	}
	return nil
}

// checkProposal checks what the core can about a proposal for the current height.
func (c *Core) checkProposal(p *Proposal) error {
	h := c.round.height
	switch {
	case p.Height != h:
		return errorf("proposal for height %d at height %d", p.Height, h)
	case p.Parent != c.link(h-1):
		return errorf("bad parent %s, want %s", p.Parent, c.link(h-1))
	case p.Proposer >= uint64(c.n):
		return errorf("proposer index %d", p.Proposer)
	case p.Timestamp < c.timeAt(h-1):
		return errorf("timestamp %d below the parent's %d", p.Timestamp, c.timeAt(h-1))
	case len(p.Txs) == 0:
		return errorf("no transactions")
	case len(p.Txs) > c.cfg.MaxBlockTxs:
		return errorf("%d transactions, limit %d", len(p.Txs), c.cfg.MaxBlockTxs)
	case p.Size() > c.cfg.MaxProposalBytes:
		return errorf("%d bytes, limit %d", p.Size(), c.cfg.MaxProposalBytes)
	}
	seen := make(map[string]struct{}, len(p.Txs))
	for i, tx := range p.Txs {
		if len(tx) == 0 {
			return errorf("transaction %d is empty", i)
		}
		if _, dup := seen[string(tx)]; dup {
			return errorf("transaction %d repeats an earlier one", i)
		}
		seen[string(tx)] = struct{}{}
	}
	return nil
}

func (c *Core) onPrepare(e *Envelope) error {
	vv := c.round.viewVotes(e.View)
	if err := c.storeVote(&vv.prepares, vv.nPrep, e); err != nil {
		return err
	}
	return nil
}

func (c *Core) onCommit(e *Envelope) error {
	r := c.round
	if e.View > r.view+maxFutureViews {
		return c.drop(DropFutureView, e, "")
	}
	if e.View+keptOldViews < r.view {
		return c.drop(DropOldView, e, "")
	}
	vv := r.viewVotes(e.View)
	before := vv.nCommit[e.Digest]
	if err := c.storeVote(&vv.commits, vv.nCommit, e); err != nil {
		return err
	}
	if before < c.q && vv.nCommit[e.Digest] >= c.q {
		r.ready = append(r.ready, viewDigest{e.View, e.Digest})
	}
	return nil
}

// storeVote keeps one vote per sender and view and adds the sender's
// weight to its digest's count.
func (c *Core) storeVote(list *[]*Envelope, count map[common.Hash]uint64, e *Envelope) error {
	if *list == nil {
		*list = make([]*Envelope, c.n)
	}
	if cur := (*list)[e.Sender]; cur != nil {
		if cur.Digest == e.Digest {
			return c.drop(DropDuplicate, e, "")
		}
		return c.drop(DropEquivocation, e, "second vote in one view")
	}
	(*list)[e.Sender] = e
	count[e.Digest] += c.weights[e.Sender]
	return nil
}

func (c *Core) onHeartbeat(e *Envelope) error {
	r := c.round
	if e.View < r.view {
		return c.drop(DropOldView, e, "")
	}
	if e.View > r.view || r.changing {
		return nil // counted for the jump rule by observe
	}
	if vv := r.votes[r.view]; (vv == nil || vv.pp == nil) && (!c.txsAvailable || !c.windowOpen()) {
		r.timer = 0
	}
	return nil
}

// sendVote signs and broadcasts a prepare or commit of the current view.
func (c *Core) sendVote(typ MsgType, d common.Hash) bool {
	r := c.round
	if !c.vote(typ, r.view, d) {
		return false
	}
	e := &Envelope{Type: typ, Height: r.height, View: r.view, Digest: d}
	if !c.sign(e) {
		return false
	}
	vv := r.viewVotes(r.view)
	if typ == MsgPrepare {
		_ = c.storeVote(&vv.prepares, vv.nPrep, e)
	} else {
		before := vv.nCommit[d]
		_ = c.storeVote(&vv.commits, vv.nCommit, e)
		if before < c.q && vv.nCommit[d] >= c.q {
			r.ready = append(r.ready, viewDigest{r.view, d})
		}
	}
	c.send(Broadcast, EncodeEnvelope(e, nil), typ)
	return true
}

// advance runs the protocol until nothing more follows from the state.
func (c *Core) advance() {
	for i := 0; i < 4096; i++ {
		if !c.stepRound() && !c.stepPipeline() {
			return
		}
	}
	c.log.Error("state machine did not settle")
}

// stepRound takes at most one step of the current height; it reports
// whether it did.
func (c *Core) stepRound() bool {
	r := c.round
	if !c.windowOpen() {
		return false
	}
	for len(r.ready) > 0 {
		vd := r.ready[0]
		if p := r.props[vd.digest]; p != nil {
			c.decide(vd.view, vd.digest, p, c.commitProof(vd), nil)
			return true
		}
		if vv := r.votes[vd.view]; vv == nil {
			r.ready = r.ready[1:] // its view was forgotten
			continue
		}
		break
	}
	if c.jump() {
		return true
	}
	if r.changing {
		return false
	}
	vv := r.votes[r.view]
	if vv == nil || vv.pp == nil {
		return false
	}
	d := vv.pp.Digest
	if !c.hasVote(MsgPrepare, r.view) {
		if r.verify[d] == verifyOK {
			return c.sendVote(MsgPrepare, d)
		}
		return false
	}
	if !c.hasVote(MsgCommit, r.view) && vv.nPrep[d] >= c.q {
		c.setPrepared(r.view, d, vv)
		return c.sendVote(MsgCommit, d)
	}
	return false
}

// setPrepared records the prepared certificate of view for digest d.
func (c *Core) setPrepared(view uint64, d common.Hash, vv *viewVotes) {
	r := c.round
	if r.prepared != nil && r.prepared.View >= view {
		return
	}
	pc := &PreparedCert{View: view, Digest: d}
	for _, e := range vv.prepares {
		if e != nil && e.Digest == d {
			pc.Prepares = append(pc.Prepares, e)
		}
	}
	pc.Prepares, _ = c.quorumPrefix(pc.Prepares)
	r.prepared = pc
	c.saveProposal(r.props[d])
	c.dirty, c.binding = true, true
}

// commitProof is the quorum of commits that decided (view, digest).
func (c *Core) commitProof(vd viewDigest) []*Envelope {
	var out []*Envelope
	for _, e := range c.round.votes[vd.view].commits {
		if e != nil && e.Digest == vd.digest {
			out = append(out, e)
		}
	}
	out, _ = c.quorumPrefix(out)
	return out
}

// decide orders proposal p at the current height and moves to the next.
func (c *Core) decide(view uint64, d common.Hash, p *Proposal, commits []*Envelope, certified *types.Header) {
	r := c.round
	dec := &decision{height: r.height, view: view, prop: p, digest: d, commits: commits, at: c.tick}
	dec.certified = certified
	c.chain = append(c.chain, dec)
	c.saveProposal(p)
	c.stats.Decided++
	c.log.Debug("decided", "height", r.height, "view", view, "digest", d, "txs", len(p.Txs))
	c.newRound(r.height+1, view)
}

// leaderFault starts a view change because the leader provably misbehaved.
func (c *Core) leaderFault(why string) {
	r := c.round
	if r.changing {
		return
	}
	c.log.Warn("view change: leader misbehaved", "height", r.height, "view", r.view,
		"leader", c.Leader(r.height, r.view), "why", why)
	c.startViewChange(r.view + 1)
}

// enterView starts participating in view (from a new view, or unjustified
// while fresh or at the start of a height).
func (c *Core) enterView(view uint64, viaNV bool, constraint common.Hash) {
	r := c.round
	r.view, r.changing, r.viaNV, r.constraint = view, false, viaNV, constraint
	r.timer, r.requested, r.lastHB = 0, false, 0
	r.out = slices.DeleteFunc(r.out, func(m sentMsg) bool { return !m.commit })
	c.dirty, c.binding = true, true
	r.pruneVotes()
	msgs := r.futureV[view]
	for v := range r.futureV {
		if v <= view {
			delete(r.futureV, v)
		}
	}
	for _, m := range msgs {
		if c.round != r || r.view != view || r.changing {
			return
		}
		_ = c.dispatch(m)
	}
}

// jump moves a fresh node to the view sealers weighing more than F
// (f+1 of weight 1) are already in.
func (c *Core) jump() bool {
	r := c.round
	if !r.fresh || r.changing {
		return false
	}
	var views []sealerValue
	for s, mv := range r.maxView {
		if mv > r.view+1 {
			views = append(views, sealerValue{s, mv - 1})
		}
	}
	target, ok := c.beyondFaulty(views)
	if !ok {
		return false
	}
	c.log.Debug("joining the view of sealers weighing more than f", "height", r.height, "from", r.view, "to", target)
	c.enterView(target, false, common.Hash{})
	return true
}
