// Package pbft is the PBFT consensus core of a gobcos group: a
// deterministic state machine in the style of etcd raft's RawNode. The
// driver feeds it messages (Step), clock ticks (Tick), its txpool's
// proposals (Propose), verdicts on proposals (Verified), execution results
// (Executed) and synced blocks (SyncedBlock); it reads what to do from
// Ready and acknowledges with Advance. The core has no goroutines, clock,
// I/O or randomness; it signs and verifies through the chain's
// crypto.Suite and the node's crypto.PrivateKey.
//
// # Sealers, quorum, leaders
//
// Each sealer's vote counts by its weight (Config.Weights; 1 each when
// nil). Of total weight W, byzantine sealers weighing at most
// F = floor((W-1)/3) are tolerated, and a quorum is any set of sealers
// weighing at least Q = floor((W+F)/2)+1 (consensus.QuorumWeight), so
// two quorums overlap in more than F, hence in an honest sealer, and the
// honest sealers alone weigh at least Q. With unit weights these are
// f = floor((n-1)/3) and q = floor((n+f)/2)+1 (2f+1 for n = 3f+1). Below,
// "q votes" means votes of sealers weighing at least Q, and "f+1" means
// sealers weighing more than F (at least one honest among them). The
// leader of a height in a view is (view + height/LeaderPeriod) mod n,
// whatever the weights, so a leader proposes LeaderPeriod consecutive
// heights and a view change hands its heights to the next sealer. A
// core's sealer list and weights are fixed; the driver (package engine)
// builds a new core where they change.
//
// # Order, then execute and certify
//
// A height first orders a proposal (a transaction list with its height,
// timestamp, proposer and the digest of the proposal decided below it;
// the entries are opaque: encoded transactions, or their hashes when the
// driver resolves them itself):
//
//	leader   --PrePrepare(h, v, digest)+proposal-->  all
//	each     --Prepare(h, v, digest)-->              all   after the driver verified the txs
//	each     --Commit(h, v, digest)-->               all   after q prepares (prepared)
//	                                                       q commits of one view: decided
//
// Decided proposals are then executed one at a time, in height order, by
// the driver (ExecRequest, Executed), each on top of the executed header
// below it. The core puts the proposal digest into the executed header's
// Extra field and every sealer broadcasts a Checkpoint: its signature over
// the executed header hash. q matching checkpoints are the block's commit
// certificate (types.Header.Signatures, checked by consensus.VerifyCommitWeighted)
// and the block is finalized: the core hands it to the driver to commit
// (CommitRequest). A sealer whose execution differs from the certified
// header stops and reports it (Stats.ExecMismatches).
//
// Pipelining: ordering height h+1 needs only the decision of h, not its
// execution, so the next height is ordered while the previous one
// executes and is certified. Window bounds the heights decided but not
// finalized: a sealer votes at height h only while h - finalized <=
// Window. Window = 1 is the unpipelined protocol. SetWindow changes it at
// run time (a local voting restriction: the driver narrows it to 1 where
// the next height may not be worked on before its parent is committed).
//
// No empty blocks: a leader proposes only when the driver gives it
// transactions. An idle leader (no proposal in its view) sends a
// Heartbeat every HeartbeatTicks; a heartbeat holds off the replicas'
// view-change timer, but only while they have no transactions waiting
// (SetTxsAvailable) or their own window is full, so a leader that
// censors transactions is replaced.
//
// # View changes
//
// Each sealer runs a timer per height and view, counted in ticks. On
// expiry, or when the leader provably misbehaves (two signed pre-prepares
// for one view, a signed invalid proposal, transactions the driver
// rejects), it sends ViewChange(h, v+1) carrying its prepared certificate
// (the q prepares of the highest view in which it prepared, with the
// proposal attached) and stops voting in lower views. Consecutive
// timeouts at one height double the timeout, up to 2^MaxTimeoutShift.
//
//   - f+1 rule: a sealer that sees view changes to higher views from f+1
//     sealers joins the lowest view wanted by f+1 of them.
//   - The leader of v+1, holding q view changes for v+1, sends NewView
//     with them. If any carries a prepared certificate, the new view must
//     re-propose the proposal of the highest-view certificate (so a
//     proposal that may have been decided is never lost); every sealer
//     checks this before entering the view. Otherwise the leader proposes
//     freely with a PrePrepare.
//   - A commit quorum in any view decides, also for a sealer that already
//     left that view.
//   - A new height starts in the view that decided the previous one.
//   - A sealer that has neither prepared nor sent a view change at the
//     current height ("fresh") joins a higher view in which f+1 sealers
//     already send messages, without a new-view message. This is safe:
//     a decided proposal was prepared by f+1 honest sealers, none of them
//     fresh, and a prepare quorum in the higher view needs f+1 honest
//     sealers, who are either fresh (so disjoint from the first f+1,
//     impossible among 2f+1 honest) or entered by a new view (which had
//     to carry the decided proposal). By weight: with byzantine weight
//     b <= F, the honest committers and the honest preparers each weigh
//     at least Q-b, and 2(Q-b) > W-b, the honest weight, so they overlap.
//
// # Catching up
//
// A sealer still working on a height others decided (seen from its view
// changes, or from messages arriving long after the decision) receives
// Decided proofs (proposal and commit quorum) or Finalized proofs
// (proposal and certified header) for up to four heights. A sealer
// further behind than the RetainBlocks blocks its peers keep learns from
// the finalized heights in messages, or from a certified header, that f+1
// sealers are ahead and emits a SyncRequest; the driver downloads blocks
// and feeds them to SyncedBlock, which checks certificate and chain link.
//
// # What is persisted
//
// HardState holds what a sealer must not forget across a crash: the
// height being ordered, its view and whether it is changing view or
// entered it through a new view (and the proposal that new view fixed),
// every message it signed at that height (type, view, digest), its prepared
// certificate, and the decided heights not yet committed to the ledger
// (with their commit quorums or certificates). Proposals referenced by
// digest are persisted first (Ready.Proposals). The driver persists both
// before it sends the messages of the same Ready, and commits finalized
// blocks to the ledger before Advance; New rebuilds a core from the ledger
// head and the last HardState. Ready.MustSync says whether the write must
// be durable before the messages leave: it is when the state records a
// vote, a prepared certificate, a view change or a view above 0 (what the
// sealer's signatures rely on, and the view a restore could not find
// again). A decision, the next height in view 0 or a block's certificate
// alone are learnt again from the peers or the ledger after a crash, so
// the driver may leave their write to be made durable by the next synced
// one; the deterministic simulation loses such writes at its crashes.
// A commit alone does not ask for a new
// write: decisions at or below the ledger head in a persisted HardState
// are skipped when it is restored, so the next write carries the shorter
// list. Nor need the ledger commit itself be synced when the driver
// writes it to the store of the HardState (one log, written in order):
// a HardState without a decided height is only written after Advance,
// so after the height's commit. Each sealer whose commit vote decided
// the height synced that vote before sending it, and its synced state
// holds the vote, or the decision, or (a synced write having carried it)
// the commit. So after a crash that lost the commit (on every sealer at
// once, too) the sealers decide the same proposal again, as PBFT decides
// no other at a height where one was decided. The deterministic
// simulation loses unsynced commits at its crashes. Before signing, the
// core checks its vote records, so a restarted sealer never signs two
// different digests for one type, height and view; it re-sends exactly
// what it had signed.
// Checkpoint signatures need no record: execution is deterministic.
//
// # Inbound messages
//
// Messages are RLP packets of at most MaxMessageSize bytes: a signed
// Envelope (with an unsigned proposal attachment checked against the
// signed digest), or a catch-up proof. DecodeMessage checks the structure
// and never panics (fuzzed by FuzzDecodeMessage). Messages from
// non-sealers, with bad signatures, for heights or views outside the
// buffered windows, duplicated or replayed, conflicting with an earlier
// message of their sender, or carrying invalid proposals or certificates
// are dropped and counted per reason (Core.Drops, DropReason), and so are
// prepares that come after this sealer sent its commit in their view,
// before their signature is checked (DropSurplus: the quorum is already
// held). Envelope
// signatures are bound to Config.Domain, so messages of one chain or
// group cannot be replayed in another.
//
// The package's tests drive the core through the deterministic simulated
// network of package enginetest (TestSafety, thousands of seeds with
// drops, delays, duplicates, partitions, crashes and byzantine sealers).
package pbft
