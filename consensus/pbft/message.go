package pbft

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/gobcos/gobcos/types"
)

// MsgType is the type of a signed consensus message (an Envelope).
type MsgType uint8

// Message types.
const (
	MsgPrePrepare MsgType = iota + 1 // the leader's proposal for (height, view)
	MsgPrepare                       // a sealer validated the proposal
	MsgCommit                        // a sealer saw a prepare quorum
	MsgViewChange                    // a sealer wants to leave its view; carries its prepared certificate
	MsgNewView                       // the new leader's proof that a quorum wants the view, with the proposal it must carry
	MsgHeartbeat                     // an idle leader is alive
	MsgCheckpoint                    // a sealer's signature over the executed header (a commit certificate share)
	maxMsgType    = MsgCheckpoint
)

var msgTypeNames = [...]string{"", "pre-prepare", "prepare", "commit", "view-change", "new-view", "heartbeat", "checkpoint"}

func (t MsgType) String() string {
	if t == 0 || t > maxMsgType {
		return fmt.Sprintf("msgtype(%d)", uint8(t))
	}
	return msgTypeNames[t]
}

// Kind is the kind of a wire packet.
type Kind uint8

// Packet kinds.
const (
	KindEnvelope  Kind = 1 // one signed Envelope, maybe with a Proposal attached
	KindDecided   Kind = 2 // catch-up: a proposal and the commit quorum that decided it
	KindFinalized Kind = 3 // catch-up: a proposal and its certified executed header
)

// Envelope is a signed consensus message. The signature covers every
// field but Sig, prefixed with the chain's Domain; a Checkpoint is signed
// over its Digest alone (the executed header hash), so its signature is
// directly a commit certificate share that consensus.VerifyCommit accepts,
// and its View and Final are not authenticated (the core ignores them).
type Envelope struct {
	Type   MsgType
	Height uint64
	View   uint64
	Sender uint64 // the signer's index in the sealer list
	Final  uint64 // the signer's finalized height, a hint for catch-up
	// Digest is the proposal digest (pre-prepare, prepare, commit, and the
	// new view's carried proposal or zero) or the header hash (checkpoint).
	Digest common.Hash
	// Body is type specific: a view change's PreparedCert, a new view's
	// list of view-change envelopes, a heartbeat's incarnation and sequence.
	Body []byte
	Sig  []byte
}

type envelopeSigned struct {
	Type   MsgType
	Height uint64
	View   uint64
	Sender uint64
	Final  uint64
	Digest common.Hash
	Body   []byte
}

// Proposal is what a height orders: a list of transactions proposed by a
// leader on top of the proposal decided at Height-1. Its digest goes into
// the executed header's Extra field, binding the certified block to the
// ordered proposal. A Proposal must not be modified once made.
type Proposal struct {
	Height    uint64
	Parent    common.Hash // digest of the proposal decided at Height-1 (for height 1: the genesis header hash)
	Timestamp uint64      // seconds since the Unix epoch, not below the parent's
	Proposer  uint64      // sealer index of the leader that made it
	Txs       [][]byte    // encoded transactions or their hashes (the driver's choice, by chain version), opaque to consensus

	enc    []byte
	digest common.Hash
	hashed bool
}

type proposalEnc struct {
	Height    uint64
	Parent    common.Hash
	Timestamp uint64
	Proposer  uint64
	Txs       [][]byte
}

// proposalPrefix separates proposal digests from every other hash.
var proposalPrefix = []byte("gobcos/pbft/proposal/v1")

// Encode is the canonical encoding of the proposal.
func (p *Proposal) Encode() []byte {
	if p.enc == nil {
		enc, err := rlp.EncodeToBytes(&proposalEnc{p.Height, p.Parent, p.Timestamp, p.Proposer, p.Txs})
		if err != nil {
			panic(fmt.Sprintf("pbft: encoding a proposal cannot fail: %v", err))
		}
		p.enc = enc
	}
	return p.enc
}

// Digest identifies the proposal.
func (p *Proposal) Digest(h types.Hasher) common.Hash {
	if !p.hashed {
		p.digest = h.Hash(proposalPrefix, p.Encode())
		p.hashed = true
	}
	return p.digest
}

// Size is the encoded size.
func (p *Proposal) Size() int { return len(p.Encode()) }

// DecodeProposal decodes Proposal.Encode's output.
func DecodeProposal(b []byte) (*Proposal, error) {
	var e proposalEnc
	if err := rlp.DecodeBytes(b, &e); err != nil {
		return nil, fmt.Errorf("%w: proposal: %v", ErrMalformedMessage, err)
	}
	p := &Proposal{Height: e.Height, Parent: e.Parent, Timestamp: e.Timestamp, Proposer: e.Proposer, Txs: e.Txs}
	p.enc = append([]byte(nil), b...)
	return p, nil
}

// PreparedCert proves that a quorum prepared a proposal in a view: the
// quorum's signed Prepare envelopes. An empty certificate (no prepares)
// means "prepared nothing at this height".
type PreparedCert struct {
	View     uint64
	Digest   common.Hash
	Prepares []*Envelope
}

// Empty reports a certificate that proves nothing.
func (pc *PreparedCert) Empty() bool { return pc == nil || len(pc.Prepares) == 0 }

// Heartbeat is the body of a heartbeat envelope.
type Heartbeat struct {
	Incarnation uint64
	Seq         uint64
}

// Message is a decoded wire packet. Which fields are set depends on Kind
// and, for envelopes, on the envelope's Type.
type Message struct {
	Kind Kind
	// Env is the signed envelope (KindEnvelope).
	Env *Envelope
	// Proposal is attached to pre-prepares, to new views that carry one,
	// optionally to view changes (the prepared proposal), and to both
	// catch-up kinds.
	Proposal *Proposal
	// Cert is a view change's prepared certificate.
	Cert *PreparedCert
	// ViewChanges and Certs are a new view's view-change envelopes and their certificates.
	ViewChanges []*Envelope
	Certs       []*PreparedCert
	// Heartbeat is a heartbeat's body.
	Heartbeat Heartbeat
	// Commits are a decided proof's commit envelopes (KindDecided).
	Commits []*Envelope
	// Header is a finalized proof's executed header with its commit certificate (KindFinalized).
	Header *types.Header
}

type packet struct {
	Kind     Kind
	Envs     []*Envelope
	Proposal []byte
	Header   []byte
}

// Decoder limits that do not depend on configuration.
const (
	maxSigLen     = 128
	maxEnvsPerMsg = maxSealers
)

func encodePacket(p *packet) []byte {
	enc, err := rlp.EncodeToBytes(p)
	if err != nil {
		panic(fmt.Sprintf("pbft: encoding a packet cannot fail: %v", err))
	}
	return enc
}

// EncodeEnvelope encodes a signed envelope with an optional proposal.
func EncodeEnvelope(e *Envelope, prop *Proposal) []byte {
	p := &packet{Kind: KindEnvelope, Envs: []*Envelope{e}}
	if prop != nil {
		p.Proposal = prop.Encode()
	}
	return encodePacket(p)
}

// EncodeDecided encodes a decided proof.
func EncodeDecided(prop *Proposal, commits []*Envelope) []byte {
	return encodePacket(&packet{Kind: KindDecided, Envs: commits, Proposal: prop.Encode()})
}

// EncodeFinalized encodes a finalized proof.
func EncodeFinalized(prop *Proposal, header *types.Header) []byte {
	return encodePacket(&packet{Kind: KindFinalized, Proposal: prop.Encode(), Header: types.EncodeHeader(header)})
}

func encodeRLP(v any) []byte {
	enc, err := rlp.EncodeToBytes(v)
	if err != nil {
		panic(fmt.Sprintf("pbft: encoding cannot fail: %v", err))
	}
	return enc
}

func encodeCert(pc *PreparedCert) []byte {
	if pc == nil {
		pc = &PreparedCert{}
	}
	return encodeRLP(pc)
}

func encodeHeartbeat(hb Heartbeat) []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hb.Incarnation)
	binary.BigEndian.PutUint64(b[8:], hb.Seq)
	return b[:]
}

// DecodeMessage decodes a wire packet of at most maxSize bytes and checks
// its structure (not its signatures or its meaning: that is the core's
// job). It never panics on any input.
func DecodeMessage(data []byte, maxSize int) (*Message, error) {
	if len(data) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformedMessage, len(data), maxSize)
	}
	var p packet
	if err := rlp.DecodeBytes(data, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedMessage, err)
	}
	if len(p.Envs) > maxEnvsPerMsg {
		return nil, fmt.Errorf("%w: %d envelopes", ErrMalformedMessage, len(p.Envs))
	}
	for i, e := range p.Envs {
		if err := checkEnvelope(e); err != nil {
			return nil, fmt.Errorf("envelope %d: %w", i, err)
		}
	}
	m := &Message{Kind: p.Kind}
	if len(p.Proposal) > 0 {
		prop, err := DecodeProposal(p.Proposal)
		if err != nil {
			return nil, err
		}
		m.Proposal = prop
	}
	switch p.Kind {
	case KindEnvelope:
		if len(p.Envs) != 1 || len(p.Header) != 0 {
			return nil, fmt.Errorf("%w: an envelope packet holds exactly one envelope", ErrMalformedMessage)
		}
		m.Env = p.Envs[0]
		if err := decodeBody(m); err != nil {
			return nil, err
		}
	case KindDecided:
		if len(p.Envs) == 0 || m.Proposal == nil || len(p.Header) != 0 {
			return nil, fmt.Errorf("%w: a decided proof needs a proposal and commits", ErrMalformedMessage)
		}
		for _, e := range p.Envs {
			if e.Type != MsgCommit || len(e.Body) != 0 {
				return nil, fmt.Errorf("%w: a decided proof holds only commits", ErrMalformedMessage)
			}
		}
		m.Commits = p.Envs
	case KindFinalized:
		if len(p.Envs) != 0 || m.Proposal == nil || len(p.Header) == 0 {
			return nil, fmt.Errorf("%w: a finalized proof needs a proposal and a header", ErrMalformedMessage)
		}
		h, err := types.DecodeHeader(p.Header)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformedMessage, err)
		}
		if len(h.Signatures) > maxSealers {
			return nil, fmt.Errorf("%w: %d signatures", ErrMalformedMessage, len(h.Signatures))
		}
		m.Header = h
	default:
		return nil, fmt.Errorf("%w: unknown packet kind %d", ErrMalformedMessage, p.Kind)
	}
	return m, nil
}

func checkEnvelope(e *Envelope) error {
	switch {
	case e == nil:
		return fmt.Errorf("%w: empty envelope", ErrMalformedMessage)
	case e.Type == 0 || e.Type > maxMsgType:
		return fmt.Errorf("%w: unknown message type %d", ErrMalformedMessage, e.Type)
	case len(e.Sig) == 0 || len(e.Sig) > maxSigLen:
		return fmt.Errorf("%w: signature of %d bytes", ErrMalformedMessage, len(e.Sig))
	case e.Sender >= maxSealers:
		return fmt.Errorf("%w: sender index %d", ErrMalformedMessage, e.Sender)
	}
	return nil
}

// decodeBody decodes and checks the type-specific parts of an envelope packet.
func decodeBody(m *Message) error {
	e := m.Env
	switch e.Type {
	case MsgPrePrepare:
		if m.Proposal == nil || len(e.Body) != 0 {
			return fmt.Errorf("%w: a pre-prepare carries its proposal and no body", ErrMalformedMessage)
		}
	case MsgPrepare, MsgCommit, MsgCheckpoint:
		if m.Proposal != nil || len(e.Body) != 0 {
			return fmt.Errorf("%w: a %s has no body or proposal", ErrMalformedMessage, e.Type)
		}
	case MsgHeartbeat:
		if m.Proposal != nil || len(e.Body) != 16 {
			return fmt.Errorf("%w: a heartbeat body is 16 bytes", ErrMalformedMessage)
		}
		m.Heartbeat = Heartbeat{binary.BigEndian.Uint64(e.Body[:8]), binary.BigEndian.Uint64(e.Body[8:])}
	case MsgViewChange:
		pc, err := decodeCert(e.Body)
		if err != nil {
			return err
		}
		if m.Proposal != nil && pc.Empty() {
			return fmt.Errorf("%w: a view change without certificate carries no proposal", ErrMalformedMessage)
		}
		m.Cert = pc
	case MsgNewView:
		if (m.Proposal != nil) != (e.Digest != common.Hash{}) {
			return fmt.Errorf("%w: a new view carries a proposal exactly when it names a digest", ErrMalformedMessage)
		}
		var vcs []*Envelope
		if err := rlp.DecodeBytes(e.Body, &vcs); err != nil {
			return fmt.Errorf("%w: new view body: %v", ErrMalformedMessage, err)
		}
		if len(vcs) == 0 || len(vcs) > maxEnvsPerMsg {
			return fmt.Errorf("%w: new view with %d view changes", ErrMalformedMessage, len(vcs))
		}
		m.ViewChanges = vcs
		m.Certs = make([]*PreparedCert, len(vcs))
		for i, vc := range vcs {
			if err := checkEnvelope(vc); err != nil {
				return err
			}
			if vc.Type != MsgViewChange {
				return fmt.Errorf("%w: new view lists a %s", ErrMalformedMessage, vc.Type)
			}
			pc, err := decodeCert(vc.Body)
			if err != nil {
				return err
			}
			m.Certs[i] = pc
		}
	}
	return nil
}

func decodeCert(b []byte) (*PreparedCert, error) {
	pc := new(PreparedCert)
	if err := rlp.DecodeBytes(b, pc); err != nil {
		return nil, fmt.Errorf("%w: prepared certificate: %v", ErrMalformedMessage, err)
	}
	if len(pc.Prepares) > maxEnvsPerMsg {
		return nil, fmt.Errorf("%w: certificate with %d prepares", ErrMalformedMessage, len(pc.Prepares))
	}
	for _, e := range pc.Prepares {
		if err := checkEnvelope(e); err != nil {
			return nil, err
		}
		if e.Type != MsgPrepare || len(e.Body) != 0 {
			return nil, fmt.Errorf("%w: certificate holds a %s", ErrMalformedMessage, e.Type)
		}
	}
	return pc, nil
}
