package engine

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/raft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// Executor and Ledger are what the driver needs of the executor and the
// group's ledger (package consensus).
type (
	Executor = consensus.Executor
	Ledger   = consensus.SealerLedger
)

// TxPool is what the driver needs of the txpool: the engines' shared pool
// (package consensus) and its size, which tells the minimum seal interval
// that a full block waits.
type TxPool interface {
	consensus.TxPool
	// Stats returns how many txs the pool holds and their encoded size.
	Stats() (count int, bytes int)
}

// Transport carries raft messages to a group member, named by its public
// key. It must not block for long (queue or drop: raft retransmits).
// Inbound messages reach the driver through Engine.Deliver.
type Transport interface {
	Send(to []byte, data []byte) error
}

// Params are the engine's configuration and dependencies.
type Params struct {
	Config    Config
	Core      raft.Config // Suite, Key, Sealers and the protocol parameters
	KV        storage.KV  // the node's store; the driver writes under Prefix
	Ledger    Ledger
	Executor  Executor
	Pool      TxPool
	Verifier  TxVerifier // the node's signature verifier; nil checks each tx here
	Transport Transport
	Logger    *slog.Logger     // nil discards
	Now       func() time.Time // block timestamps; nil means time.Now
	// Tracer is told where the time of each committed block went; nil
	// traces nothing.
	Tracer consensus.Tracer
	// Rules gives the governance parameters in force at each height
	// (rules.go); nil keeps the core's static configuration.
	Rules consensus.RulesSource
}

// Stats are the driver's and the core's counters.
type Stats struct {
	InboxDropped uint64
	SendFailed   uint64
	Core         raft.Status
	// Tick is the driver's tick now in effect and ElectionTimeout the
	// least time without a heartbeat before an election (ElectionTicks
	// ticks), both following the chain's consensus_timeout_ms.
	Tick            time.Duration
	ElectionTimeout time.Duration
}

type inbound struct {
	from []byte
	data []byte
}

type wantedMembers struct{ voters, learners [][]byte }

type confRequest struct {
	t     raft.ChangeType
	pub   []byte
	reply chan error
}

// Engine drives a raft.Core: it owns the ticker, the transport, the
// persisted raft state, execution and commits. It implements
// consensus.Engine (Name "raft").
type Engine struct {
	cfg    Config
	ccfg   raft.Config
	suite  crypto.Suite
	sealer common.Address
	kv     storage.KV
	ledger Ledger
	exec   Executor
	pool   TxPool
	sigs   TxVerifier
	tr     Transport
	log    *slog.Logger
	now    func() time.Time
	tracer consensus.Tracer
	rules  consensus.RulesSource

	inbox        chan inbound
	confs        chan confRequest
	inboxDropped atomic.Uint64
	sendFailed   atomic.Uint64
	// tick is the driver's tick length in effect (rules.go); written by
	// the run goroutine (and Start), read by Stats.
	tick          atomic.Int64
	baseSyncTicks uint64 // Core.SyncTicks, counted in Config.TickInterval

	// Owned by the run goroutine.
	core     *raft.Core
	lastHead uint64

	// life is the run goroutine and Status; its mutex guards the fields below too.
	life    consensus.Lifecycle
	members *wantedMembers // nil: no node list given (the genesis voters stay)
	cstatus raft.Status
	signers [][]byte
}

var _ consensus.Engine = (*Engine)(nil)

// New checks the parameters and makes an engine; it does nothing until Start.
func New(p Params) (*Engine, error) {
	if err := p.Config.Validate(); err != nil {
		return nil, err
	}
	if err := p.Core.Validate(); err != nil {
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
	log := logger.With("module", "consensus", "engine", consensus.NameRaft)
	ccfg := p.Core
	if ccfg.Logger == nil {
		ccfg.Logger = log
	}
	self := ccfg.Key.PublicKey()
	sealer := slices.ContainsFunc(ccfg.Sealers, func(s []byte) bool { return string(s) == string(self) })
	e := &Engine{
		cfg: p.Config, ccfg: ccfg, suite: ccfg.Suite, sealer: ccfg.Suite.Address(self),
		kv: p.KV, ledger: p.Ledger, exec: p.Executor, pool: p.Pool, sigs: p.Verifier, tr: p.Transport, log: log, now: now,
		tracer: p.Tracer, rules: p.Rules,
		inbox:         make(chan inbound, p.Config.InboxSize),
		confs:         make(chan confRequest),
		life:          consensus.Lifecycle{Status: consensus.Status{Engine: consensus.NameRaft, Sealer: sealer}},
		baseSyncTicks: ccfg.SyncTicks,
	}
	e.tick.Store(int64(p.Config.TickInterval))
	return e, nil
}

// Name is consensus.NameRaft.
func (e *Engine) Name() string { return consensus.NameRaft }

// Deliver hands the driver a message from the peer with public key from.
// It never blocks: when the inbox is full the message is dropped and
// counted.
func (e *Engine) Deliver(from []byte, data []byte) {
	select {
	case e.inbox <- inbound{from: from, data: data}:
	default:
		e.inboxDropped.Add(1)
	}
}

// Start loads the raft state from the KV and launches the driver goroutine.
func (e *Engine) Start(ctx context.Context) error {
	return e.life.Start(ctx, ErrStopped, ErrAlreadyStarted, func(runCtx context.Context) error {
		head := e.ledger.Head()
		if head == nil {
			return ErrNoHead
		}
		a := &app{e: e, ctx: runCtx}
		core, err := raft.New(e.ccfg, kvStore{e.kv}, a, coreTransport{e})
		if err != nil {
			return fmt.Errorf("restoring raft state: %w", err)
		}
		e.core, e.lastHead = core, head.Number
		e.applyTiming(head.Number + 1)
		e.life.Status.Height, e.life.Status.BlockHash = head.Number, head.Hash(e.suite)
		e.signers = core.Signers()
		e.log.Info("started", "height", head.Number, "raftId", fmt.Sprintf("%x", core.ID()), "voters", len(core.Status().Voters))
		return nil
	}, e.run)
}

// Stop ends the driver, letting a block being committed finish.
func (e *Engine) Stop() error {
	e.life.Stop(e.log)
	return nil
}

// Status is a snapshot of the engine's progress.
func (e *Engine) Status() consensus.Status { return e.life.Snapshot() }

// Stats returns the driver's counters and the core's status.
func (e *Engine) Stats() Stats {
	e.life.Lock()
	s := Stats{Core: e.cstatus}
	e.life.Unlock()
	s.InboxDropped, s.SendFailed = e.inboxDropped.Load(), e.sendFailed.Load()
	s.Tick, s.ElectionTimeout = e.tickInterval(), e.electionTimeout()
	return s
}

// Signers is the signer list Raft block signatures index (the genesis
// sealers, then every node added by a membership change): block sync
// verifies blocks against it with quorum 1.
func (e *Engine) Signers() [][]byte {
	e.life.Lock()
	defer e.life.Unlock()
	return slices.Clone(e.signers)
}

// ProposeConfChange proposes one membership change on the leader (see
// raft.Core.ProposeConfChange): raft.ErrNotLeader on a follower,
// raft.ErrConfChangePending while another change is being applied.
func (e *Engine) ProposeConfChange(ctx context.Context, t raft.ChangeType, pub []byte) error {
	req := confRequest{t: t, pub: slices.Clone(pub), reply: make(chan error, 1)}
	done := e.life.Done()
	if done == nil {
		return ErrNotRunning
	}
	select {
	case e.confs <- req:
	case <-done:
		return ErrNotRunning
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SetMembers gives the engine the group's wanted node list (public keys of
// voters, and of learners: nodes that receive the log without voting).
// While this node leads, the driver moves the raft configuration toward it
// one change at a time (raft.Core.Reconcile), on each tick. Governance
// calls it after each node-list change, on every node.
func (e *Engine) SetMembers(voters, learners [][]byte) error {
	if len(voters) == 0 {
		return fmt.Errorf("%w: no voter in the node list", raft.ErrBadConfChange)
	}
	e.life.Lock()
	defer e.life.Unlock()
	e.members = &wantedMembers{voters: cloneKeys(voters), learners: cloneKeys(learners)}
	return nil
}

func cloneKeys(l [][]byte) [][]byte {
	out := make([][]byte, len(l))
	for i, k := range l {
		out[i] = slices.Clone(k)
	}
	return out
}

// coreTransport maps raft ids to public keys.
type coreTransport struct{ e *Engine }

func (t coreTransport) Send(to uint64, data []byte) {
	pub, ok := t.e.core.PeerKey(to)
	if !ok {
		t.e.sendFailed.Add(1)
		return
	}
	if err := t.e.tr.Send(pub, data); err != nil {
		t.e.sendFailed.Add(1)
	}
}

// run is the driver loop.
func (e *Engine) run(ctx context.Context) {
	tick := e.tickInterval()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	notify := e.pool.Notify()
	err := e.core.Process()
	var seal *time.Timer // ends the minimum seal interval a block waits on
	var sealC <-chan time.Time
	for err == nil {
		e.publish()
		if w := e.core.SealWait(); w > 0 {
			if seal == nil {
				seal = time.NewTimer(w)
			} else {
				seal.Reset(w)
			}
			sealC = seal.C
		}
		if t := e.tickInterval(); t != tick { // a block changed the timeout
			tick = t
			ticker.Reset(tick)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if head := e.ledger.Head(); head != nil && head.Number != e.lastHead {
				e.lastHead = head.Number
				e.applyTiming(head.Number + 1) // the synced blocks may change it
				err = e.core.LedgerMoved()     // the block syncer may have filled a gap
			}
			if err == nil {
				err = e.core.Tick()
			}
			if err == nil {
				e.reconcile()
			}
		case m := <-e.inbox:
			_ = e.core.Step(m.from, m.data) // bad messages are counted by the core
			err = e.core.Err()
		case <-notify:
			e.core.TrySeal()
			err = e.core.Process()
		case <-sealC:
			sealC = nil
			e.core.TrySeal()
			err = e.core.Process()
		case r := <-e.confs:
			r.reply <- e.core.ProposeConfChange(r.t, r.pub)
			err = e.core.Err()
		}
	}
	if ctx.Err() == nil {
		e.log.Error("raft driver stopped: it cannot go on safely; fix the cause and restart the node", "err", err)
	}
}

// reconcile moves the configuration toward the wanted node list.
func (e *Engine) reconcile() {
	e.life.Lock()
	m := e.members
	e.life.Unlock()
	if m == nil {
		return
	}
	if _, err := e.core.Reconcile(m.voters, m.learners); err != nil && e.core.Err() == nil {
		e.log.Warn("membership change toward the node list refused", "err", err)
	}
}

// committed is called by the app after each block it commits.
func (e *Engine) committed(h *types.Header, txs int) {
	e.lastHead = h.Number
	e.life.Lock()
	e.life.Status.LastBlockTime = time.Now()
	e.life.Unlock()
	e.log.Info("block committed", "number", h.Number, "hash", h.Hash(e.suite), "txs", txs)
}

// publish refreshes Status.
func (e *Engine) publish() {
	cs := e.core.Status()
	head := e.ledger.Head()
	signers := e.core.Signers()
	e.life.Lock()
	defer e.life.Unlock()
	if head != nil {
		e.life.Status.Height, e.life.Status.BlockHash = head.Number, head.Hash(e.suite)
	}
	e.life.Status.View, e.life.Status.Leader = cs.Term, cs.State == "StateLeader"
	e.life.Status.Sealer = slices.Contains(cs.Voters, cs.ID)
	e.cstatus = cs
	if len(signers) != len(e.signers) {
		e.signers = slices.Clone(signers)
	}
}
