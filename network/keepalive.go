package network

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Keepalive defaults (Config.KeepaliveIdle, Config.KeepaliveTimeout).
const (
	DefaultKeepaliveIdle    = 5 * time.Second
	DefaultKeepaliveTimeout = 15 * time.Second
)

// Control messages travel in module 0 with group "": the hello, then
// pings and pongs, and a bye. A ping or pong payload is its magic and a
// uint64 sequence number (big-endian); a pong echoes the ping's number. A
// bye (number 0) is the last frame its sender writes on the connection
// (drain.go).
const (
	pingMagic   = "PING"
	pongMagic   = "PONG"
	byeMagic    = "BYE."
	controlSize = 4 + 8
)

type controlKind uint8

const (
	controlHello controlKind = iota + 1
	controlPing
	controlPong
	controlBye
)

// control is a decoded module-0 message.
type control struct {
	kind  controlKind
	hello hello  // controlHello
	seq   uint64 // controlPing, controlPong (0 in a bye)
}

func encodePing(seq uint64) []byte { return encodeSeq(pingMagic, seq) }
func encodePong(seq uint64) []byte { return encodeSeq(pongMagic, seq) }
func encodeBye() []byte            { return encodeSeq(byeMagic, 0) }

func encodeSeq(magic string, seq uint64) []byte {
	b := make([]byte, controlSize)
	copy(b, magic)
	binary.BigEndian.PutUint64(b[4:], seq)
	return b
}

// decodeControl decodes a module-0 payload. Unknown or malformed control
// messages are errors wrapping ErrProtocol.
func decodeControl(b []byte) (control, error) {
	if len(b) < 4 {
		return control{}, fmt.Errorf("%w: control message of %d bytes", ErrProtocol, len(b))
	}
	switch string(b[:4]) {
	case helloMagic:
		h, err := decodeHello(b)
		return control{kind: controlHello, hello: h}, err
	case pingMagic, pongMagic, byeMagic:
		if len(b) != controlSize {
			return control{}, fmt.Errorf("%w: %s of %d bytes, want %d", ErrProtocol, b[:4], len(b), controlSize)
		}
		k := controlPing
		switch string(b[:4]) {
		case pongMagic:
			k = controlPong
		case byeMagic:
			k = controlBye
		}
		seq := binary.BigEndian.Uint64(b[4:])
		if k == controlBye && seq != 0 {
			return control{}, fmt.Errorf("%w: bye numbered %d", ErrProtocol, seq)
		}
		return control{kind: k, seq: seq}, nil
	}
	return control{}, fmt.Errorf("%w: unknown control message %x", ErrProtocol, b[:4])
}

// onControl handles a control message from p on its reader and returns
// its kind (0 if unknown): a ping is answered with a pong, a bye is for
// the reader (drain.go); hellos after the first and pongs need nothing
// (the bytes received already counted as traffic). Unknown control
// messages are counted as unhandled and ignored, so later versions may
// add some.
func (p *peer) onControl(m Message) controlKind {
	c, err := decodeControl(m.Payload)
	if err != nil || m.Group != "" {
		p.h.stats.unhandled.Add(1)
		return 0
	}
	if c.kind == controlPing {
		if f, err := EncodeFrame(Message{Module: ModuleHello, Payload: encodePong(c.seq)}, MinMaxFrameSize); err == nil {
			_ = p.enqueue(f) // a full queue means traffic is flowing anyway
		}
	}
	return c.kind
}

// elapsed is the monotonic time since the peer connected.
func (p *peer) elapsed() time.Duration { return time.Since(p.since) }

// keepaliveLoop pings silent peers and drops those silent for longer than
// KeepaliveTimeout, until the host closes.
func (h *Host) keepaliveLoop() {
	defer h.wg.Done()
	tick := max(h.cfg.KeepaliveIdle/4, time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			for _, p := range h.snapshot() {
				h.keepalive(p)
			}
		}
	}
}

// keepalive checks one peer: drop it if silent for KeepaliveTimeout, ping
// it if silent for KeepaliveIdle and not pinged within KeepaliveIdle.
func (h *Host) keepalive(p *peer) {
	if p.isStopping() {
		return
	}
	now := p.elapsed()
	silent := now - time.Duration(p.lastRecv.Load())
	if silent >= h.cfg.KeepaliveTimeout {
		h.stats.keepaliveTimeouts.Add(1)
		h.log.Warn("peer stopped answering: disconnecting", "peer", p.id.Short(), "name", p.conn.Peer.Name,
			"reason", "keepalive_timeout", "silent", silent.Round(time.Millisecond), "timeout", h.cfg.KeepaliveTimeout)
		p.stop(false)
		return
	}
	if silent < h.cfg.KeepaliveIdle || now-time.Duration(p.lastPing.Load()) < h.cfg.KeepaliveIdle {
		return
	}
	seq := p.pingSeq.Add(1)
	f, err := EncodeFrame(Message{Module: ModuleHello, Payload: encodePing(seq)}, MinMaxFrameSize)
	if err != nil {
		return
	}
	if p.enqueue(f) == nil {
		p.lastPing.Store(int64(now))
		h.stats.pingsSent.Add(1)
	}
}
