// Package network is the node-to-node transport of gobcos: mutual TLS over
// TCP, admission of peers by certificate and node list, framed messages
// routed by group and module, and a Host that keeps one connection per
// peer with bounded queues, rate limits and reconnection.
//
// # Layers
//
//   - Admission verifies a peer's certificate chain (leaf, organisation) to
//     one of several trusted CAs at the injected clock, refuses revoked
//     certificates (a CRL applies when its issuer in the verified chain
//     signed it; an expired CRL still applies), checks the node-id binding
//     (package certs) and then the policy: the local deny-list always
//     refuses; the local allow-list or the group's NodeList admits. Every
//     refusal returns an error wrapping one of ErrNoCertificate,
//     ErrBadCertificate, ErrUntrustedCA, ErrCertExpired, ErrCertRevoked,
//     ErrNotInNodeList, ErrDenied, is logged with its reason and counted
//     (Admission.Refusals, by RefusalReason). CRLs come as parsed lists or
//     as files (AdmissionConfig.CRLFiles) that Refresh reloads when their
//     content changes; a file that cannot be read or parsed keeps its
//     previous list and is logged once as an error. Recheck verifies an
//     admitted identity again (the certificates it presented, at the
//     current time, with the current CRLs, and the policy).
//   - Transport secures a raw connection and runs admission on the other
//     side's chain, on both sides. NewTransport picks the stack from the
//     chain's suite: crypto/tls with TLS 1.3 only, client certificates
//     required, no session tickets, P-256 certificates (ecdsa chains); or
//     GM TLS (TLCP 1.1, ECC_SM4_CBC_SM3) from github.com/tjfoc/gmsm's gmtls
//     with SM2 sign and encryption certificates (sm chains), configured as
//     described on gmTransport (pinned suite, no resumption, recover()
//     around handshakes, server chain [sign, enc, org]). gmtls prints failed
//     handshakes to standard output; keep stdout out of structured logs.
//   - Host listens, dials the configured peers, and routes messages to
//     handlers registered per (group, module). There is no global state;
//     several hosts may live in one process. With Config.Recheck (an
//     Admission) it verifies open connections again every RecheckInterval
//     and on DropRefused: a peer whose certificate expired or was revoked
//     (a CRL file rewritten since), that was denied or left the node list
//     is disconnected, logged with the reason and counted
//     (Stats.Dropped, Stats.DropReasons). A keepalive pings peers silent
//     for Config.KeepaliveIdle and disconnects those silent for
//     Config.KeepaliveTimeout (a stopped process, a half-open TCP
//     connection; Stats.KeepaliveTimeouts), so the dialing side
//     reconnects.
//   - Groups: Config.GroupMembers (a GroupPolicy) says which peers are
//     members of a group, by the same rule as admission (the group's node
//     list or the allow-list, the deny-list winning). It applies both
//     ways: a group's broadcasts go to its members only, and a group's
//     message from a connected peer that is not a member (admitted at
//     node level, or for another group) is dropped before its handler
//     runs, counted by reason (Stats.GroupDropped, GroupDropReasons,
//     PeerInfo.GroupDropped) and logged at debug level at most once per
//     peer every 10s with the number of drops not logged. Node-level
//     messages (group "") are never filtered; a message of a group with no
//     handler is only counted as unhandled. The policy's answers are
//     cached per peer and group in an atomic snapshot, so the check of
//     each message takes no lock; Host.GroupsChanged (called by the owner
//     after a node list changes, and by every recheck round) invalidates
//     the snapshots, and the next message of each peer and group consults
//     the policy again.

// # Wire format
//
// After the secure handshake, both directions carry frames:
//
//	frame   = length body
//	length  = uint32 big-endian, the size of body; at most the maximum
//	          frame size (Config.MaxFrameSize, 16 MiB by default)
//	body    = version module glen group payload
//	version = uint8, 1
//	module  = uint16 big-endian: 0 hello (reserved), 1 consensus, 2 sync,
//	          3 txgossip, 4 amop, 5 txfetch; others free for later modules
//	glen    = uint8, length of group, at most 64
//	group   = group id, bytes from A-Z a-z 0-9 . _ - ("" for node-level)
//	payload = the rest of body, opaque to this package
//
// A frame announcing more than the maximum is refused before its body is
// read and the connection is closed; a malformed frame also closes it.
// Frames are read with io.ReadFull, so TLS record boundaries do not matter.
//
// Module 0 carries control messages, group "". The first frame each side
// sends is a hello, whose payload is "GBCS", the protocol version (uint16,
// 1) and a connection nonce (uint64; random and non-zero from the dialer,
// 0 from the acceptor). A TLS 1.3 client may finish its handshake before
// the server has checked its certificate, so waiting for the hello is what
// tells a dialer it was admitted. Hellos after the first are ignored.
// Later control messages are pings, "PING" and a sequence number (uint64),
// answered by a pong, "PONG" and the same number, and a bye, "BYE." and 0:
// the last frame its sender writes on the connection. Unknown or malformed
// control messages are counted (Stats.Unhandled) and ignored. Any bytes
// received count as a sign of life for the keepalive.
//
// # Connections
//
// One connection per node id. When two exist (both nodes dialed, or a
// reconnect raced an old connection), both ends keep the same one: the one
// dialed by the smaller node id, or between two dialed by the same node,
// the larger nonce. The other is drained, not cut (drain.go): each side
// writes what it had buffered on it and a bye, and reads it until the
// other's bye or its end (at most 2 s), so what either side had written on
// it still arrives; the kept connection is read once the other has
// drained, so a peer's frames are handled in the order it sent them, one
// at a time. A connection that ends while another to the same node is
// past its TLS handshake stays registered, its sends queued, until that
// one registers or fails: the peer may have given it up in favour of that
// one, and the node stays connected through the switch. When the kept
// connection replaces one already in use, what the old one had queued and
// not written moves to the new one's queue, ahead of what was sent since
// (Stats.Moved); frames that cannot be written on the old one in time (a
// peer that stopped reading), and any that do not fit the new queue, are
// dropped and counted (Stats.SendDropped), never silently lost
// (handoff.go). Frames in flight when a connection fails are lost with
// it, as on any disconnection.
//
// Connections to a dialed address are re-established after a failure or a
// disconnection with exponential back-off (Config.BackoffMin..BackoffMax)
// with equal jitter (each delay uniform in [d/2, d], randomness from
// Config.Random).
//
// Sending never blocks: each peer has a bounded queue (Config.SendQueueSize)
// drained by a writer goroutine; a full queue drops the message, counts it
// and returns ErrQueueFull. Inbound frames pass two token buckets per peer
// (frames and bytes per second); excess frames are dropped and counted.
// Handlers of one peer run one at a time on its reader goroutine. Close
// flushes queued frames for up to two seconds, then closes everything.
package network
