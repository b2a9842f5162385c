// Package txgossip carries transactions between the nodes of a group in
// batches: one P2P message holds many txs, so a loaded node makes one
// framed write per peer per flush instead of one per tx.
//
// # Wire format
//
// A txgossip message payload is one of:
//
//   - a batch, version 1: the byte 0xb1 followed by an RLP list of byte
//     strings, each one tx in its canonical encoding (types.DecodeTx);
//   - a single raw tx (its canonical encoding, as nodes before batching
//     sent it).
//
// The two never collide: a tx's encoding starts with a typed-tx byte
// (0x00 to 0x7f) or an RLP list header (0xc0 to 0xff), and the version
// byte lies in 0x80 to 0xbf, which is never the first byte of a tx. Other
// bytes in that range are kept for later versions and refused. So a node
// accepts single-tx messages from older nodes; it sends only batches,
// which a node from before batching refuses (it logs a tx that does not
// decode), so every node of a chain must run a release that has batching
// (the nodes of one chain run one release: the P2P hello already refuses
// other protocol versions).
//
// Decode never panics and enforces Limits: at least one tx, at most
// MaxTxs txs, at most MaxBytes payload bytes, each tx non-empty and at
// most types.MaxTxSize bytes. A batch is accepted or refused whole. The
// txs it returns are slices of the payload (no copies).
//
// # Outbound
//
// A Batcher queues the encoded txs a node gossips (from clients, and its
// periodic re-gossip) and flushes them as batches at most once per
// Interval (10 ms), or at once when FlushTxs txs or FlushBytes bytes wait:
// a tx arriving after a quiet Interval leaves at once, so batching costs
// a lightly loaded node no latency, and a loaded one sends one batch per
// peer per Interval. Queue
// never blocks: when QueueTxs txs or QueueBytes bytes already wait, the tx
// is dropped and counted (the node's re-gossip sends txs that stay in its
// pool again). A tx queued with the peer it came from is not sent back to
// that peer. SendTo sends txs to one peer at once, outside the queue (a
// node hands its pool to a peer that has just connected). The Sender (the
// node's P2P host) does the sending; Run is the only goroutine.
package txgossip
