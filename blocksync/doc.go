// Package blocksync brings a node that is behind (restarted, new, wiped,
// or an observer following the chain) up to its peers' head by
// downloading committed blocks, and serves the node's own blocks to
// others. A block is trusted for what it proves, not for who sent it:
// its commit certificate (a quorum of the group's sealers signed its
// header, consensus.VerifyCommit), its tx root (recomputed from its txs),
// its parent hash (it must extend the local head) and, after executing it
// on the local state, its state root, receipt root, logs bloom and gas
// used. Only then is it committed, with its certificate, to the ledger.
//
// The Syncer reaches the rest of the node through small interfaces:
// Ledger (Head, BlockByNumber, Commit), Executor (as consensus engines
// use it), Transport (Send, Peers; inbound messages come through
// Syncer.HandleMessage), SealerSet (the sealer keys certifying a height;
// StaticSealers for a fixed set, or one that follows governance) and Clock.
//
// # Goroutines
//
// Start launches three goroutines. The loop owns all sync state: the peer
// table, outstanding requests and the buffer of verified blocks; it is
// driven by inbound messages, applier results and clock ticks (all its
// timers count ticks of Config.TickInterval). The applier executes and
// commits one block at a time, in order. The server answers peers'
// requests from the ledger, read-only. HandleMessage runs on the
// transport's goroutines and never blocks: it decodes, filters and
// queues. Stop cancels all three and waits; a commit in progress
// completes.
//
// # Protocol
//
// Messages travel in the group's sync module (network.ModuleSync). Each
// is the canonical RLP list [version, kind, body] with version 1:
//
//	status     (kind 1) body [genesis hash, head number, head hash]
//	get-blocks (kind 2) body [id, from, count]     count in 1..1024
//	blocks     (kind 3) body [id, from, [block, ...]]   at most 1024 blocks
//
// A block is types.EncodeBlock's encoding: the header with its commit
// signatures, and the txs. Decoding (DecodeMessage) refuses messages over
// Config.MaxMessageSize, unknown versions or kinds, out-of-range counts,
// ranges that overflow, empty blocks and any non-canonical encoding; it
// never panics (see FuzzDecodeMessage). Malformed messages are dropped and
// counted.
//
// Status. Every node announces its head to all connected peers every
// Config.StatusInterval, and when its head moves (by sync or by consensus:
// the loop polls the ledger's head every tick): on the next tick if no
// peer is known to be ahead, else at most every quarter of
// Config.StatusInterval while it catches up. On the first
// status from a peer, a node answers with its own at once. A peer whose
// genesis hash differs is on another chain and is ignored.
//
// Requests. While a usable peer announces a head above ours, the loop
// requests the missing heights of the window (head, head +
// Config.MaxBufferedBlocks] in runs of at most Config.MaxBlocksPerRequest,
// each run from the usable peer that has it with the fewest requests in
// flight (at most Config.MaxInflightPerPeer per peer), so several peers
// serve in parallel. Buffered blocks are also bounded in bytes
// (Config.MaxBufferedBytes); over it only the block right after the head
// is fetched, so sync always progresses. The request id lets the answer
// be matched: answers that match no outstanding request of their sender
// are dropped unread.
//
// Leaving near blocks to consensus. A sealer hears a peer announce a block
// that the peer committed a moment before it does: fetching it then costs
// both sides a block's reading, encoding, decoding and checks, and the
// block is dropped when the engine commits it first (also while the
// syncer executes or commits it: whatever that then fails on, the block
// is stale, not a failed apply). So while no peer is
// Config.CatchUpGap or more blocks ahead, nothing is requested until the
// ledger's head has not been moved by someone else (the consensus engine)
// for Config.CatchUpDelay, or for twice the interval between the engine's
// last two commits if that is longer (at most 4 x CatchUpDelay): full
// blocks on a loaded machine can take longer than CatchUpDelay each, and
// the engine is then still committing, not stalled. A node whose engine
// commits nothing (an observer, a stalled sealer) waits at most that long
// once; a node far behind fetches at once. The gap is measured from the
// ledger's head as it is when the loop schedules, not as it was at the
// last tick: small blocks commit several times a tick, and a stale head
// made peers one block ahead look CatchUpGap ahead.
//
// Responses. A server answers with the consecutive blocks it has from
// `from` on: at most min(count, its Config.MaxBlocksPerRequest), up to
// Config.MaxResponseBytes (and always one block if it fits in a message),
// or none if it lacks block `from`. Each peer may have at most
// Config.MaxServePerPeer requests queued at a server, and the server at
// most Config.MaxServeQueue in all; others are dropped. An empty answer
// lowers the requester's idea of that peer's head; a short one leaves the
// rest of the range to be requested again.
//
// Checks on receipt. Every block must be the one asked (numbers from
// `from` on, no more than asked), chain to the block before it in the
// response, match its tx root and carry a valid certificate under the
// sealers of its height with the quorum (BFTQuorum by default: 2f+1 of
// n = 3f+1; for a WeightedSealerSet whose sealers of that height have
// weights, signers weighing at least consensus.QuorumWeight of the total). When the sealers of a height are not known yet (they follow
// from a block not committed yet: SealerSet returns ErrSealersPending),
// the certificate is checked by the applier right before execution, once
// the parent is committed. A response failing any check penalises its sender: it is
// ignored for Config.PenaltyDuration (counted in PeerInfo.Penalties), its
// outstanding requests are cancelled, the blocks it served that wait in
// the buffer are dropped, and the ranges are fetched from other peers.
//
// Timeouts. A request unanswered after Config.RequestTimeout is given up:
// its range goes to another peer and the slow peer gets no new request for
// Config.TimeoutBackoff (counted in PeerInfo.Timeouts, not a penalty). A
// send the transport refuses backs the peer off the same way.
//
// Applying. Blocks may arrive in any order; the loop hands the block right
// after the head to the applier, which checks its parent hash against the
// ledger's head (a block that does not extend it penalises the peer that
// served it), executes it, compares the roots and commits it. A block
// whose execution fails or whose roots differ from its certified header is
// never committed: the node's own state or executor diverged. The error
// is reported in Status.LastError and logged, and the block is fetched
// again and retried after Config.RetryInterval; the syncer never skips it.
package blocksync
