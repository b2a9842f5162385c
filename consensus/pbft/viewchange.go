package pbft

import (
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// startViewChange leaves the current view for view t: this node stops
// voting in lower views at this height and broadcasts its prepared
// certificate so that t's leader can carry a possibly committed proposal.
func (c *Core) startViewChange(t uint64) {
	r := c.round
	if t < r.view || (t == r.view && r.changing) {
		return
	}
	if !c.vote(MsgViewChange, t, common.Hash{}) {
		return
	}
	r.view, r.changing, r.viaNV, r.constraint = t, true, false, common.Hash{}
	r.timer, r.requested = 0, false
	r.out = slices.DeleteFunc(r.out, func(m sentMsg) bool { return !m.commit })
	c.dirty, c.binding = true, true
	c.stats.ViewChanges++
	c.sendViewChange()
	r.pruneVotes()
	c.tryNewView()
}

// sendViewChange signs and broadcasts the view change of the current target view.
func (c *Core) sendViewChange() {
	r := c.round
	cert := r.prepared
	if cert == nil {
		cert = &PreparedCert{}
	}
	env := &Envelope{Type: MsgViewChange, Height: r.height, View: r.view, Body: encodeCert(cert)}
	if !c.sign(env) {
		return
	}
	var p *Proposal
	if !cert.Empty() {
		p = r.props[cert.Digest]
	}
	c.send(Broadcast, EncodeEnvelope(env, p), MsgViewChange)
	r.vcs[c.self] = &vcEntry{env: env, cert: cert}
}

func (c *Core) onViewChange(m *Message) error {
	e, r := m.Env, c.round
	if e.View == 0 {
		return c.drop(DropUnexpected, e, "view change to view 0")
	}
	cert := m.Cert
	if !cert.Empty() {
		if err := c.checkCert(cert, e.View); err != nil {
			return c.drop(DropBadCertificate, e, err.Error())
		}
		if p := m.Proposal; p != nil {
			if p.Digest(c.suite) != cert.Digest {
				return c.drop(DropBadCertificate, e, "attached proposal does not match the certificate")
			}
			if r.props[cert.Digest] == nil && p.Height == r.height {
				r.props[cert.Digest] = p
			}
		}
	}
	if cur := r.vcs[e.Sender]; cur != nil {
		switch {
		case cur.env.View > e.View:
			return c.drop(DropOldView, e, "")
		case cur.env.View == e.View && c.contentID(cur.env) == c.contentID(e):
			return c.drop(DropDuplicate, e, "")
		case cur.env.View == e.View:
			return c.drop(DropEquivocation, e, "second view change to one view")
		}
	}
	r.vcs[e.Sender] = &vcEntry{env: e, cert: cert}
	c.vcRule()
	c.tryNewView()
	return nil
}

// checkCert verifies a prepared certificate of the current height carried
// by a view change to vcView.
func (c *Core) checkCert(pc *PreparedCert, vcView uint64) error {
	r := c.round
	if pc.View >= vcView {
		return errorf("certificate of view %d in a view change to %d", pc.View, vcView)
	}
	signed := make([]bool, c.n)
	for _, e := range pc.Prepares {
		switch {
		case e.Type != MsgPrepare || e.Height != r.height || e.View != pc.View || e.Digest != pc.Digest:
			return errorf("certificate holds a prepare for another height, view or digest")
		case e.Sender >= uint64(c.n) || signed[e.Sender]:
			return errorf("certificate holds an unknown or repeated signer %d", e.Sender)
		}
		signed[e.Sender] = true
	}
	if w := c.weightOfSet(signed); w < c.q {
		return errorf("certificate with %d prepares of weight %d, quorum %d", len(pc.Prepares), w, c.q)
	}
	for _, e := range pc.Prepares {
		if !c.verify(e) {
			return errorf("certificate holds a bad signature of sealer %d", e.Sender)
		}
	}
	return nil
}

// selectCert returns the digest the new view must carry: that of the
// highest-view prepared certificate among the view changes, or zero.
func selectCert(set []*vcEntry) common.Hash {
	var best *PreparedCert
	for _, vc := range set {
		if !vc.cert.Empty() && (best == nil || vc.cert.View > best.View) {
			best = vc.cert
		}
	}
	if best == nil {
		return common.Hash{}
	}
	return best.Digest
}

// vcRule joins a view change that sealers weighing more than F (f+1 of
// weight 1, so at least one honest) already asked for: to the highest
// view v such that the sealers asking for v or more weigh more than F.
func (c *Core) vcRule() {
	r := c.round
	var views []sealerValue
	for s, vc := range r.vcs {
		if vc != nil && vc.env.View > r.view {
			views = append(views, sealerValue{s, vc.env.View})
		}
	}
	if v, ok := c.beyondFaulty(views); ok {
		c.startViewChange(v)
	}
}

// tryNewView makes the new view when this node leads the view it is
// changing to and a quorum asked for it.
func (c *Core) tryNewView() {
	r := c.round
	if !r.changing || c.Leader(r.height, r.view) != c.self {
		return
	}
	t := r.view
	var set []*vcEntry
	var weight uint64
	for s, vc := range r.vcs {
		if vc != nil && vc.env.View == t && weight < c.q {
			set = append(set, vc)
			weight += c.weights[s]
		}
	}
	if weight < c.q {
		return
	}
	d := selectCert(set)
	var p *Proposal
	if d != (common.Hash{}) {
		if p = r.props[d]; p == nil {
			return // wait for a view change carrying the proposal
		}
	}
	if !c.vote(MsgNewView, t, d) || (d != common.Hash{} && !c.vote(MsgPrePrepare, t, d)) {
		return
	}
	envs := make([]*Envelope, len(set))
	for i, vc := range set {
		envs[i] = vc.env
	}
	env := &Envelope{Type: MsgNewView, Height: r.height, View: t, Digest: d, Body: encodeRLP(envs)}
	if !c.sign(env) {
		return
	}
	c.stats.NewViews++
	c.log.Info("new view", "height", r.height, "view", t, "carried", d)
	c.enterView(t, true, d)
	c.send(Broadcast, EncodeEnvelope(env, p), MsgNewView)
	if d != (common.Hash{}) {
		vv := r.viewVotes(t)
		vv.pp, vv.ppDigest = env, d
		r.verify[d] = verifyOK
		c.saveProposal(p)
	}
}

func (c *Core) onNewView(m *Message) error {
	e, r := m.Env, c.round
	t := e.View
	if t < r.view {
		return c.drop(DropOldView, e, "")
	}
	if t == r.view && !r.changing {
		if r.viaNV {
			return c.drop(DropDuplicate, e, "view already entered")
		}
		if vv := r.votes[t]; vv != nil && vv.pp != nil {
			return c.drop(DropUnexpected, e, "view already has a proposal")
		}
	}
	signed := make([]bool, c.n)
	for _, vc := range m.ViewChanges {
		if vc.Sender >= uint64(c.n) || signed[vc.Sender] {
			return c.drop(DropBadCertificate, e, "unknown or repeated view-change signer")
		}
		signed[vc.Sender] = true
	}
	if c.weightOfSet(signed) < c.q {
		return c.drop(DropBadCertificate, e, "view changes weighing less than a quorum")
	}
	clear(signed)
	set := make([]*vcEntry, len(m.ViewChanges))
	for i, vc := range m.ViewChanges {
		switch {
		case vc.Height != r.height || vc.View != t:
			return c.drop(DropBadCertificate, e, "view change for another height or view")
		case vc.Sender >= uint64(c.n) || signed[vc.Sender]:
			return c.drop(DropBadCertificate, e, "unknown or repeated view-change signer")
		case !c.verify(vc):
			return c.drop(DropBadCertificate, e, "bad view-change signature")
		}
		if cert := m.Certs[i]; !cert.Empty() {
			if err := c.checkCert(cert, t); err != nil {
				return c.drop(DropBadCertificate, e, err.Error())
			}
		}
		signed[vc.Sender] = true
		set[i] = &vcEntry{env: vc, cert: m.Certs[i]}
	}
	d := selectCert(set)
	if e.Digest != d {
		return c.drop(DropBadCertificate, e, "new view does not carry the highest prepared proposal")
	}
	var p *Proposal
	if d != (common.Hash{}) {
		p = m.Proposal
		if p.Digest(c.suite) != d || p.Height != r.height || p.Parent != c.link(r.height-1) {
			return c.drop(DropBadCertificate, e, "carried proposal does not match")
		}
	}
	c.stats.NewViews++
	c.log.Debug("entering new view", "height", r.height, "view", t, "carried", d)
	c.enterView(t, true, d)
	for s, vc := range r.vcs {
		if vc != nil && vc.env.View <= t {
			r.vcs[s] = nil
		}
	}
	if p != nil {
		if r.props[d] == nil {
			r.props[d] = p
		}
		return c.onPrePrepare(e, p, true)
	}
	return nil
}

// heartbeat lets an idle leader tell the sealers it is alive.
func (c *Core) heartbeat() {
	r := c.round
	if r.changing || c.Leader(r.height, r.view) != c.self {
		return
	}
	if vv := r.votes[r.view]; vv != nil && vv.pp != nil {
		return
	}
	if r.lastHB != 0 && c.tick-r.lastHB < c.cfg.HeartbeatTicks {
		return
	}
	r.lastHB = c.tick
	env := &Envelope{Type: MsgHeartbeat, Height: r.height, View: r.view,
		Body: encodeHeartbeat(Heartbeat{Incarnation: c.cfg.Incarnation, Seq: c.tick})}
	if !c.sign(env) {
		return
	}
	c.send(Broadcast, EncodeEnvelope(env, nil), 0)
	if !c.txsAvailable || !c.windowOpen() {
		r.timer = 0
	}
}

// resend sends the round's messages and pending checkpoints again.
func (c *Core) resend() {
	for _, m := range c.round.out {
		c.rd.Messages = append(c.rd.Messages, Outbound{To: Broadcast, Data: m.data})
	}
	for _, d := range c.chain {
		if d.final == nil && d.cpMsg != nil {
			c.rd.Messages = append(c.rd.Messages, Outbound{To: Broadcast, Data: d.cpMsg})
		}
	}
}
