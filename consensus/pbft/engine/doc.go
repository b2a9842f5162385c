// Package engine is the driver of the PBFT core (package pbft): the
// goroutine that feeds a pbft.Core its inputs and carries out what its
// Ready asks. It implements consensus.Engine (Name "pbft").
//
// # Inputs
//
// One goroutine owns the core. It wakes on a ticker (Config.TickInterval,
// 100 ms in a node; the core's timeouts are counted in these ticks), on
// inbound messages and on the txpool's notifications. Inbound messages
// arrive through Deliver, which the network's reader goroutines call: it
// never blocks, queuing into a bounded inbox and dropping (and counting,
// Stats.InboxDropped) when it is full; the core's periodic resends make
// up for dropped messages. The Transport addresses sealers by their index
// in the sealer list; the node maps indexes to network node ids. The
// messages already waiting in the inbox when one is taken (at most 256)
// are stepped with it before the Ready is handled: the core accumulates
// its output over several Steps, so what they lead to is persisted in one
// write, not one per message.
//
// The minimum seal interval (Config.MinSealInterval, then the chain's
// rules) is the driver's, by the clock: a leader's proposal waits until
// the interval has passed since its round began, unless the pool holds a
// full block, and a timer wakes the driver when it has (seal.go). The
// core's own count (MinSealTicks) would hold only whole ticks, rounded
// down; the driver keeps it at 0.
//
// # Handling a Ready
//
// In the order the core prescribes: Ready.Proposals and Ready.State are
// written to the node's storage.KV under Prefix ("c/": "c/hs" the
// HardState, "c/p/<digest>" the proposals, "c/b/<digest>" the bodies of
// proposals with tx hashes) in one batch, before any message of the
// same Ready is sent. The batch is synced when the Ready says so
// (MustSync: it holds a vote), so a restarted sealer never signs two
// different things for one height and view; otherwise it is applied
// without waiting for the disk, and the next synced write of the node's
// store (a vote, the ledger's commit of a block) makes it durable, the
// WAL being written in order. Then the messages are
// sent, verify requests are queued, execute requests are prepared and
// handed to the execution goroutine (below), finalized blocks are
// committed to the ledger (block, receipts, senders, write set) and the
// txpool is told (OnCommitted), and Advance is called. The node's ledger
// commits them without waiting for the disk (ledger.CommitUnsynced):
// the store being shared and its log written in order, the next synced
// write (a vote) makes them durable, and until then the synced commit
// vote, or the HardState's decided heights above the ledger head, let
// the sealers decide the same block again after a crash (package pbft,
// "What is persisted"). Verdicts, and the
// refusals of execute requests that cannot start, are given to the core
// after Advance; execution results when they arrive. A failure to
// persist or commit stops the driver (logged): going on could break the
// guarantees above.
//
// # What runs where
//
// The driver goroutine owns the core and everything the core's output
// touches: the persisted state, the execution results kept until commit,
// the verify and fetch bookkeeping, the commits. Three kinds of goroutine
// work beside it and hand their results back to it through channels: the
// fetchers and the fetch server (below), and one execution goroutine at a
// time.
//
// Execution: an ExecRequest is prepared on the driver goroutine — its
// parent worked out (the ledger head, or the executed, uncommitted parent
// when pipelined: below), its txs resolved (a missing body fails the
// request at once with ErrBodiesMissing and starts a fetch) — and then
// run by an execution goroutine, which gets all it needs by value: the
// block environment, the txs, and for a pipelined height the parent's
// header and write set (consensus.Pending), which nothing changes any
// more. The core has at most one ExecRequest outstanding, so executions
// run one at a time in height order. Meanwhile the driver goes on
// stepping the core: messages, ticks, verdicts, proposals at the heights
// the window allows, the certification and commit of the block below.
// The result comes back to the driver goroutine, which keeps it for the
// commit (execution results are only touched there) and gives it to the
// core (Executed); errors keep their meaning (the core retries the
// request at its next tick, or at once when the driver sees the cause
// pass: fetched bodies arriving, the ledger head moving —
// pbft.Core.RetryExecution). A core rebuilt meanwhile (block sync moved
// the ledger, an epoch switch) is not given the result of its
// predecessor's request: the driver first makes any rebuild that is due,
// cancels the execution's context and drops its result and the jobs
// still queued for the old core; the new core asks again. Stop cancels
// the execution and waits for its goroutine.
//
// What an execution reads does not change under it: on the ledger head,
// the node's executor holds the node's state lock for reading during the
// whole execution, so a commit by block sync waits for it (the driver
// itself commits nothing at or below that head); on a pending parent, it
// runs on a store snapshot taken together with the head under that lock,
// with the parent's write set laid over it unless the parent is in the
// snapshot already, so the driver's commit of the parent goes on
// meanwhile (package node, ExecuteBlockOn).
//
// Commits stay on the driver goroutine: HardState and proposals are
// written before the messages of their Ready leave, and a finalized block
// is committed before Advance and before the core's next Ready, which may
// carry the votes of the next heights (the window moves with the head).
// Committing on another goroutine would need the core to wait for it
// anyway before it acts on the new head, and the commit (one synced
// batch) is short next to an execution.
//
// Verification is deterministic: every tx decodes (types.DecodeTx) and
// verifies for the chain and group; no tx repeats within the proposal or
// the Pending proposals or is committed in the ledger; a native tx's block
// limit lies in (h-1, h-1+BlockLimitWindow] for proposal height h (the
// txpool's rule relative to the proposal's parent) and its nonce is
// neither committed nor repeated in the proposal or Pending. Ethereum
// nonces are left to execution, which gives misordered txs failed
// receipts deterministically. The leader proposes only txs passing the
// same checks. Signatures are checked through Params.Verifier (the node's
// txverify.Verifier) on all cores, and not again for txs the node already
// verified (admitted to its pool), as the executor does for execution.
//
// Verification waits until the proposal's parent is committed, or, for a
// pipelined height (below), its grandparent: the rules of the height
// (Params.Rules) are then fixed by committed state on every node alike,
// so a parameter or version change in force at the height is in force
// for every verdict on it. Verdicts are given to the core as they become
// known (after Advance, or when fetched bodies arrive), not necessarily
// in the Ready that asked. A request whose height the ledger reaches
// first gets none (the core is rebuilt on the new head), also when block
// sync commits that height during its verification: the proposal's txs
// then read as committed, which is no fault of the proposal.
//
// # Proposals with tx hashes (compatibility version 0.3.0)
//
// Below 0.3.0 a proposal's Txs are the encoded txs, as before: each tx
// reaches each sealer twice (gossip, then the pre-prepare). From 0.3.0
// (Rules.TxHashProposals at the proposal's height, the same rule for the
// leader and every validator) Txs holds the txs' 32-byte hashes. The
// forms cannot be confused (no encoded tx is 32 bytes long), and a
// proposal in the wrong form for its height is invalid (ErrWrongForm, a
// deterministic verdict); a decided one in the wrong form is not
// executed. The leader proposes hashes of the pool txs passing the usual
// checks and keeps their bodies in a bounded cache (Config.FetchCacheSize).
// When it proposes, the driver calls Params.OnProposed before the
// pre-prepare is persisted and sent: the node sends the txs waiting for
// gossip then, ahead of the pre-prepare on each peer's connection, so that
// replicas hold more of the proposal's txs when it arrives and fetch fewer.
//
// A replica resolves the hashes from its txpool, that cache and the
// bodies it stored for the proposal; the bodies it lacks are fetched,
// off the driver goroutine, with the txfetch messages (fetchmsg.go: a
// versioned RLP request of at most MaxFetchHashes hashes, answered by a
// response of the bodies the peer has, bounded by the message size;
// DecodeFetch is fuzzed by FuzzDecodeFetch). The proposer is asked first,
// then the other sealers in index order; a peer that does not answer in
// Config.FetchTimeout, answers nothing useful, or sends a body that is
// not one asked for (each fetched body is decoded and its hash compared;
// Stats.FetchBadBodies) is left for the next, and each peer is asked at
// most twice without progress. Signatures of fetched txs are checked as
// any proposal's (Params.Verifier). Fetching to verify is tried at most
// three times per proposal: a replica that cannot get the bodies simply
// does not vote — never a rejection that other nodes would not make — and
// the view-change timer replaces a leader that does not serve its txs.
// Executing a decided proposal whose bodies are missing (reached without
// local verification: a new view's re-proposal, catch-up proofs, a
// restart) fetches them and fails the execution with ErrBodiesMissing,
// which the core retries, for as long as it takes.
//
// Serving: Engine.DeliverFetch queues a peer's request for one server
// goroutine (at most Config.FetchRequestsPerSecond per peer, burst two
// seconds' worth, and a queue of 64; more are dropped and counted,
// Stats.FetchDropped), which answers from the pool, the cache and the
// ledger's committed txs, within the message size and the peer's byte
// budget (Config.FetchBytesPerSecond, burst two seconds' worth; past it
// an answer is cut short, and the asker turns to another sealer).
// Malformed messages are dropped and counted (Stats.FetchMalformed).
// Params.Fetch carries the messages (the node uses
// network.ModuleTxFetch, between sealers only).
//
// Durability: the bodies of a hash-form proposal, once all are known,
// are written under "c/b/<digest>" in the same batch as the next
// Ready's proposals and HardState, so durably before any vote for it (the
// leader's pre-prepare, a replica's prepare after verification) leaves;
// they are pruned with the proposals once the height is committed. A
// proposal voted for without verification (a new view's re-proposal:
// a quorum prepared it, so at least f+1 honest sealers stored its
// bodies) has its bodies stored as soon as a fetch completes them. A
// restarted sealer executes a decided proposal it voted for from them,
// and loads them at start to serve them to others.
// Blocks keep full bodies: execution, the ledger and block sync are
// unchanged. Stats: TxsFetched, FetchFailures, FetchBadBodies, TxsServed,
// FetchDropped, FetchMalformed (metrics gobcos_txfetch_*).
//
// # Pipelining (Window = 2)
//
// Params.Core.Window is 1 or 2 (the node's [pbft] window, default 2).
// With 1, the core votes on height X only after X-1 is finalized, the
// driver commits finalized blocks before Advance, and an ExecRequest's
// parent is always the ledger's head.
//
// With 2, height X may be verified, voted on, decided and executed while
// X-1 is decided or executed but not yet certified and committed — when
// X is pipelined (pipeline.go, pipelinedAt), i.e. when both hold:
//
//   - the rules of X say so (consensus.Rules.Pipelined): the chain's
//     compatibility version in force at X-1 is 0.4.0 or later. From 0.4.0
//     a governance change made by block h (system config, the version
//     itself, the consensus node list and weights) takes effect from h+2,
//     so block X-1 changes nothing in force at X: the rules and sealer
//     configuration of X are fixed once X-2 is committed, and every node
//     reads the same ones from its committed state (the node's RulesAt and
//     Epochs answer for head+2 exactly then; otherwise they refuse, with
//     consensus.ErrRulesPending). Below 0.4.0 a change made by X-1 may
//     apply at X, so X waits for X-1's commit as with Window = 1.
//   - the sealer configuration of X (Params.Epochs) is the running
//     core's. At an epoch boundary the old core never works on the first
//     height of the new epoch: that height waits for its parent's commit,
//     after which the driver switches epochs (below) and the new core
//     orders it. So no block of a new epoch is voted on or certified under
//     the old sealer set.
//
// The driver applies this in four places. The core's window is set,
// after every commit and whenever a core is built, to 2 when head+2 is
// pipelined and to 1 otherwise (pbft.Core.SetWindow: a local voting
// restriction; a closed window also stops an idle leader's heartbeats
// from holding off view changes while X waits). Verdicts on a proposal at
// head+2 are given only when it is pipelined (readyAt), so no honest
// sealer prepares it otherwise; the leader proposes at head+2 only then.
// An ExecRequest whose parent is executed but not committed runs through
// consensus.PendingExecutor (the node's executor: a state.Overlay of the
// parent's write set, from the driver's execution results, over the
// committed state), only when pipelined; otherwise it fails and the core
// retries it after the parent's commit. The node's pending executor also
// runs on a parent that changed the system contracts' state: from 0.4.0
// such a change does not apply to the child, and what applies at once
// (freezes, roles, the deploy mode) is read by the execution from the
// overlay. (Below 0.4.0 it refuses, node.ErrPendingGovernance; this
// driver does not ask then.)
//
// Commits stay in height order (the core finalizes in order; the driver
// keeps each execution result until its block is committed). Tx checks
// count the txs of every decided, uncommitted proposal (Pending), so none
// repeats across the two heights. A restarted sealer rebuilds the decided
// heights above its head from the persisted HardState and proposals and
// executes them again, each on its uncommitted parent; a rebuild after
// block sync does the same from the synced head.
//
// Blocks execute on the execution goroutine ("What runs where"), so what
// pipelining overlaps on one node is the execution of X-1 with the
// ordering of X (its three message rounds: the leader proposes X, and
// every sealer verifies and votes on it, while X-1 executes), and the
// execution of X with the certification and commit of X-1 (the
// checkpoint round and the ledger write). Stats.PipelinedExecs counts
// executions on an uncommitted parent; Stats.Window is the core's window
// in force.
//
// # Restart and sync
//
// Start makes the core with pbft.New from the ledger head and the
// persisted HardState; replayed votes are re-sent exactly as signed.
//
// Blocks downloaded by the node's block syncer (package blocksync) are
// committed to the ledger by the syncer itself. pbft.Core.SyncedBlock is
// not used for them: its contract is for blocks not yet in the ledger
// (the core then executes and commits them itself), whereas here the
// ledger is already ahead of the core. Instead, whenever the driver sees
// the ledger head above the last block it acknowledged, it rebuilds the
// core exactly as on a restart: pbft.New(head, last persisted HardState),
// which pbft documents as the way to make a core for a ledger head. Votes
// for the height being ordered survive (they are in the HardState);
// heights at or below the new head need none. A CommitRequest for a
// block the syncer already committed is accepted if the hashes match.
// The core's SyncRequest is only logged: the syncer finds peers ahead of
// it by their status messages on its own.
//
// # Epochs: a sealer set that changes
//
// A core has one sealer list for its whole life. With Params.Epochs set,
// the driver asks, at start and whenever the ledger head moved (its own
// commit or the syncer's), for the configuration of head+1 (Epoch: the
// sealers in order, their vote weights and the leader period). When it
// differs from the running one, the driver drops the core and, right
// after the commit and before anything else reaches the core, builds a
// new one at the head: quorum weight and leaders follow from the new
// list and weights. A change of weights alone is a new epoch like a
// change of sealers; weights that are all 1 are the same configuration
// as no weights (same id and domain as before weights existed). Nothing the dropped
// core had not yet handed out in a Ready is sent or persisted. It may
// already have voted at the new height (a Prepare or Commit for h+1 can
// leave in the same Ready as the commit of h), but each configuration
// other than the initial one signs under its own domain (Core.Domain +
// "/epoch/" + the hash of its sealers, leader period and, unless all are
// 1, weights), so a message of one epoch never verifies in another
// whatever the indexes; and it never executes the new height (that needs
// h committed, also with Window = 2: the first height of a new
// configuration is not pipelined under the old one, and the switch comes
// first), so no block of the new height is certified under the old set.
// Messages in flight at the switch (votes, checkpoints and catch-up proofs of the old configuration,
// including those for the new height from a sealer that has not switched
// yet) are dropped as badly signed; their senders resend under the new
// set once they switched, and a sealer left behind catches up by block
// sync.
//
// The persisted HardState is stored with the id of the configuration
// that wrote it ("c/hse") and restored only into the same configuration
// (a restart within an epoch keeps its votes, so no double vote); state
// written by another configuration is for heights it no longer decides
// and is ignored. A node outside the configuration runs no core (Index is
// -1, Status.Sealer false, inbound messages are dropped); it follows by
// block sync and starts a core when a later configuration names it.
// Params.OnEpoch tells the node the new sealers and its index, before the
// new core sends anything, so that transport indexes are never stale for
// outbound messages.
package engine
