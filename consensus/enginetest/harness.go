package enginetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/types"
)

// ErrViolation is wrapped by every invariant violation Run reports.
var ErrViolation = errors.New("invariant violated")

// Replica is one consensus node as the harness drives it. The harness
// calls it from one goroutine.
type Replica interface {
	// Deliver hands the replica a message from replica from.
	Deliver(from int, data []byte)
	// Tick advances the replica's clock by one tick.
	Tick()
	// DeliverBlocks answers a Host.RequestSync with committed blocks of a
	// peer, in height order (possibly tampered with by a byzantine peer).
	DeliverBlocks(blocks []*Block)
}

// Factory makes the replicas of one run.
type Factory interface {
	// NewReplica makes (or, after a crash, remakes from h's Store and
	// Ledger) the replica h.ID. Byzantine replicas misbehave as the engine's
	// adapter chooses.
	NewReplica(h *Host, byzantine bool) (Replica, error)
	// VerifyBlock is the engine's check of a committed block on its own
	// (for PBFT: the commit certificate).
	VerifyBlock(b *Block) error
	// SupportsByzantine reports whether the engine tolerates byzantine replicas.
	SupportsByzantine() bool
}

// Options choose a run. Everything not given is drawn from Seed.
type Options struct {
	N    int
	Seed uint64
	// Hasher is the chain's hash function (the crypto suite).
	Hasher types.Hasher
	// Byzantine is the number of byzantine replicas; -1 draws it in 0..f.
	Byzantine int
	// Weights, when set, are the replicas' vote weights (one per
	// replica, each at least 1) of an engine whose votes count by
	// weight: the byzantine replicas are then drawn (their number as
	// above, up to N-1, when Byzantine is -1) among the sets whose total
	// weight is at most F = floor((W-1)/3) of the total weight W.
	Weights []uint64
	// ChaosTicks is how long faults are injected (default 300).
	ChaosTicks uint64
	// LivenessTicks bounds the ticks after the heal within which every
	// submitted transaction must be committed by every honest replica
	// (default 3000).
	LivenessTicks uint64
	// Logf, when set, receives a trace of the run.
	Logf func(format string, args ...any)
}

// Result describes a finished run.
type Result struct {
	Scenario    string        // the drawn faults, for the failure message
	Byzantine   []int         // indices of the byzantine replicas
	Heights     []uint64      // final ledger height of every replica
	Heads       []common.Hash // final ledger head hash of every replica
	Txs         int           // transactions submitted
	Ticks       uint64        // ticks run
	HealedAt    uint64        // tick of the heal
	Sent        uint64        // messages sent
	Dropped     uint64        // messages lost by the network
	Delivered   uint64
	Restarts    int
	CrashPoints int // crashes the adapter asked for
	LostBlocks  int // committed blocks crashes took from ledgers (Host.CommitUnsynced)
	SyncServed  int
}

// Host is what the harness gives one replica: its durable store and
// ledger, the pool, the network and the invariant checks.
type Host struct {
	ID          int
	N           int
	Incarnation uint64 // 1 + number of restarts
	Hasher      types.Hasher
	Rand        *rand.Rand // the replica's own deterministic source
	Ledger      *Ledger
	Store       *Store

	run       *run
	byzantine bool
}

// Now is the current tick.
func (h *Host) Now() uint64 { return h.run.nw.now }

// Honest reports whether this replica follows the protocol.
func (h *Host) Honest() bool { return !h.byzantine }

// Send sends data to replica to, or to all others when to is Broadcast.
func (h *Host) Send(to int, data []byte) {
	if h.run.nw.down[h.ID] || h.run.hosts[h.ID] != h {
		return
	}
	h.run.nw.send(h.ID, to, data)
}

// Available returns up to max pool transactions this replica sees that
// are neither committed nor in exclude.
func (h *Host) Available(exclude [][][]byte, max int) [][]byte {
	return h.run.pool.Available(h.ID, h.Now(), h.Ledger, exclude, max)
}

// CheckTxs is the txpool's verdict on a proposal's transactions.
func (h *Host) CheckTxs(pending [][][]byte, txs [][]byte) error {
	return CheckTxs(h.Hasher, h.Ledger, pending, txs)
}

// Commit appends b to the replica's ledger durably and checks the
// invariants.
func (h *Host) Commit(b *Block) error { return h.commit(b, h.Ledger.Append) }

// CommitUnsynced is Commit without sync: a crash of the replica loses b
// unless SyncLedger (or a synced Commit) follows it. The harness checks
// that a block lost so is committed again as it was (the invariants of
// Commit hold across crashes).
func (h *Host) CommitUnsynced(b *Block) error { return h.commit(b, h.Ledger.AppendUnsynced) }

// SyncLedger makes the replica's commits so far durable, as a synced
// write to the store its ledger shares would.
func (h *Host) SyncLedger() { h.Ledger.Sync() }

func (h *Host) commit(b *Block, appendBlock func(*Block) error) error {
	if err := appendBlock(b); err != nil {
		if !h.byzantine {
			h.run.fail("replica %d: commit of block %d: %v", h.ID, b.Header.Number, err)
		}
		return err
	}
	if h.byzantine {
		return nil
	}
	r := h.run
	if err := r.factory.VerifyBlock(b); err != nil {
		r.fail("replica %d: block %d fails the engine's check: %v", h.ID, b.Header.Number, err)
	}
	hash := b.Header.Hash(h.Hasher)
	num := b.Header.Number
	if num < uint64(len(r.canonical)) {
		if r.canonical[num] != hash {
			r.fail("replicas %d and %d committed different blocks at height %d (%s vs %s)",
				r.firstAt[num], h.ID, num, r.canonical[num], hash)
		}
	} else {
		r.canonical = append(r.canonical, hash)
		r.firstAt = append(r.firstAt, h.ID)
	}
	for _, tx := range b.Txs {
		if id, err := DecodeTx(h.Hasher, tx); err != nil || !r.pool.Submitted(id) {
			r.fail("replica %d: block %d holds a transaction never submitted", h.ID, num)
		}
	}
	r.logf("t=%d replica %d committed block %d (%d txs) %s", r.nw.now, h.ID, num, len(b.Txs), hash)
	return nil
}

// RequestSync asks the harness to fetch committed blocks from height from
// on, from one of peers (any connected replica if none is usable).
func (h *Host) RequestSync(from uint64, peers []int) {
	h.run.requestSync(h, from, peers)
}

// CrashPoint lets the adapter crash its replica at an interesting moment
// (for example right after it persisted a decision): during the chaos
// phase, with the given probability, the replica crashes at the start of
// the next tick and restarts 10 to 200 ticks later. Crash points draw from
// the run's source, so runs stay deterministic.
func (h *Host) CrashPoint(p float64) {
	r := h.run
	if r.healed || r.hosts[h.ID] != h || r.nw.now+1 >= r.opts.ChaosTicks || r.rng.Float64() >= p {
		return
	}
	at := r.nw.now + 1
	r.events = append(r.events, event{at: at, kind: evCrash, a: h.ID},
		event{at: min(at+10+r.rng.Uint64N(190), r.opts.ChaosTicks), kind: evRestart, a: h.ID})
	slices.SortStableFunc(r.events, func(a, b event) int { return int(a.at) - int(b.at) })
	r.res.CrashPoints++
}

// Violation reports a broken invariant the engine's adapter detected.
func (h *Host) Violation(format string, args ...any) {
	h.run.fail("replica %d: "+format, append([]any{h.ID}, args...)...)
}

// Logf traces through Options.Logf.
func (h *Host) Logf(format string, args ...any) {
	h.run.logf("t=%d replica %d: "+format, append([]any{h.Now(), h.ID}, args...)...)
}

type event struct {
	at   uint64
	kind int
	a, b int
}

const (
	evPartition = iota
	evHeal
	evCrash
	evRestart
)

type syncDelivery struct {
	at          uint64
	to          int
	incarnation uint64
	blocks      []*Block
}

type run struct {
	opts      Options
	factory   Factory
	rng       *rand.Rand
	nw        *network
	pool      *Pool
	hosts     []*Host
	replicas  []Replica
	ledgers   []*Ledger
	stores    []*Store
	byzantine []bool
	events    []event
	syncs     []syncDelivery
	canonical []common.Hash
	firstAt   []int
	txRate    float64
	nextTx    uint64
	healed    bool
	err       error
	res       Result
}

func (r *run) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w at tick %d: %s", ErrViolation, r.nw.now, fmt.Sprintf(format, args...))
	}
}

func (r *run) logf(format string, args ...any) {
	if r.opts.Logf != nil {
		r.opts.Logf(format, args...)
	}
}

// Run runs one seeded scenario and returns its result, or the first
// invariant violation (wrapping ErrViolation).
func Run(f Factory, o Options) (*Result, error) {
	if o.N < 1 || o.Hasher == nil {
		return nil, fmt.Errorf("enginetest: need N >= 1 and a Hasher")
	}
	if o.Weights != nil {
		if len(o.Weights) != o.N || slices.Contains(o.Weights, 0) {
			return nil, fmt.Errorf("enginetest: need one weight of at least 1 per replica")
		}
	}
	if o.ChaosTicks == 0 {
		o.ChaosTicks = 300
	}
	if o.LivenessTicks == 0 {
		o.LivenessTicks = 3000
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	r := &run{opts: o, factory: f, rng: rng, nw: newNetwork(rng, o.N), pool: newPool(o.Hasher, o.N),
		hosts: make([]*Host, o.N), replicas: make([]Replica, o.N), ledgers: make([]*Ledger, o.N),
		stores: make([]*Store, o.N), byzantine: make([]bool, o.N)}
	r.draw()
	genesis := Genesis(o.Hasher)
	r.canonical, r.firstAt = []common.Hash{genesis.Hash(o.Hasher)}, []int{-1}
	for i := range o.N {
		r.ledgers[i] = NewLedger(o.Hasher, genesis)
		r.stores[i] = NewStore()
		if err := r.start(i, 1); err != nil {
			return nil, err
		}
	}
	err := r.loop()
	r.res.Ticks = r.nw.now
	r.res.Sent, r.res.Dropped, r.res.Delivered = r.nw.sent, r.nw.dropped, r.nw.delivered
	for _, l := range r.ledgers {
		r.res.Heights = append(r.res.Heights, l.Height())
		r.res.Heads = append(r.res.Heads, l.Head().Hash(o.Hasher))
	}
	return &r.res, err
}

// drawWeighted chooses byzantine replicas of total weight at most F.
func (r *run) drawWeighted() {
	o, rng := r.opts, r.rng
	var total uint64
	for _, w := range o.Weights {
		total += w
	}
	f := (max(total, 1) - 1) / 3
	nbyz := o.Byzantine
	if nbyz < 0 {
		nbyz = rng.IntN(o.N)
	}
	if !r.factory.SupportsByzantine() {
		nbyz = 0
	}
	var weight uint64
	for _, i := range rng.Perm(o.N) {
		if len(r.res.Byzantine) == nbyz {
			break
		}
		if weight+o.Weights[i] <= f {
			weight += o.Weights[i]
			r.byzantine[i] = true
			r.res.Byzantine = append(r.res.Byzantine, i)
		}
	}
}

// draw chooses the scenario's faults from the seed.
func (r *run) draw() {
	o, rng := r.opts, r.rng
	if o.Weights != nil {
		r.drawWeighted()
	} else {
		f := (o.N - 1) / 3
		nbyz := o.Byzantine
		if nbyz < 0 {
			nbyz = rng.IntN(f + 1)
		}
		if !r.factory.SupportsByzantine() {
			nbyz = 0
		}
		nbyz = min(nbyz, f)
		for _, i := range rng.Perm(o.N)[:nbyz] {
			r.byzantine[i] = true
			r.res.Byzantine = append(r.res.Byzantine, i)
		}
	}
	slices.Sort(r.res.Byzantine)
	r.nw.drop = []float64{0, 0.02, 0.1, 0.25}[rng.IntN(4)]
	r.nw.dup = []float64{0, 0.05, 0.2}[rng.IntN(3)]
	r.nw.maxDelay = 1 + rng.Uint64N(5)
	r.txRate = []float64{0.05, 0.2, 0.6}[rng.IntN(3)]
	chaos := o.ChaosTicks
	var desc []string
	for range rng.IntN(5) {
		at := rng.Uint64N(chaos)
		split := rng.IntN(1 << 16)
		if rng.IntN(2) == 0 {
			split = -1 - rng.IntN(o.N) // one replica alone
		}
		r.events = append(r.events, event{at: at, kind: evPartition, a: split},
			event{at: min(at+10+rng.Uint64N(150), chaos), kind: evHeal})
		desc = append(desc, fmt.Sprintf("partition@%d", at))
	}
	if rng.IntN(8) == 0 { // everyone crashes
		at := rng.Uint64N(chaos)
		for i := range o.N {
			r.events = append(r.events, event{at: at, kind: evCrash, a: i},
				event{at: min(at+1+rng.Uint64N(100), chaos), kind: evRestart, a: i})
		}
		desc = append(desc, fmt.Sprintf("crash-all@%d", at))
	}
	for range rng.IntN(4) {
		i, at := rng.IntN(o.N), rng.Uint64N(chaos)
		r.events = append(r.events, event{at: at, kind: evCrash, a: i},
			event{at: min(at+1+rng.Uint64N(200), chaos), kind: evRestart, a: i})
		desc = append(desc, fmt.Sprintf("crash(%d)@%d", i, at))
	}
	slices.SortStableFunc(r.events, func(a, b event) int { return int(a.at) - int(b.at) })
	r.res.Scenario = fmt.Sprintf("n=%d byzantine=%v drop=%.2f dup=%.2f delay<=%d txrate=%.2f %s",
		o.N, r.res.Byzantine, r.nw.drop, r.nw.dup, r.nw.maxDelay, r.txRate, strings.Join(desc, " "))
	if o.Weights != nil {
		r.res.Scenario += fmt.Sprintf(" weights=%v", o.Weights)
	}
}

func (r *run) start(i int, incarnation uint64) error {
	h := &Host{ID: i, N: r.opts.N, Incarnation: incarnation, Hasher: r.opts.Hasher,
		Rand:   rand.New(rand.NewPCG(r.opts.Seed^uint64(i+1)*0x100000001b3, incarnation)),
		Ledger: r.ledgers[i], Store: r.stores[i], run: r, byzantine: r.byzantine[i]}
	r.hosts[i] = h
	r.nw.down[i] = false
	rep, err := r.factory.NewReplica(h, r.byzantine[i])
	if err != nil {
		return fmt.Errorf("enginetest: starting replica %d: %w", i, err)
	}
	r.replicas[i] = rep
	return nil
}

func (r *run) apply(ev event) error {
	switch ev.kind {
	case evPartition:
		// One replica alone, or a random split in two sides from the event's bits.
		for i := range r.nw.group {
			if ev.a < 0 {
				r.nw.group[i] = b2i(i == -1-ev.a)
			} else {
				r.nw.group[i] = (ev.a >> (i % 16)) & 1
			}
		}
		r.logf("t=%d partition %v", r.nw.now, r.nw.group)
	case evHeal:
		clear(r.nw.group)
		r.logf("t=%d heal", r.nw.now)
	case evCrash:
		if r.replicas[ev.a] == nil {
			return nil
		}
		r.replicas[ev.a] = nil
		r.nw.down[ev.a] = true
		r.nw.loseLastSends(ev.a, 0.5)
		lost := r.ledgers[ev.a].loseUnsynced()
		r.res.LostBlocks += lost
		r.pool.cursor[ev.a] = 0 // its ledger may hold fewer txs now
		r.logf("t=%d crash %d (%d unsynced blocks lost)", r.nw.now, ev.a, lost)
	case evRestart:
		if r.replicas[ev.a] != nil {
			return nil
		}
		r.res.Restarts++
		r.logf("t=%d restart %d", r.nw.now, ev.a)
		return r.start(ev.a, r.hosts[ev.a].Incarnation+1)
	}
	return nil
}

// heal ends the chaos: the network is whole, crashed replicas restart,
// and messages are no longer lost.
func (r *run) heal() error {
	clear(r.nw.group)
	r.nw.drop = 0
	for i, rep := range r.replicas {
		if rep == nil {
			r.res.Restarts++
			if err := r.start(i, r.hosts[i].Incarnation+1); err != nil {
				return err
			}
		}
	}
	r.submit(1 + r.rng.IntN(5))
	r.res.HealedAt = r.nw.now
	r.logf("t=%d healed", r.nw.now)
	return nil
}

func (r *run) submit(k int) {
	for range k {
		r.nextTx++
		at := make([]uint64, r.opts.N)
		for i := range at {
			at[i] = r.nw.now + r.rng.Uint64N(4)
		}
		r.pool.submit(r.nextTx, at)
	}
	r.res.Txs = int(r.nextTx)
}

func (r *run) requestSync(h *Host, from uint64, peers []int) {
	if r.hosts[h.ID] != h || r.nw.down[h.ID] {
		return
	}
	var usable []int
	for _, p := range peers {
		if p != h.ID && p >= 0 && p < r.opts.N && !r.nw.down[p] && r.nw.connected(h.ID, p) {
			usable = append(usable, p)
		}
	}
	if len(usable) == 0 {
		for p := range r.opts.N {
			if p != h.ID && !r.nw.down[p] && r.nw.connected(h.ID, p) {
				usable = append(usable, p)
			}
		}
	}
	if len(usable) == 0 || r.rng.Float64() < r.nw.drop {
		return
	}
	peer := usable[r.rng.IntN(len(usable))]
	var blocks []*Block
	for n := from; n < from+16; n++ {
		b := r.ledgers[peer].Block(n)
		if b == nil {
			break
		}
		blocks = append(blocks, b)
	}
	if len(blocks) == 0 {
		return
	}
	if r.byzantine[peer] && r.rng.IntN(2) == 0 {
		blocks = tamper(r.rng, blocks)
	}
	r.res.SyncServed++
	r.syncs = append(r.syncs, syncDelivery{at: r.nw.now + 1 + r.rng.Uint64N(r.nw.maxDelay), to: h.ID,
		incarnation: h.Incarnation, blocks: blocks})
}

// tamper corrupts one block of a byzantine peer's sync answer.
func tamper(rng *rand.Rand, blocks []*Block) []*Block {
	out := slices.Clone(blocks)
	i := rng.IntN(len(out))
	hdr := *out[i].Header
	b := &Block{Header: &hdr, Txs: slices.Clone(out[i].Txs)}
	switch rng.IntN(4) {
	case 0:
		hdr.StateRoot[0] ^= 1
	case 1:
		hdr.Signatures = hdr.Signatures[:len(hdr.Signatures)/2]
	case 2:
		if len(b.Txs) > 0 {
			b.Txs = b.Txs[1:]
		}
	default:
		hdr.Signatures = slices.Clone(hdr.Signatures)
		if len(hdr.Signatures) > 0 {
			sig := slices.Clone(hdr.Signatures[0].Signature)
			sig[len(sig)/2] ^= 1
			hdr.Signatures[0].Signature = sig
		}
	}
	out[i] = b
	return out
}

func (r *run) loop() error {
	o := r.opts
	healed := false
	for r.err == nil {
		nw := r.nw
		if !healed && nw.now >= o.ChaosTicks {
			if err := r.heal(); err != nil {
				return err
			}
			healed, r.healed = true, true
		}
		for len(r.events) > 0 && r.events[0].at <= nw.now {
			ev := r.events[0]
			r.events = r.events[1:]
			if healed {
				continue
			}
			if err := r.apply(ev); err != nil {
				return err
			}
		}
		if !healed && r.rng.Float64() < r.txRate {
			r.submit(1 + r.rng.IntN(3))
		}
		for m := nw.due(); m != nil && r.err == nil; m = nw.due() {
			if rep := r.replicas[m.to]; rep != nil {
				rep.Deliver(m.from, m.data)
			}
		}
		r.deliverSyncs()
		for _, rep := range r.replicas {
			if rep != nil && r.err == nil {
				rep.Tick()
			}
		}
		if healed && r.done() {
			return r.err
		}
		if healed && nw.now >= r.res.HealedAt+o.LivenessTicks {
			r.fail("liveness: %d ticks after the heal, %s", o.LivenessTicks, r.progress())
		}
		nw.now++
	}
	return r.err
}

func (r *run) deliverSyncs() {
	kept := r.syncs[:0]
	var due []syncDelivery
	for _, s := range r.syncs {
		if s.at <= r.nw.now {
			due = append(due, s)
		} else {
			kept = append(kept, s)
		}
	}
	r.syncs = kept
	for _, s := range due {
		if rep := r.replicas[s.to]; rep != nil && r.hosts[s.to].Incarnation == s.incarnation && r.err == nil {
			rep.DeliverBlocks(s.blocks)
		}
	}
}

// done reports whether every honest replica committed every submitted tx.
func (r *run) done() bool {
	for i, l := range r.ledgers {
		if !r.byzantine[i] && len(l.txAt) != int(r.nextTx) {
			return false
		}
	}
	return true
}

func (r *run) progress() string {
	var parts []string
	for i, l := range r.ledgers {
		if r.byzantine[i] {
			continue
		}
		missing := 0
		for id := uint64(1); id <= r.nextTx; id++ {
			if !l.Committed(id) {
				missing++
			}
		}
		parts = append(parts, fmt.Sprintf("replica %d at height %d misses %d of %d txs", i, l.Height(), missing, r.nextTx))
	}
	return strings.Join(parts, "; ")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
