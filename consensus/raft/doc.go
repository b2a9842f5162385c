// Package raft is the Raft consensus core of a gobcos group, for
// consortia whose members trust each other to follow the protocol: it
// tolerates floor((n-1)/2) crashed or disconnected voters out of n, not
// byzantine ones (use PBFT for that). It runs etcd raft's RawNode
// (go.etcd.io/raft/v3) with pre-vote and check-quorum on, so a node
// returning from a partition cannot disrupt the cluster, and leader
// election, log replication and membership changes are raft's own.
//
// The Core has no goroutines, clock or I/O of its own: its driver feeds
// it ticks (Tick), peer messages (Step), synced blocks (SyncBlock) and
// pool notifications (TrySeal), from one goroutine; the core persists
// through a Store, sends through a Transport and executes and commits
// through an App.
//
// # Blocks are log entries
//
// Only the leader seals: when every entry of its log is committed and
// applied, at least MinSealTicks and MinSealInterval (by the clock; the
// driver wakes the core when it ends, SealWait) after its previous block
// unless its pool holds a full block (App.FullBlock), and its pool has
// transactions (no empty blocks), it executes up to MaxBlockTxs of
// them on its head, builds the header, writes the raft position into
// Header.Extra and signs the header hash (consensus.SignCommit, with its
// index in the signer list). Extra of a Raft block is 16 bytes: the raft
// term, then the log index of the entry holding the block, both uint64
// big-endian (EncodeExtra, DecodeExtra). The signed block (header and
// transactions, RLP after a kind byte) is proposed as one normal entry.
//
// Every replica, the leader included, applies committed entries in log
// order. A block entry is checked first, alike on every replica: Extra
// must name the entry's own term and index, the header must carry exactly
// one signature, by a key of the signer list, over its hash; it must
// extend the head. An entry failing a check is skipped (Stats.Rejected).
// The App then executes the transactions on the head and commits the
// block only if the result matches the header; transactions that are
// invalid on that state make every replica skip the block alike
// (ErrRejected), and a result that differs from the leader's header stops
// the core (execution is not deterministic, or the node is corrupt). A
// block certificate is thus the leader's single signature: block sync
// verifies Raft blocks with quorum 1 over the signer list.
//
// Because the leader proposes only on a fully applied log, the block
// numbers of the committed log follow the ledger: an entry below the head
// must be the ledger's block (it was synced), otherwise ErrDiverged.
//
// # Persistence, snapshots, compaction
//
// The raft log, HardState, latest snapshot and applied ConfState are kept
// in the Store (keys "hs", "cs", "snap", "first", "e/<index>"; the node
// puts them under its own prefix), each Ready in one atomic write before
// its messages are sent. The write is synced when raft's MustSync asks
// (new entries, a new term or vote) or it carries a snapshot; a Ready
// that only moves the commit index is written without waiting for the
// disk: a crash may lose it, and the restarted node learns the commit
// index again from the leader. Every SnapshotEntries applied entries the core
// takes a snapshot whose data is the height and hash of the head it
// covers and the signer list, and compacts the log, keeping KeepEntries
// entries. A follower too far behind receives the snapshot instead of the
// entries: it installs it, asks the block syncer for the blocks up to the
// snapshot's height (App.RequestSync; they arrive through SyncBlock or
// straight into the ledger, see LedgerMoved) and then applies the log
// after it. On restart the core reloads the snapshot and the log and
// raft re-delivers the committed entries after the snapshot; blocks the
// ledger already holds are recognised by hash and skipped.
//
// # Identities and membership
//
// A node's raft id is derived from its public key (NodeID), so a node
// added later knows its own id. The genesis sealers are the first voters.
// The signer list is append-only: the genesis sealers, then every key a
// membership change added, in log order; CommitSig.Index points into it.
// ProposeConfChange makes one change at a time (add a voter or promote a
// learner, add a learner or demote a voter, remove), on the leader only;
// the change carries the node's public key and is checked again, alike,
// by every replica when it is applied. Learners receive the log and apply
// blocks like voters but neither vote nor lead: they are observers fed by
// consensus. Removing the last voter is refused.
//
// # Inbound messages
//
// Messages are raft's protobuf messages (at most MaxMessageSize bytes).
// The core drops, with an error, messages that do not decode, are not
// addressed to it, come from an unknown raft id or from a key that is not
// that id's, and the malformed ones on which raft would panic
// (checkMessage); a raft panic that still happens stops the core rather
// than the process (FuzzStep).
//
// The package's tests run the engine-agnostic simulated network of
// package enginetest (TestSafety: crashes, partitions, message loss,
// delays and duplicates over hundreds of seeds per cluster size) and unit
// tests of tampered blocks, restarts, snapshot catch-up and membership.
package raft
