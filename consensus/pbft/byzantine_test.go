package pbft

import (
	"math/rand/v2"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus/enginetest"
)

// byzantine wraps an honest core and corrupts what it sends: it
// equivocates (two proposals or votes for one height and view), proposes
// invalid blocks (bad parent, undecodable or already committed
// transactions, wrong height, none at all), signs wrong executed headers
// (bad roots), forges prepared certificates, makes new views that drop
// the prepared proposal, sends bad signatures or messages claiming
// another sender, stays silent or talks to only some sealers, and replays
// old messages of anyone.
type byzantine struct {
	r   *simReplica
	rng *rand.Rand
	old [][]byte // recent messages seen or sent, for replays

	pEquivocate, pInvalid, pBadSig, pReplay, pSilent, pBadCP, pSelective float64
}

func newByzantine(r *simReplica) *byzantine {
	rng := r.h.Rand
	pick := func() float64 { return []float64{0, 0.1, 0.3, 0.7}[rng.IntN(4)] }
	return &byzantine{r: r, rng: rng, pEquivocate: pick(), pInvalid: pick(), pBadSig: pick(),
		pReplay: pick(), pSilent: pick() / 2, pBadCP: pick(), pSelective: pick()}
}

func (b *byzantine) remember(data []byte) {
	if len(b.old) < 64 {
		b.old = append(b.old, data)
	} else {
		b.old[b.rng.IntN(len(b.old))] = data
	}
}

func (b *byzantine) tick() {
	if len(b.old) > 0 && b.rng.Float64() < b.pReplay {
		b.r.h.Send(b.rng.IntN(b.r.h.N), b.old[b.rng.IntN(len(b.old))])
	}
}

// peers returns the other sealers a message to `to` reaches.
func (b *byzantine) peers(to int) []int {
	if to != Broadcast {
		return []int{to}
	}
	var out []int
	for i := range b.r.h.N {
		if i != b.r.h.ID {
			out = append(out, i)
		}
	}
	return out
}

// send replaces the honest core's message by its corrupted versions.
func (b *byzantine) send(m Outbound) {
	b.remember(m.Data)
	if b.rng.Float64() < b.pSilent {
		return
	}
	msg, err := DecodeMessage(m.Data, b.r.f.cfg.MaxMessageSize)
	if err != nil || msg.Kind != KindEnvelope {
		b.r.h.Send(m.To, m.Data)
		return
	}
	if b.rng.Float64() < b.pBadSig {
		b.badSignature(m.To, msg)
	}
	e := msg.Env
	switch {
	case e.Type == MsgPrePrepare && b.rng.Float64() < b.pEquivocate:
		alt := *msg.Proposal
		alt.enc, alt.hashed = nil, false
		alt.Timestamp++
		b.split(m.To, m.Data, b.resign(e, &alt))
		return
	case e.Type == MsgPrePrepare && b.rng.Float64() < b.pInvalid:
		b.r.h.Send(m.To, b.resign(e, b.invalid(msg.Proposal)))
		return
	case (e.Type == MsgPrepare || e.Type == MsgCommit) && b.rng.Float64() < b.pEquivocate:
		alt := *e
		alt.Digest = common.Hash{byte(b.rng.Uint32())}
		b.r.core.sign(&alt)
		b.split(m.To, m.Data, EncodeEnvelope(&alt, nil))
		return
	case e.Type == MsgCheckpoint && b.rng.Float64() < b.pBadCP:
		alt := *e
		alt.Digest[0] ^= 0x80 // a header with other roots
		b.r.core.sign(&alt)
		b.r.h.Send(m.To, EncodeEnvelope(&alt, nil))
		return
	case e.Type == MsgNewView && e.Digest != (common.Hash{}) && b.rng.Float64() < b.pInvalid:
		// Drop the prepared proposal the new view must carry and propose
		// another one instead.
		alt := *e
		alt.Digest = common.Hash{}
		b.r.core.sign(&alt)
		b.r.h.Send(m.To, EncodeEnvelope(&alt, nil))
		other := &Proposal{Height: msg.Proposal.Height, Parent: msg.Proposal.Parent, Timestamp: msg.Proposal.Timestamp + 1,
			Proposer: uint64(b.r.h.ID), Txs: msg.Proposal.Txs}
		b.r.h.Send(m.To, b.resign(&Envelope{Type: MsgPrePrepare, Height: e.Height, View: e.View}, other))
		return
	case e.Type == MsgViewChange && b.rng.Float64() < b.pInvalid:
		alt := *e
		fake := &Envelope{Type: MsgPrepare, Height: e.Height, View: 0, Digest: common.Hash{1}}
		b.r.core.sign(fake)
		alt.Body = encodeCert(&PreparedCert{View: 0, Digest: common.Hash{1}, Prepares: slices.Repeat([]*Envelope{fake}, int(min(b.r.core.q, uint64(b.r.h.N))))})
		b.r.core.sign(&alt)
		b.r.h.Send(m.To, EncodeEnvelope(&alt, nil))
		return
	}
	if b.rng.Float64() < b.pSelective {
		// Only some sealers hear it: one may decide while others cannot.
		for _, p := range b.peers(m.To) {
			if b.rng.IntN(3) == 0 {
				b.r.h.Send(p, m.Data)
			}
		}
		return
	}
	b.r.h.Send(m.To, m.Data)
}

// split sends a to a random part of the receivers and alt to the rest.
func (b *byzantine) split(to int, a, alt []byte) {
	for _, p := range b.peers(to) {
		if b.rng.IntN(2) == 0 {
			b.r.h.Send(p, a)
		} else {
			b.r.h.Send(p, alt)
		}
	}
}

// resign makes a pre-prepare for another proposal at e's height and view.
func (b *byzantine) resign(e *Envelope, p *Proposal) []byte {
	alt := *e
	alt.Digest = p.Digest(b.r.f.suite)
	b.r.core.sign(&alt)
	return EncodeEnvelope(&alt, p)
}

// invalid returns a corrupted copy of p.
func (b *byzantine) invalid(p *Proposal) *Proposal {
	q := &Proposal{Height: p.Height, Parent: p.Parent, Timestamp: p.Timestamp, Proposer: p.Proposer, Txs: slices.Clone(p.Txs)}
	switch b.rng.IntN(5) {
	case 0:
		q.Parent[3] ^= 1
	case 1:
		q.Txs = append(q.Txs, []byte("not a transaction"))
	case 2:
		q.Txs = b.badTxs(q.Txs)
	case 3:
		q.Height++
	default:
		q.Txs = nil
	}
	return q
}

// badTxs adds an already committed transaction, or garbage if none is.
func (b *byzantine) badTxs(txs [][]byte) [][]byte {
	l := b.r.h.Ledger
	if l.Height() > 0 {
		if blk := l.Block(1 + b.rng.Uint64N(l.Height())); len(blk.Txs) > 0 {
			return append(slices.Clone(txs), blk.Txs[0])
		}
	}
	return append(slices.Clone(txs), enginetest.MakeTx(b.r.f.suite, 1<<40+b.rng.Uint64N(1<<20))[:15])
}

// badSignature sends a copy with a broken signature or a false sender.
func (b *byzantine) badSignature(to int, msg *Message) {
	alt := *msg.Env
	if b.rng.IntN(2) == 0 {
		alt.Sig = slices.Clone(alt.Sig)
		alt.Sig[b.rng.IntN(len(alt.Sig))] ^= 0x10
	} else {
		alt.Sender = b.rng.Uint64N(uint64(b.r.h.N))
	}
	b.r.h.Send(to, EncodeEnvelope(&alt, msg.Proposal))
}
