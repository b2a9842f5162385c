package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// TxPool is what the driver needs of the txpool: the engines' shared
// pool (package consensus) that also hands out pooled txs by hash, to
// resolve proposals with tx hashes and to serve peers that fetch them.
type TxPool interface {
	consensus.TxPool
	// Get returns the pooled tx with this hash, or nil.
	Get(hash common.Hash) *types.Transaction
	// Stats returns how many txs the pool holds and their encoded size;
	// the count tells the minimum seal interval a full block waits.
	Stats() (count int, bytes int)
}

// Executor is what the driver needs of the executor (package consensus).
type Executor = consensus.Executor

// Ledger is what the driver needs of the group's ledger: the sealing
// engines' ledger (package consensus) that also serves committed txs.
type Ledger interface {
	consensus.SealerLedger
	// CommittedTx returns the encoding of a committed tx (served to peers
	// that fetch it).
	CommittedTx(hash common.Hash) ([]byte, bool)
}

// Transport carries consensus messages to the other sealers, by index in
// the sealer list. Both calls must not block for long (queue or drop).
// Inbound messages reach the driver through Engine.Deliver.
type Transport interface {
	Send(to int, data []byte) error
	Broadcast(data []byte) error
}

// Params are the engine's configuration and dependencies.
type Params struct {
	Config Config
	// Core configures the PBFT core (Suite, Key, Sealers, Domain and the
	// protocol parameters). Window is 1 (no pipelining) or 2 (a height may
	// be ordered and executed while the one below is not committed, where
	// the chain allows it: doc.go, "Pipelining"); Incarnation is set by
	// Start.
	Core   pbft.Config
	KV     storage.KV // the node's store; the driver writes under Prefix
	Ledger Ledger
	// Executor runs blocks on the engine's execution goroutine, one call
	// at a time, while the driver goroutine goes on using Ledger (commits
	// included) and the block environment's GetHash reads Ledger from the
	// execution goroutine: both must be safe for that (doc.go, "What runs
	// where"). A consensus.PendingExecutor is needed for pipelining.
	Executor  Executor
	Pool      TxPool
	Transport Transport
	// Fetch carries tx fetch messages (chains at compatibility version
	// 0.3.0 or later, whose proposals carry tx hashes); nil: this node
	// neither fetches nor serves, and votes only for proposals whose txs
	// it holds.
	Fetch    FetchTransport
	Verifier TxVerifier       // the node's signature verifier; nil checks each tx here
	Logger   *slog.Logger     // nil discards
	Now      func() time.Time // proposal timestamps; nil means time.Now
	// Tracer is told where the time of each committed block went; nil
	// means none.
	Tracer consensus.Tracer
	// OnProposed, when set, is called on the driver goroutine when this
	// node has made a proposal, before its pre-prepare is persisted and
	// sent. The node sends the txs waiting for gossip then, ahead of the
	// pre-prepare on each peer's connection, so that replicas hold more
	// of the proposal's txs when it arrives and fetch fewer.
	OnProposed func()
	// Epochs, when set, gives the sealer configuration in force at a
	// height. The driver asks it for head+1 at start and after every
	// commit (so it must answer once height-1 is committed) and, when the
	// answer differs from the running configuration, rebuilds the core at
	// that height (a new epoch): with the new sealers and quorum when this
	// node is one of them, none at all when it is not (the engine idles and
	// the node follows by block sync until a later configuration names it).
	// Nil: Core.Sealers and Core.LeaderPeriod for ever. With Epochs set,
	// Core.Sealers may leave this node out; Core.Sealers and
	// Core.LeaderPeriod are then the initial (genesis) configuration, which
	// signs under Core.Domain unchanged.
	Epochs func(height uint64) (Epoch, error)
	// OnEpoch, when set, is called from the driver goroutine when the
	// running configuration changes, before its core sends anything: the
	// sealers (nil while unknown) and this node's index among them (-1
	// when not a sealer). Transports that map indexes to peers update
	// their map there.
	OnEpoch func(sealers [][]byte, self int)
	// Rules gives the governance parameters in force at each height
	// (rules.go); nil keeps the core's static configuration.
	Rules consensus.RulesSource
}

// Stats are the driver's counters.
type Stats struct {
	InboxDropped uint64 // inbound messages dropped because the inbox was full
	SendFailed   uint64 // sends the transport refused
	Rebuilds     uint64 // core rebuilt because sync moved the ledger ahead of it
	// PipelinedExecs counts blocks executed on top of an executed parent
	// not yet committed (pipelining).
	PipelinedExecs uint64
	// PipelinedOrders counts proposals made and verdicts given at a
	// height whose parent was not committed (pipelining).
	PipelinedOrders uint64
	// The running core's heights: the highest decided (ordered), executed
	// and finalized (certified) ones, and its window (pipeline.go).
	Decided, Executed, Finalized, Window uint64
	// Tx fetching (proposals with tx hashes).
	TxsFetched     uint64 // tx bodies fetched from peers, each checked against its hash
	FetchFailures  uint64 // fetch jobs that ended without every body asked for
	FetchBadBodies uint64 // bodies peers sent that were not asked for (wrong hash or undecodable); ignored
	TxsServed      uint64 // tx bodies sent to peers that asked
	FetchDropped   uint64 // peers' requests dropped: over their rate or the serve queue full
	FetchMalformed uint64 // fetch messages that did not decode
	// Drops counts the messages the cores dropped, by reason, since the
	// engine started: those of the cores it replaced (after a sync, at a
	// new sealer set) included.
	Drops pbft.DropCounts
	Core  pbft.Stats
}

type inbound struct {
	from int
	data []byte
}

// execResult is kept from ExecRequest to CommitRequest.
type execResult struct {
	txs   []*types.Transaction
	res   *consensus.Result
	roots *types.BlockRoots // of txs and res.Receipts, for the commit
}

// Engine drives a pbft.Core: it owns the ticker, the transport, the
// persisted consensus state, verification, execution and commits.
type Engine struct {
	cfg    Config
	ccfg   pbft.Config
	suite  crypto.Suite
	self   atomic.Int64 // index in the running configuration; -1 when not a sealer
	ledger Ledger
	exec   Executor
	pool   TxPool
	tr     Transport
	sigs   TxVerifier
	st     *store
	log    *slog.Logger
	now    func() time.Time
	traces *traces
	rules  consensus.RulesSource
	// onProposed is Params.OnProposed.
	onProposed func()
	// maxWindow is Params.Core.Window: 2 lets the driver pipeline where
	// the chain allows (pipeline.go); the core's window follows windowAbove.
	maxWindow uint64

	inbox        chan inbound
	fetch        *fetcher
	wg           sync.WaitGroup // fetch goroutines of the running driver
	inboxDropped atomic.Uint64
	sendFailed   atomic.Uint64

	// The configurations (epoch.go).
	initial    Epoch // Params.Core's sealers and leader period
	baseDomain []byte
	epochs     func(uint64) (Epoch, error)
	onEpoch    func([][]byte, int)

	// Owned by the run goroutine.
	ep       Epoch       // the running configuration, if known
	epID     common.Hash // its id
	known    bool        // ep is the configuration of base+1
	checked  uint64      // head for which Epochs was last asked
	epochErr string      // last error reading the configuration
	lastHSID common.Hash // configuration lastHS belongs to
	core     *pbft.Core  // nil while this node is not a sealer
	base     uint64      // ledger head the core was built on or last acknowledged
	lastHS   *pbft.HardState
	execs    map[uint64]execResult
	tryProp  bool
	// The minimum seal interval (seal.go): the one in force, the round it
	// counts from, and the timer that ends it.
	minSeal   time.Duration
	round     sealRound
	sealTimer *time.Timer
	sealC     <-chan time.Time
	ticks     uint64
	rebuilds  uint64
	available bool
	// pipelinedExecs counts executions on an uncommitted parent,
	// pipelinedOrders proposals and verdicts above head+1.
	pipelinedExecs, pipelinedOrders uint64
	pipeCache                       map[pipeKey]bool // pipelinedAt's answers (pipeline.go)
	// headHashOf memoizes the hash of the last ledger head asked for
	// (headHash in pipeline.go).
	headHashOf struct {
		h    *types.Header
		hash common.Hash
	}
	// retiredDrops are the drop counters of the cores replaced so far.
	retiredDrops pbft.DropCounts
	// Proposals with tx hashes (resolve.go).
	waiting    []pbft.VerifyRequest           // verify requests not answered yet
	unsaved    map[common.Hash]*bodiesRecord  // resolved bodies for the next persist
	fetchTries map[common.Hash]int            // fetch jobs started per proposal to verify it
	lacking    map[common.Hash]*pbft.Proposal // proposals whose bodies are being fetched
	// Execution (exec.go): the job running on the execution goroutine,
	// its cancel, the jobs waiting for it, and where results arrive.
	execRunning *execJob
	execCancel  context.CancelFunc
	execQueue   []*execJob
	execDone    chan execDone

	// life holds the run goroutine and the published Status; its mutex
	// also guards stats.
	life  consensus.Lifecycle
	stats Stats
}

var _ consensus.Engine = (*Engine)(nil)

// New checks the parameters and makes an engine; it does nothing until Start.
func New(p Params) (*Engine, error) {
	if err := p.Config.Validate(); err != nil {
		return nil, err
	}
	if p.Core.Window != 1 && p.Core.Window != 2 {
		return nil, fmt.Errorf("%w: core Window is %d; this driver runs 1 (no pipelining) or 2", ErrInvalidConfig, p.Core.Window)
	}
	self, err := p.Core.Validate()
	if errors.Is(err, pbft.ErrNotSealer) && p.Epochs != nil {
		self, err = -1, nil // an observer now; maybe a sealer later
	}
	if err != nil {
		return nil, err
	}
	switch {
	case p.KV == nil:
		return nil, fmt.Errorf("%w: storage", ErrMissingDep)
	case p.Ledger == nil:
		return nil, fmt.Errorf("%w: ledger", ErrMissingDep)
	case p.Executor == nil:
		return nil, fmt.Errorf("%w: executor", ErrMissingDep)
	case p.Pool == nil:
		return nil, fmt.Errorf("%w: txpool", ErrMissingDep)
	case p.Transport == nil:
		return nil, fmt.Errorf("%w: transport", ErrMissingDep)
	}
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	ccfg := p.Core
	if ccfg.Logger == nil {
		ccfg.Logger = logger
	}
	// The driver holds proposals back for the minimum seal interval by the
	// clock (seal.go); the core would count it in whole ticks.
	minSeal := max(p.Config.MinSealInterval, time.Duration(ccfg.MinSealTicks)*p.Config.TickInterval)
	ccfg.MinSealTicks = 0
	e := &Engine{
		cfg: p.Config, ccfg: ccfg, suite: p.Core.Suite,
		ledger: p.Ledger, exec: p.Executor, pool: p.Pool, tr: p.Transport, sigs: p.Verifier,
		st:       &store{kv: p.KV, saved: make(map[common.Hash]uint64), bodies: make(map[common.Hash]uint64)},
		log:      logger.With("module", "consensus", "engine", consensus.NamePBFT),
		now:      now,
		traces:   newTraces(p.Tracer),
		inbox:    make(chan inbound, p.Config.InboxSize),
		execDone: make(chan execDone, 1),
		execs:    make(map[uint64]execResult),
		life:     consensus.Lifecycle{Status: consensus.Status{Engine: consensus.NamePBFT, Sealer: self >= 0}},
		initial:  initialEpoch(p.Core),
		epochs:   p.Epochs, onEpoch: p.OnEpoch, baseDomain: p.Core.Domain,
		rules: p.Rules, maxWindow: p.Core.Window, onProposed: p.OnProposed,
		unsaved: make(map[common.Hash]*bodiesRecord), fetchTries: make(map[common.Hash]int),
		lacking: make(map[common.Hash]*pbft.Proposal), pipeCache: make(map[pipeKey]bool),
		minSeal: minSeal,
	}
	e.fetch = newFetcher(e, p.Fetch, p.Config, p.Core.MaxMessageSize)
	e.self.Store(int64(self))
	return e, nil
}

// Name is consensus.NamePBFT.
func (e *Engine) Name() string { return consensus.NamePBFT }

// Index is this node's index in the running configuration's sealer list,
// -1 when it is not a sealer. Safe for concurrent use.
func (e *Engine) Index() int { return int(e.self.Load()) }

// Deliver hands the driver a message received from the sealer at index
// from. It never blocks: when the inbox is full the message is dropped and
// counted (the core's resends recover it).
func (e *Engine) Deliver(from int, data []byte) {
	select {
	case e.inbox <- inbound{from: from, data: data}:
	default:
		e.inboxDropped.Add(1)
	}
}

// DeliverFetch hands the engine a tx fetch message from the sealer at
// index from (fetch.go). It never blocks: a request is queued for the
// fetch server or dropped (counted), a response goes to the fetch that
// asked that sealer.
func (e *Engine) DeliverFetch(from int, data []byte) { e.fetch.deliver(from, data) }

// Start rebuilds the core from the ledger head and the persisted
// HardState and launches the driver goroutine.
func (e *Engine) Start(ctx context.Context) error {
	return e.life.Start(ctx, ErrStopped, ErrAlreadyStarted, e.begin, e.run)
}

// begin restores the engine's state for Start, under the lifecycle's mutex.
func (e *Engine) begin(context.Context) error {
	head := e.ledger.Head()
	if head == nil {
		return ErrNoHead
	}
	hs, hsID, err := e.st.loadHardState()
	if err != nil {
		return err
	}
	if hsID == (common.Hash{}) {
		hsID = e.epochID(e.initial) // written before epochs existed
	}
	if err := e.st.scan(); err != nil {
		return err
	}
	e.loadAllStoredBodies()
	e.ccfg.Incarnation = uint64(time.Now().UnixNano())
	e.lastHS, e.lastHSID = hs, hsID
	ep, err := e.epochOf(head.Number + 1)
	if err != nil {
		return fmt.Errorf("reading the sealer set of height %d: %w", head.Number+1, err)
	}
	if err := e.switchEpoch(head, ep); err != nil {
		return fmt.Errorf("restoring pbft state: %w", err)
	}
	e.checked = head.Number
	e.applyTiming(head.Number + 1)
	e.life.Status.Sealer = e.Index() >= 0
	e.life.Status.Height, e.life.Status.BlockHash = head.Number, e.headHash(head)
	e.log.Info("started", "height", head.Number, "sealer", e.Index(), "sealers", len(e.ccfg.Sealers), "restored", hs != nil && e.core != nil)
	return nil
}

// Stop ends the driver, letting a block being committed finish; a block
// being executed is cancelled (the executor sees its context end) and
// waited for.
func (e *Engine) Stop() error {
	e.life.Stop(e.log)
	return nil
}

// Status is a snapshot of the engine's progress.
func (e *Engine) Status() consensus.Status {
	return e.life.Snapshot()
}

// Stats returns the driver's and the core's counters.
func (e *Engine) Stats() Stats {
	e.life.Lock()
	s := e.stats
	e.life.Unlock()
	s.InboxDropped, s.SendFailed = e.inboxDropped.Load(), e.sendFailed.Load()
	f := e.fetch
	s.TxsFetched, s.FetchFailures, s.FetchBadBodies = f.fetched.Load(), f.failures.Load(), f.bad.Load()
	s.TxsServed, s.FetchDropped, s.FetchMalformed = f.served.Load(), f.dropped.Load(), f.malformed.Load()
	return s
}

// run is the driver loop: every input goes to the core, then the core's
// Ready is handled until it is empty.
func (e *Engine) run(ctx context.Context) {
	defer e.wg.Wait() // the fetch and execution goroutines, after cancel
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.fetch.serve(ctx)
	}()
	ticker := time.NewTicker(e.cfg.TickInterval)
	defer ticker.Stop()
	notify := e.pool.Notify()
	e.tryProp = true
	if err := e.process(ctx); err != nil {
		e.fail(err)
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if e.core != nil {
				e.core.Tick()
			}
			e.ticks++
			if e.ticks%e.cfg.ProposeEveryTicks == 0 {
				e.tryProp = true
			}
		case m := <-e.inbox:
			if e.core != nil {
				_ = e.core.Step(m.from, m.data) // drops are counted by the core
			}
			e.stepQueued()
		case <-notify:
			e.tryProp = true
		case <-e.sealC:
			e.sealC = nil
			e.tryProp = true
		case r := <-e.fetch.results:
			e.onFetched(ctx, r)
		case d := <-e.execDone:
			if err := e.onExecuted(ctx, d); err != nil {
				e.fail(err)
				return
			}
		}
		if err := e.process(ctx); err != nil {
			if ctx.Err() == nil {
				e.fail(err)
			}
			return
		}
	}
}

// maxStepBatch bounds the inbound messages stepped before their Ready is
// handled (stepQueued).
const maxStepBatch = 256

// stepQueued steps the core with the messages already waiting in the
// inbox, at most maxStepBatch, before their Ready is handled. The core
// accumulates its output over several Steps (its Ready carries the latest
// HardState and every message made since the last one), so the votes of
// messages that queued up meanwhile (during a synced write, a commit, or
// while the process was off the CPU) are persisted in one synced write
// and leave together, instead of one synced write per message: on a busy
// disk each write takes milliseconds, and a height's prepares, commits and
// checkpoints each made one.
func (e *Engine) stepQueued() {
	for range maxStepBatch {
		select {
		case m := <-e.inbox:
			if e.core != nil {
				_ = e.core.Step(m.from, m.data)
			}
		default:
			return
		}
	}
}

func (e *Engine) fail(err error) {
	e.log.Error("pbft driver stopped: it cannot go on safely; fix the cause and restart the node", "err", err)
}

// process handles the core's output until there is nothing left to do.
func (e *Engine) process(ctx context.Context) error {
	for range 1000 { // bounded: every round consumes core output
		if err := e.maybeRebuild(); err != nil {
			return err
		}
		e.dropStaleExecs()
		if e.core == nil {
			break // not a sealer (now): nothing to do but watch the head
		}
		if e.tryProp {
			e.tryProp = false
			e.propose()
		}
		if !e.core.HasReady() {
			break
		}
		if err := e.handleReady(ctx); err != nil {
			return err
		}
	}
	e.noteRound()
	e.publish()
	return nil
}

// handleReady handles one Ready in the order the core prescribes.
func (e *Engine) handleReady(ctx context.Context) error {
	rd := e.core.Ready()
	e.traces.ready(&rd)
	// 1. Persist proposals and state before anything is sent: durably
	// when the core says its messages rely on them (MustSync); else
	// without waiting for the disk, as a crash may lose them.
	committed := e.base
	e.prepareProposals(ctx, rd.Proposals)
	for _, v := range rd.Verify {
		e.prepareProposals(ctx, []*pbft.Proposal{v.Proposal}) // fetching starts at once
	}
	if err := e.st.persist(rd.Proposals, e.unsaved, rd.State, e.epID, committed, func(p *pbft.Proposal) common.Hash { return p.Digest(e.suite) }, rd.MustSync); err != nil {
		return err
	}
	clear(e.unsaved)
	if rd.State != nil {
		e.lastHS, e.lastHSID = rd.State, e.epID
	}
	// 2. Send.
	for _, m := range rd.Messages {
		var err error
		if m.To == pbft.Broadcast {
			err = e.tr.Broadcast(m.Data)
		} else {
			err = e.tr.Send(m.To, m.Data)
		}
		if err != nil {
			e.sendFailed.Add(1)
		}
	}
	// 3. Verify (answered after Advance, once the parent is committed and
	// the bodies are known: resolve.go) and execute: on the execution
	// goroutine (exec.go), whose result reaches the core from the run
	// loop; a request that cannot start is refused after Advance.
	e.waiting = append(e.waiting, rd.Verify...)
	var refused []execRefusal
	for _, x := range rd.Execute {
		j, err := e.prepareExec(ctx, x)
		if err != nil {
			refused = append(refused, execRefusal{x.Height, err})
			continue
		}
		e.queueExec(ctx, j)
	}
	// 4. Commit.
	for _, c := range rd.Commit {
		if err := e.commit(c); err != nil {
			return err
		}
	}
	if len(rd.Commit) > 0 {
		e.setWindow() // for the heights above the new head, before Advance lets the core vote
	}
	if rd.Propose != nil {
		e.tryProp = true
	}
	if rd.Sync != nil {
		e.log.Debug("core asks for sync; the node's block syncer downloads blocks", "from", rd.Sync.From, "to", rd.Sync.To)
	}
	e.core.Advance()
	if len(rd.Commit) > 0 {
		// The head moved: an execution that failed earlier because its
		// parent was not committed is asked again now, not at the next
		// tick. Before this Ready's refusals, which wait for the next event.
		e.core.RetryExecution()
	}
	e.runVerifies(ctx)
	for _, r := range refused {
		if err := e.core.Executed(r.height, nil, r.err); err != nil {
			e.log.Warn("execution result refused by the core", "height", r.height, "err", err)
		}
	}
	return nil
}

// propose gives the core a proposal when it wants one and the pool has txs.
func (e *Engine) propose() {
	e.noteRound()
	req, ok := e.core.ProposalWanted()
	if head := e.ledger.Head(); ok && (head == nil || !e.readyAt(req.Height, head.Number)) {
		ok = false // the parent's commit comes first; it asks again (tryProp)
	}
	if ok {
		if wait := e.sealWait(); wait > 0 && !e.fullBlockWaits(req) {
			ok = false // the minimum seal interval holds; it asks again when it ends
			e.wakeToPropose(wait)
		}
	}
	if !ok {
		// Not proposing, but the core must know whether txs wait here: a
		// leader that heartbeats while they do is replaced.
		e.available = len(e.pool.Pending(1)) > 0
		e.core.SetTxsAvailable(e.available)
		return
	}
	sealStart := time.Now()
	txs := e.candidates(req)
	e.available = len(txs) > 0
	e.core.SetTxsAvailable(e.available)
	if len(txs) == 0 {
		return
	}
	ts := consensus.BlockTime(e.now(), req.MinTimestamp)
	if err := e.core.Propose(txs, ts); err != nil {
		e.log.Warn("proposal refused by the core", "height", req.Height, "view", req.View, "txs", len(txs), "err", err)
		return
	}
	e.traces.sealed(req.Height, time.Since(sealStart))
	if e.onProposed != nil {
		e.onProposed()
	}
	if head := e.ledger.Head(); head != nil && req.Height > head.Number+1 {
		e.pipelinedOrders++
	}
}

// commit stores a finalized block, unless sync committed it already.
func (e *Engine) commit(c pbft.CommitRequest) error {
	h := c.Header.Number
	hash := c.Header.Hash(e.suite)
	defer func() {
		for n := range e.execs {
			if n <= h {
				delete(e.execs, n)
			}
		}
	}()
	if head := e.ledger.Head(); head != nil && head.Number >= h {
		if have, ok := e.ledger.HashByNumber(h); ok && have == hash {
			e.base = max(e.base, h)
			return nil
		}
		return fmt.Errorf("block %d finalized by consensus as %s differs from the committed one: more than f sealers are faulty or this node's storage is corrupt", h, hash)
	}
	x, ok := e.execs[h]
	if !ok {
		return fmt.Errorf("block %d finalized without a local execution result", h)
	}
	senders := make([]common.Address, len(x.txs))
	for i, tx := range x.txs {
		s, ok := tx.CachedSender()
		if !ok {
			return fmt.Errorf("block %d: tx %s has no verified sender", h, tx.Hash())
		}
		senders[i] = s
	}
	b := &types.Block{Header: c.Header, Txs: x.txs}
	start := time.Now()
	if err := e.ledger.Commit(b, x.res.Receipts, senders, x.res.State, x.roots); err != nil {
		if have, ok := e.ledger.HashByNumber(h); ok && have == hash {
			e.base = max(e.base, h) // sync committed it meanwhile
			return nil
		}
		return fmt.Errorf("committing block %d: %w", h, err)
	}
	e.base = h
	e.forgetBelow(h)
	e.applyTiming(h + 1)
	e.traces.committed(h, hash, len(b.Txs), time.Since(start))
	e.pool.OnCommitted(b)
	e.tryProp = true
	e.life.Lock()
	e.life.Status.LastBlockTime = time.Now()
	e.life.Unlock()
	level := slog.LevelInfo
	if e.traces.on() {
		level = slog.LevelDebug // the tracer logs the block's flow line
	}
	e.log.Log(context.Background(), level, "block committed", "number", h, "hash", hash, "txs", len(b.Txs), "signatures", len(c.Header.Signatures))
	return nil
}

// maybeRebuild rebuilds the core when the ledger's head moved past the
// core's base without the core (the block syncer committed blocks). The
// core is made as on a restart, from the head and the last persisted
// HardState, so votes of the height being ordered are kept.
func (e *Engine) maybeRebuild() error {
	head := e.ledger.Head()
	if head == nil {
		return nil
	}
	e.checkEpoch(head)
	if e.core == nil {
		e.base = max(e.base, head.Number)
		return nil
	}
	if head.Number <= e.base {
		return nil
	}
	var hs *pbft.HardState
	if e.lastHSID == e.epID {
		hs = e.lastHS
	}
	if e.maxWindow > 1 {
		e.ccfg.Window = e.windowAbove(head.Number)
	}
	core, err := pbft.New(e.ccfg, head, hs, e.st.loadProposal)
	if err != nil {
		e.log.Warn("could not rebuild the pbft core on the synced head; retrying later", "head", head.Number, "err", err)
		return nil
	}
	e.log.Info("ledger moved ahead by sync; pbft core rebuilt", "from", e.base, "head", head.Number)
	e.retireCore()
	e.core, e.base = core, head.Number
	e.applyTiming(head.Number + 1)
	e.core.SetTxsAvailable(e.available)
	e.rebuilds++
	clear(e.execs)
	e.waiting = e.waiting[:0]
	e.traces.forget(head.Number)
	e.tryProp = true
	return nil
}

// retireCore keeps the drop counters of the core about to be replaced.
func (e *Engine) retireCore() {
	if e.core == nil {
		return
	}
	e.retiredDrops = e.retiredDrops.Plus(e.core.Drops())
}

// publish refreshes Status and Stats.
func (e *Engine) publish() {
	var cs pbft.Status
	if e.core != nil {
		cs = e.core.Status()
	} else {
		cs.Leader = -1
	}
	head := e.ledger.Head()
	e.life.Lock()
	defer e.life.Unlock()
	if head != nil {
		e.life.Status.Height, e.life.Status.BlockHash = head.Number, e.headHash(head)
	}
	e.life.Status.Sealer = e.Index() >= 0
	e.life.Status.View, e.life.Status.Leader = cs.View, e.core != nil && cs.Leader == e.Index() && !cs.ViewChanging
	e.stats.Rebuilds, e.stats.PipelinedExecs, e.stats.PipelinedOrders = e.rebuilds, e.pipelinedExecs, e.pipelinedOrders
	if e.core != nil {
		e.stats.Drops, e.stats.Core = e.retiredDrops.Plus(cs.Drops), cs.Stats
		e.stats.Decided, e.stats.Executed, e.stats.Finalized, e.stats.Window = cs.Decided, cs.Executed, cs.Finalized, e.core.Window()
	}
}
