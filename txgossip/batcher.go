package txgossip

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobcos/gobcos/network"
)

// Sender sends batches to the group's gossip peers.
type Sender interface {
	// Broadcast sends payload to every gossip peer but those in except
	// and returns how many took it. It never blocks.
	Broadcast(payload []byte, except []network.NodeID) int
	// Send sends payload to one peer and reports whether it took it. It
	// never blocks.
	Send(to network.NodeID, payload []byte) bool
}

// Config tunes a Batcher. Zero fields take DefaultConfig's values.
type Config struct {
	Limits Limits
	// FlushTxs and FlushBytes flush the queue at once when reached.
	FlushTxs   int
	FlushBytes int
	// Interval is the pace of flushes (see Run): the longest a queued tx
	// waits for others.
	Interval time.Duration
	// QueueTxs and QueueBytes bound what waits; Queue drops beyond them.
	QueueTxs   int
	QueueBytes int
}

// DefaultConfig: flush at most every 10 ms, or at once at 1024 txs or
// 1 MiB, up to 16384 txs or 32 MiB waiting.
func DefaultConfig() Config {
	return Config{
		Limits: DefaultLimits(), FlushTxs: 1024, FlushBytes: 1 << 20, Interval: 10 * time.Millisecond,
		QueueTxs: 16384, QueueBytes: 32 << 20,
	}
}

func (c *Config) setDefaults() error {
	d := DefaultConfig()
	if c.Limits == (Limits{}) {
		c.Limits = d.Limits
	}
	if err := c.Limits.check(); err != nil {
		return err
	}
	if c.FlushTxs <= 0 {
		c.FlushTxs = d.FlushTxs
	}
	if c.FlushBytes <= 0 {
		c.FlushBytes = d.FlushBytes
	}
	if c.Interval <= 0 {
		c.Interval = d.Interval
	}
	if c.QueueTxs <= 0 {
		c.QueueTxs = d.QueueTxs
	}
	if c.QueueBytes <= 0 {
		c.QueueBytes = d.QueueBytes
	}
	if c.QueueTxs < c.FlushTxs || c.QueueBytes < c.FlushBytes {
		return fmt.Errorf("txgossip: queue bounds %d txs, %d bytes below the flush bounds %d txs, %d bytes",
			c.QueueTxs, c.QueueBytes, c.FlushTxs, c.FlushBytes)
	}
	return nil
}

// Stats are a Batcher's counters since it was made.
type Stats struct {
	// Queued are the txs Queue accepted; Dropped those it refused (queue
	// full) or that no batch can hold (larger than Limits.MaxBytes).
	Queued, Dropped uint64
	// Batches are the batches encoded and Txs the txs they carry;
	// Messages are the batches the Sender took, counted per peer.
	Batches, Txs, Messages uint64
}

// item is a queued tx and the peer it came from (zero: a client).
type item struct {
	tx   []byte
	from network.NodeID
}

// Batcher queues txs to gossip and sends them in batches.
type Batcher struct {
	cfg    Config
	sender Sender
	log    *slog.Logger

	mu    sync.Mutex
	queue []item
	bytes int // encoded size of the queued txs in a batch's list
	kick  chan struct{}

	queued, dropped, batches, txs, messages atomic.Uint64
}

// NewBatcher makes a Batcher sending through s.
func NewBatcher(cfg Config, s Sender, log *slog.Logger) (*Batcher, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if s == nil {
		return nil, fmt.Errorf("txgossip: no sender")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Batcher{cfg: cfg, sender: s, log: log, kick: make(chan struct{}, 1)}, nil
}

// Queue queues the encoded tx for the next batch; from is the peer it came
// from (it is not sent back there), zero for a tx from a client. It never
// blocks and reports false when the tx is dropped (counted). tx must not
// change afterwards.
func (b *Batcher) Queue(tx []byte, from network.NodeID) bool {
	if !b.batchable(tx) {
		b.dropped.Add(1)
		return false
	}
	size := txEncSize(tx)
	b.mu.Lock()
	if len(b.queue) >= b.cfg.QueueTxs || b.bytes+size > b.cfg.QueueBytes {
		b.mu.Unlock()
		b.dropped.Add(1)
		return false
	}
	b.queue = append(b.queue, item{tx, from})
	b.bytes += size
	full := b.fullLocked()
	first := len(b.queue) == 1
	b.mu.Unlock()
	b.queued.Add(1)
	if first || full {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	return true
}

// batchable reports whether a batch can hold tx.
func (b *Batcher) batchable(tx []byte) bool {
	return len(tx) > 0 && batchSize(txEncSize(tx)) <= b.cfg.Limits.MaxBytes
}

func (b *Batcher) fullLocked() bool {
	return len(b.queue) >= b.cfg.FlushTxs || b.bytes >= b.cfg.FlushBytes
}

func (b *Batcher) full() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fullLocked()
}

// Run flushes the queue until ctx ends; what waits then is dropped (the
// node's pool still holds those txs).
//
// Flushes are paced, at most one per Interval unless the queue is full: a
// tx that arrives when the last flush is older than Interval leaves at
// once (a lightly loaded node adds no delay), one that arrives sooner
// waits for the next flush, Interval after the last (a loaded node sends
// one batch per Interval).
func (b *Batcher) Run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var last time.Time // of the last flush
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.kick:
		}
		wait := time.Until(last.Add(b.cfg.Interval))
		if wait <= 0 {
			last = time.Now()
			b.Flush()
			continue
		}
		timer.Reset(wait)
	wait:
		for !b.full() {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
				break wait
			case <-b.kick:
			}
		}
		timer.Stop()
		last = time.Now()
		b.Flush()
	}
}

// SendTo sends txs (encoded) to one peer now, outside the queue, in as
// many batches as the limits take: a node hands its pool to a peer that
// has just connected. A tx no batch holds is dropped (counted). It never
// blocks, and returns how many txs the peer's connection took.
func (b *Batcher) SendTo(peer network.NodeID, txs [][]byte) int {
	items := make([]item, 0, len(txs))
	for _, tx := range txs {
		if !b.batchable(tx) {
			b.dropped.Add(1)
			continue
		}
		items = append(items, item{tx: tx})
	}
	sent := 0
	for len(items) > 0 {
		n := b.chunk(items)
		batch := make([][]byte, n)
		for i, it := range items[:n] {
			batch[i] = it.tx
		}
		if payload := b.encode(batch); payload != nil && b.sender.Send(peer, payload) {
			b.messages.Add(1)
			sent += n
		}
		items = items[n:]
	}
	return sent
}

// Flush sends what waits now. Run calls it; tests may too.
func (b *Batcher) Flush() {
	b.mu.Lock()
	q := b.queue
	b.queue, b.bytes = nil, 0
	b.mu.Unlock()
	for len(q) > 0 {
		n := b.chunk(q)
		b.send(q[:n])
		q = q[n:]
	}
}

// chunk is how many of q's first txs fit one batch (at least one: Queue
// refused the txs no batch holds).
func (b *Batcher) chunk(q []item) int {
	l := b.cfg.Limits
	content := 0
	for i, it := range q {
		s := txEncSize(it.tx)
		if i == l.MaxTxs || (i > 0 && batchSize(content+s) > l.MaxBytes) {
			return i
		}
		content += s
	}
	return len(q)
}

// send sends the txs of one batch: all of them to the peers none came
// from, and to each peer some came from, the others.
func (b *Batcher) send(items []item) {
	var zero network.NodeID
	var except []network.NodeID
	for _, it := range items {
		if it.from != zero && !contains(except, it.from) {
			except = append(except, it.from)
		}
	}
	txs := make([][]byte, 0, len(items))
	for _, it := range items {
		txs = append(txs, it.tx)
	}
	b.broadcast(txs, except)
	for _, peer := range except {
		txs = txs[:0]
		for _, it := range items {
			if it.from != peer {
				txs = append(txs, it.tx)
			}
		}
		if len(txs) > 0 {
			b.sendTo(peer, txs)
		}
	}
}

func (b *Batcher) encode(txs [][]byte) []byte {
	payload, err := Encode(txs, b.cfg.Limits)
	if err != nil { // chunk keeps batches within the limits
		b.log.Error("tx gossip batch does not encode", "txs", len(txs), "err", err)
		b.dropped.Add(uint64(len(txs)))
		return nil
	}
	b.batches.Add(1)
	b.txs.Add(uint64(len(txs)))
	return payload
}

func (b *Batcher) broadcast(txs [][]byte, except []network.NodeID) {
	if payload := b.encode(txs); payload != nil {
		b.messages.Add(uint64(b.sender.Broadcast(payload, except)))
	}
}

func (b *Batcher) sendTo(peer network.NodeID, txs [][]byte) {
	if payload := b.encode(txs); payload != nil && b.sender.Send(peer, payload) {
		b.messages.Add(1)
	}
}

func contains(ids []network.NodeID, id network.NodeID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// Stats returns the counters.
func (b *Batcher) Stats() Stats {
	return Stats{
		Queued: b.queued.Load(), Dropped: b.dropped.Load(),
		Batches: b.batches.Load(), Txs: b.txs.Load(), Messages: b.messages.Load(),
	}
}
