// Package engine is the driver of the Raft core (package raft): the
// goroutine that owns a raft.Core and connects it to the node's ledger,
// executor, txpool, store and network. It implements consensus.Engine
// (Name "raft"); Status.View is the raft term and Status.Leader tells
// whether this node leads it.
//
// One goroutine owns the core. It wakes on a ticker (Config.TickInterval,
// 100 ms in a node; raft's election and heartbeat timeouts count these
// ticks; once Params.Rules gives a consensus timeout, the tick is set so
// that ElectionTicks last it, from the block it applies at: rules.go), on inbound messages (Deliver, which never blocks: a full inbox
// drops and counts, raft retransmits), on the txpool's notifications (the
// leader seals at once) and on membership requests (ProposeConfChange).
//
// The raft log, hard state, configuration and snapshots are written to the
// node's storage.KV under Prefix ("c/r/"), each of raft's Ready in one
// batch before its messages are sent: synced when raft's MustSync asks,
// otherwise committed without sync (storage's CommitNoSync), made durable
// by the next synced write of the node's store, such as a block's commit.
//
// Sealing (on the leader) takes executable transactions from the pool
// that pass the same deterministic checks as a block's transactions on
// every replica: valid signature for the chain and group, not committed,
// not repeated in the block, and for native transactions a block limit in
// the pool's window and an unused nonce (signatures through
// Params.Verifier, on all cores, not again for txs the node verified
// before). It executes them on the head,
// builds the header and hands it to the core to sign and propose. The
// leader keeps the execution result, so applying its own block commits it
// without executing it again. Every other replica executes a committed
// block itself and commits it only if the header matches the leader's.
//
// Transactions reach the leader through the node's tx gossip (every node
// broadcasts the transactions its clients submit to all its peers and
// re-broadcasts those that wait), so followers need no separate forwarding.
//
// A follower that installs a snapshot waits for the node's block syncer
// (which follows the peers' heights on its own and verifies Raft blocks by
// the leader's signature, quorum 1 over Signers); the driver notices the
// ledger moving on each tick and lets the core go on.
package engine
