package blocksync

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
)

// Params are the syncer's configuration and dependencies.
type Params struct {
	Config    Config
	Suite     crypto.Suite
	Ledger    Ledger
	Executor  Executor
	Transport Transport
	Sealers   SealerSet
	// Quorum gives the signatures a certificate needs among n sealers;
	// nil means BFTQuorum. It does not apply to heights at which a
	// WeightedSealerSet gives weights (consensus.QuorumWeight does).
	Quorum func(n int) int
	// Clock drives the syncer's timers; nil means real time.
	Clock  Clock
	Logger *slog.Logger // nil discards
}

// Status is a snapshot of the syncer's progress.
type Status struct {
	Running     bool        // Start was called and the syncer has not stopped
	Syncing     bool        // a usable peer announced a head above ours
	Current     uint64      // number of the local head
	CurrentHash common.Hash // hash of the local head
	Highest     uint64      // the highest head known: ours or a usable peer's
	Peers       int         // peers on our chain with a known head
	Penalised   int         // peers ignored now for serving invalid data
	Buffered    int         // verified blocks waiting to be applied
	Inflight    int         // block requests awaiting an answer
	LastError   string      // the latest local failure to apply a block, "" once one applies
}

// PeerInfo describes one peer as the syncer sees it.
type PeerInfo struct {
	ID         PeerID
	Head       uint64 // the head it announced or served up to
	Known      bool   // it announced a status on our chain
	WrongChain bool   // it announced another genesis block
	Inflight   int    // our unanswered requests to it
	Penalised  bool   // ignored now
	Penalties  uint64 // how often it served invalid data
	Timeouts   uint64 // how often it let a request time out
	// LastPenalty is why it was last penalised, "" if never.
	LastPenalty string
}

// Stats are the syncer's counters since New.
type Stats struct {
	Requests     uint64 // block requests sent
	Responses    uint64 // responses matched to a request
	Timeouts     uint64 // requests that timed out
	Unsolicited  uint64 // responses matching no outstanding request
	BadMessages  uint64 // inbound messages that failed to decode
	BadBlocks    uint64 // invalid blocks received (their peer penalised)
	Penalties    uint64 // times a peer was penalised
	Committed    uint64 // blocks committed by the syncer
	ApplyFailed  uint64 // blocks whose local execution or commit failed
	InboxDropped uint64 // inbound messages dropped because the loop was busy
	Served       uint64 // requests from peers answered
	ServeDropped uint64 // requests from peers dropped over the limits
	SendFailed   uint64 // sends the transport refused
}

type counters struct {
	requests, responses, timeouts, unsolicited, badMessages, badBlocks, penalties atomic.Uint64
	committed, applyFailed, inboxDropped, served, serveDropped, sendFailed        atomic.Uint64
}

// Syncer downloads, verifies, executes and commits the blocks a node is
// missing, and serves its own blocks to peers. Create it with New.
type Syncer struct {
	cfg     Config
	suite   crypto.Suite
	ledger  Ledger
	exec    Executor
	tr      Transport
	sealers SealerSet
	quorum  func(int) int
	clock   Clock
	log     *slog.Logger

	// ticks of the configured durations
	statusTicks, timeoutTicks, backoffTicks, penaltyTicks, retryTicks int64
	catchUpTicks                                                      int64 // 0: no wait

	running    atomic.Bool
	inbox      chan inbound
	inboxBytes atomic.Int64
	serveQ     chan serveReq
	serveMu    sync.Mutex
	servePeer  map[PeerID]int // queued requests per peer
	expMu      sync.Mutex
	expected   map[reqKey]struct{} // outstanding requests, to drop unsolicited responses early

	stats counters

	mu        sync.Mutex
	started   bool
	cancel    context.CancelFunc
	done      chan struct{}
	status    Status
	peerInfos []PeerInfo
}

type reqKey struct {
	peer PeerID
	id   uint64
}

// inbound is a decoded message for the loop.
type inbound struct {
	from PeerID
	msg  *Message
	size int
}

// New makes a syncer; it does nothing until Start.
func New(p Params) (*Syncer, error) {
	if err := p.Config.Validate(); err != nil {
		return nil, err
	}
	switch {
	case p.Suite == nil:
		return nil, fmt.Errorf("%w: crypto suite", ErrMissingDep)
	case p.Ledger == nil:
		return nil, fmt.Errorf("%w: ledger", ErrMissingDep)
	case p.Executor == nil:
		return nil, fmt.Errorf("%w: executor", ErrMissingDep)
	case p.Transport == nil:
		return nil, fmt.Errorf("%w: transport", ErrMissingDep)
	case p.Sealers == nil:
		return nil, fmt.Errorf("%w: sealer set", ErrMissingDep)
	}
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	quorum := p.Quorum
	if quorum == nil {
		quorum = BFTQuorum
	}
	clock := p.Clock
	if clock == nil {
		clock = realClock{}
	}
	c := p.Config
	return &Syncer{
		cfg: c, suite: p.Suite, ledger: p.Ledger, exec: p.Executor, tr: p.Transport,
		sealers: p.Sealers, quorum: quorum, clock: clock,
		log:          logger.With("module", "sync"),
		statusTicks:  c.ticks(c.StatusInterval),
		timeoutTicks: c.ticks(c.RequestTimeout),
		backoffTicks: c.ticks(c.TimeoutBackoff),
		penaltyTicks: c.ticks(c.PenaltyDuration),
		retryTicks:   c.ticks(c.RetryInterval),
		catchUpTicks: catchUpTicks(c),
		// Each inbound message is at most MaxMessageSize and the inbox is
		// also bounded in bytes; the count bound keeps tiny messages in check.
		inbox:     make(chan inbound, 1024),
		serveQ:    make(chan serveReq, c.MaxServeQueue),
		servePeer: make(map[PeerID]int),
		expected:  make(map[reqKey]struct{}),
	}, nil
}

// Start launches the syncer's goroutines: the loop that tracks peers,
// requests and verifies blocks, the applier that executes and commits
// them, and the server that answers peers. It fails if the ledger has no
// head.
func (s *Syncer) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		if s.done == nil {
			return ErrStopped
		}
		return ErrAlreadyStarted
	}
	head := s.ledger.Head()
	if head == nil {
		return ErrNoHead
	}
	genesis := head
	if head.Number != 0 {
		g, err := s.ledger.BlockByNumber(0)
		if err != nil {
			return fmt.Errorf("blocksync: reading the genesis block: %w", err)
		}
		genesis = g.Header
	}
	st := newLoopState(s, genesis.Hash(s.suite), head)
	s.started = true
	runCtx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	s.done = make(chan struct{})
	s.status = st.snapshotStatus()
	s.status.Running = true
	s.running.Store(true)

	ticks, stopTicker := s.clock.NewTicker(s.cfg.TickInterval)
	applyCh := make(chan *fetched)
	results := make(chan applyResult)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); s.runLoop(runCtx, st, ticks, applyCh, results) }()
	go func() { defer wg.Done(); s.runApplier(runCtx, applyCh, results) }()
	go func() { defer wg.Done(); s.runServer(runCtx) }()
	done := s.done
	go func() {
		wg.Wait()
		stopTicker()
		s.running.Store(false)
		s.mu.Lock()
		s.status.Running = false
		s.mu.Unlock()
		close(done)
	}()
	s.log.Info("started", "head", head.Number, "genesis", st.genesis)
	return nil
}

// Stop ends the syncer and waits for its goroutines; a block being
// committed completes first. It is safe to call more than once and before
// Start; a stopped syncer cannot start again.
func (s *Syncer) Stop() error {
	s.mu.Lock()
	if !s.started || s.done == nil {
		s.started = true
		s.mu.Unlock()
		return nil
	}
	cancel, done := s.cancel, s.done
	s.cancel, s.done = nil, nil
	s.mu.Unlock()
	cancel()
	<-done
	s.log.Info("stopped")
	return nil
}

// Status is a snapshot of the syncer's progress.
func (s *Syncer) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Peers describes the peers the syncer tracks, ordered by id.
func (s *Syncer) Peers() []PeerInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PeerInfo(nil), s.peerInfos...)
}

// Stats returns the syncer's counters.
func (s *Syncer) Stats() Stats {
	c := &s.stats
	return Stats{
		Requests: c.requests.Load(), Responses: c.responses.Load(), Timeouts: c.timeouts.Load(),
		Unsolicited: c.unsolicited.Load(), BadMessages: c.badMessages.Load(), BadBlocks: c.badBlocks.Load(),
		Penalties: c.penalties.Load(), Committed: c.committed.Load(), ApplyFailed: c.applyFailed.Load(),
		InboxDropped: c.inboxDropped.Load(), Served: c.served.Load(), ServeDropped: c.serveDropped.Load(),
		SendFailed: c.sendFailed.Load(),
	}
}

// HandleMessage takes a sync message from peer from; the node calls it for
// every message of the group's sync module. It never blocks: it decodes
// the message and queues it (block requests for the server, the rest for
// the syncer's loop), dropping it when the queues are full, the message
// is malformed, a response was not asked for, or the syncer is not
// running.
func (s *Syncer) HandleMessage(from PeerID, payload []byte) {
	if !s.running.Load() {
		return
	}
	m, err := DecodeMessage(payload, s.cfg.MaxMessageSize)
	if err != nil {
		s.stats.badMessages.Add(1)
		s.log.Debug("dropped a malformed message", "peer", from.short(), "bytes", len(payload), "err", err)
		return
	}
	switch m.Kind {
	case KindGetBlocks:
		s.enqueueServe(from, m.GetBlocks)
		return
	case KindBlocks:
		if !s.isExpected(from, m.Blocks.ID) {
			s.stats.unsolicited.Add(1)
			return
		}
	}
	size := len(payload)
	if s.inboxBytes.Add(int64(size)) > int64(s.cfg.MaxInboxBytes) {
		s.inboxBytes.Add(-int64(size))
		s.stats.inboxDropped.Add(1)
		return
	}
	select {
	case s.inbox <- inbound{from: from, msg: m, size: size}:
	default:
		s.inboxBytes.Add(-int64(size))
		s.stats.inboxDropped.Add(1)
	}
}

func (s *Syncer) isExpected(p PeerID, id uint64) bool {
	s.expMu.Lock()
	defer s.expMu.Unlock()
	_, ok := s.expected[reqKey{p, id}]
	return ok
}

func (s *Syncer) setExpected(p PeerID, id uint64, on bool) {
	s.expMu.Lock()
	defer s.expMu.Unlock()
	if on {
		s.expected[reqKey{p, id}] = struct{}{}
	} else {
		delete(s.expected, reqKey{p, id})
	}
}

// send encodes and sends m, counting failures.
func (s *Syncer) send(to PeerID, m *Message) error {
	payload, err := EncodeMessage(m)
	if err == nil && len(payload) > s.cfg.MaxMessageSize {
		err = fmt.Errorf("%w: %s of %d bytes, limit %d", ErrMessageTooLarge, m.Kind, len(payload), s.cfg.MaxMessageSize)
	}
	if err == nil {
		err = s.tr.Send(to, payload)
	}
	if err != nil {
		s.stats.sendFailed.Add(1)
		s.log.Debug("send failed", "peer", to.short(), "kind", m.Kind, "err", err)
	}
	return err
}

// catchUpTicks is Config.CatchUpDelay in ticks, 0 for none.
func catchUpTicks(c Config) int64 {
	if c.CatchUpDelay <= 0 {
		return 0
	}
	return c.ticks(c.CatchUpDelay)
}
