package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/types"
)

// FetchTransport carries tx fetch messages (fetchmsg.go) to the sealer at
// an index; it must not block for long (queue or drop). Inbound fetch
// messages reach the engine through Engine.DeliverFetch.
type FetchTransport interface {
	SendFetch(to int, data []byte) error
}

// bodyCache keeps tx bodies by hash: those this node proposed, resolved
// for a proposal or fetched from peers. It is bounded (oldest out first)
// and safe for concurrent use: the driver fills it, the fetch server
// reads it.
type bodyCache struct {
	mu    sync.Mutex
	max   int
	txs   map[common.Hash]*types.Transaction
	order []common.Hash // insertion order, a ring of len max
	next  int
}

func newBodyCache(max int) *bodyCache {
	return &bodyCache{max: max, txs: make(map[common.Hash]*types.Transaction, max), order: make([]common.Hash, max)}
}

func (c *bodyCache) put(tx *types.Transaction) {
	h := tx.Hash()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.txs[h]; ok {
		return
	}
	if old := c.order[c.next]; old != (common.Hash{}) {
		delete(c.txs, old)
	}
	c.order[c.next] = h
	c.next = (c.next + 1) % c.max
	c.txs[h] = tx
}

func (c *bodyCache) get(h common.Hash) *types.Transaction {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.txs[h]
}

// fetchJob asks peers, in order, for the bodies of hashes (the txs a
// proposal's digest lacks).
type fetchJob struct {
	digest common.Hash
	height uint64
	hashes []common.Hash
	peers  []int // sealer indexes: the proposer first
}

// fetchResult is a job's outcome, handed to the driver goroutine.
type fetchResult struct {
	digest common.Hash
	height uint64
	txs    []*types.Transaction // the bodies obtained, each checked against its hash
	ok     bool                 // every hash was obtained
}

type fetchWait struct {
	peer int
	ch   chan *FetchMsg
}

// bucket is one peer's token buckets: fetch requests it may make, and
// body bytes this node may send it.
type bucket struct {
	tokens float64
	bytes  float64
	last   time.Time
}

// fetcher runs fetch jobs (one goroutine each, at most maxJobs at once)
// and serves peers' requests (one goroutine). Its counters are Stats'.
type fetcher struct {
	e        *Engine
	tr       FetchTransport
	cache    *bodyCache
	timeout  time.Duration
	rate     float64 // requests per second a peer may make
	byteRate float64 // body bytes per second a peer may be sent
	maxSize  int     // largest fetch message, in bytes
	maxJobs  int

	mu      sync.Mutex
	nextID  uint64
	waits   map[uint64]*fetchWait
	active  map[common.Hash]bool
	buckets map[int]*bucket

	serveQ  chan serveItem
	results chan fetchResult

	fetched, failures, bad, served, dropped, malformed atomic.Uint64
}

type serveItem struct {
	from int
	m    *FetchMsg
}

func newFetcher(e *Engine, tr FetchTransport, cfg Config, maxSize int) *fetcher {
	return &fetcher{
		e: e, tr: tr, cache: newBodyCache(cfg.FetchCacheSize), timeout: cfg.FetchTimeout,
		rate: float64(cfg.FetchRequestsPerSecond), byteRate: float64(cfg.FetchBytesPerSecond), maxSize: maxSize, maxJobs: 8,
		waits: make(map[uint64]*fetchWait), active: make(map[common.Hash]bool), buckets: make(map[int]*bucket),
		serveQ: make(chan serveItem, 64), results: make(chan fetchResult, 16),
	}
}

// start runs job unless one runs for the same digest or too many run; it
// reports whether it started. wg tracks the job's goroutine.
func (f *fetcher) start(ctx context.Context, wg *sync.WaitGroup, job fetchJob) bool {
	if f.tr == nil || len(job.peers) == 0 || len(job.hashes) == 0 {
		return false
	}
	f.mu.Lock()
	if f.active[job.digest] || len(f.active) >= f.maxJobs {
		f.mu.Unlock()
		return false
	}
	f.active[job.digest] = true
	f.mu.Unlock()
	wg.Add(1)
	go func() {
		defer wg.Done()
		res := f.run(ctx, job)
		f.mu.Lock()
		delete(f.active, job.digest)
		f.mu.Unlock()
		if !res.ok {
			f.failures.Add(1)
		}
		select {
		case f.results <- res:
		case <-ctx.Done():
		}
	}()
	return true
}

// run asks the job's peers in turn. A request that brings bodies is
// followed by another to the same peer for what is still missing (a
// response is bounded in bytes); a peer that answers nothing useful, too
// late, or with a body that is not one asked for is left for the next.
// Each peer is asked at most twice without progress.
func (f *fetcher) run(ctx context.Context, job fetchJob) fetchResult {
	missing := make(map[common.Hash]bool, len(job.hashes))
	for _, h := range job.hashes {
		missing[h] = true
	}
	res := fetchResult{digest: job.digest, height: job.height}
	timer := time.NewTimer(f.timeout)
	defer timer.Stop()
	for p, fruitless := 0, 0; len(missing) > 0 && fruitless < 2*len(job.peers); {
		peer := job.peers[p%len(job.peers)]
		want := make([]common.Hash, 0, min(len(missing), MaxFetchHashes))
		for _, h := range job.hashes {
			if missing[h] && len(want) < MaxFetchHashes {
				want = append(want, h)
			}
		}
		id, w := f.register(peer)
		timer.Reset(f.timeout)
		var got *FetchMsg
		if err := f.tr.SendFetch(peer, EncodeFetch(&FetchMsg{Kind: FetchRequest, ID: id, Hashes: want})); err == nil {
			select {
			case got = <-w.ch:
			case <-timer.C:
			case <-ctx.Done():
				f.unregister(id)
				return res
			}
		}
		f.unregister(id)
		progress, bad := 0, 0
		if got != nil {
			for _, body := range got.Bodies {
				tx, err := types.DecodeTx(f.e.suite, body)
				if err != nil || !missing[tx.Hash()] {
					bad++
					continue
				}
				delete(missing, tx.Hash())
				res.txs = append(res.txs, tx)
				progress++
			}
		}
		if bad > 0 {
			f.bad.Add(uint64(bad))
			f.e.log.Warn("peer sent tx bodies that were not asked for; ignored", "peer", peer, "bad", bad, "height", job.height)
		}
		f.fetched.Add(uint64(progress))
		if progress == 0 || bad > 0 {
			fruitless++
			p++
		}
	}
	res.ok = len(missing) == 0
	return res
}

func (f *fetcher) register(peer int) (uint64, *fetchWait) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	w := &fetchWait{peer: peer, ch: make(chan *FetchMsg, 1)}
	f.waits[f.nextID] = w
	return f.nextID, w
}

func (f *fetcher) unregister(id uint64) {
	f.mu.Lock()
	delete(f.waits, id)
	f.mu.Unlock()
}

// deliver handles an inbound fetch message: a response goes to the job
// that asked that peer, a request is queued for the server when the peer
// is within its rate (else dropped and counted).
func (f *fetcher) deliver(from int, data []byte) {
	m, err := DecodeFetch(data, f.maxSize)
	if err != nil {
		f.malformed.Add(1)
		return
	}
	if m.Kind == FetchResponse {
		f.mu.Lock()
		w := f.waits[m.ID]
		f.mu.Unlock()
		if w == nil || w.peer != from {
			return // late, or not from the peer asked
		}
		select {
		case w.ch <- m:
		default:
		}
		return
	}
	if !f.allow(from) {
		f.dropped.Add(1)
		return
	}
	select {
	case f.serveQ <- serveItem{from, m}:
	default:
		f.dropped.Add(1)
	}
}

// allow takes a request token from the peer's bucket (burst: two
// seconds' worth).
func (f *fetcher) allow(from int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.refill(from)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// refill returns the peer's bucket topped up for the time elapsed; f.mu
// is held.
func (f *fetcher) refill(from int) *bucket {
	now := time.Now()
	b := f.buckets[from]
	if b == nil {
		if len(f.buckets) >= 1024 { // indexes come from the sealer list; bound anyway
			clear(f.buckets)
		}
		b = &bucket{tokens: 2 * f.rate, bytes: 2 * f.byteRate, last: now}
		f.buckets[from] = b
	}
	dt := now.Sub(b.last).Seconds()
	b.tokens = min(2*f.rate, b.tokens+dt*f.rate)
	b.bytes = min(2*f.byteRate, b.bytes+dt*f.byteRate)
	b.last = now
	return b
}

// byteBudget is how many body bytes the peer may be sent now.
func (f *fetcher) byteBudget(from int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int(f.refill(from).bytes)
}

// spend takes n body bytes sent from the peer's bucket.
func (f *fetcher) spend(from, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refill(from).bytes -= float64(n)
}

// serve answers queued requests until ctx ends.
func (f *fetcher) serve(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-f.serveQ:
			f.answer(it.from, it.m)
		}
	}
}

// answer sends the bodies of the requested txs this node has (pool,
// cache, ledger), as many as fit in one message and in the peer's byte
// budget; possibly none.
func (f *fetcher) answer(from int, req *FetchMsg) {
	budget := min(f.maxSize-64, f.byteBudget(from))
	start := budget
	var bodies [][]byte
	for _, h := range req.Hashes {
		raw := f.body(h)
		if raw == nil {
			continue
		}
		need := len(raw) + 8 // RLP headers, generously
		if need > budget {
			break
		}
		budget -= need
		bodies = append(bodies, raw)
	}
	f.spend(from, start-budget)
	f.served.Add(uint64(len(bodies)))
	_ = f.tr.SendFetch(from, EncodeFetch(&FetchMsg{Kind: FetchResponse, ID: req.ID, Bodies: bodies}))
}

func (f *fetcher) body(h common.Hash) []byte {
	if tx := f.e.pool.Get(h); tx != nil {
		return tx.Bytes()
	}
	if tx := f.cache.get(h); tx != nil {
		return tx.Bytes()
	}
	if raw, ok := f.e.ledger.CommittedTx(h); ok {
		return raw
	}
	return nil
}
