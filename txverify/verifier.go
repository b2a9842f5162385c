package txverify

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/types"
)

// DefaultCacheSize is the number of senders a Verifier remembers by
// default: more than a full default txpool (200,000 txs), so a tx admitted
// to the pool is still known when a block carrying it is validated.
const DefaultCacheSize = 1 << 18

// chunk is how many transactions a worker takes at a time.
const chunk = 16

// Config sizes a Verifier.
type Config struct {
	// CacheSize is the most senders remembered by tx hash; 0 means
	// DefaultCacheSize. An entry takes about 100 bytes.
	CacheSize int
	// Workers bounds the goroutines checking signatures, across all
	// concurrent VerifyBatch calls; 0 means GOMAXPROCS.
	Workers int
}

// Stats are a Verifier's counters.
type Stats struct {
	// Checks counts signatures actually checked (valid or not).
	Checks uint64
	// CacheHits counts transactions whose sender came from the cache by
	// hash instead of a check.
	CacheHits uint64
	// Cached is the number of senders remembered now.
	Cached int
}

// Verifier verifies transactions' signatures for one group and remembers
// the senders it established. It is safe for concurrent use.
type Verifier struct {
	suite   types.Scheme
	chainID uint64
	groupID string
	workers int
	tokens  chan struct{} // one per running worker, across all calls
	cache   *senderCache

	checks, hits atomic.Uint64
}

// New returns a Verifier for the group groupID of chain chainID, whose
// crypto suite is suite.
func New(suite types.Scheme, chainID uint64, groupID string, cfg Config) (*Verifier, error) {
	if suite == nil {
		return nil, fmt.Errorf("%w: nil crypto suite", ErrInvalidConfig)
	}
	if cfg.CacheSize < 0 {
		return nil, fmt.Errorf("%w: CacheSize is %d, must be 0 (the default) or positive", ErrInvalidConfig, cfg.CacheSize)
	}
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("%w: Workers is %d, must be 0 (GOMAXPROCS) or positive", ErrInvalidConfig, cfg.Workers)
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	return &Verifier{
		suite:   suite,
		chainID: chainID,
		groupID: groupID,
		workers: cfg.Workers,
		tokens:  make(chan struct{}, cfg.Workers),
		cache:   newSenderCache(cfg.CacheSize),
	}, nil
}

// Stats returns the counters.
func (v *Verifier) Stats() Stats {
	return Stats{Checks: v.checks.Load(), CacheHits: v.hits.Load(), Cached: v.cache.len()}
}

// Verify returns tx's sender: the one cached on tx, else the one
// remembered for its hash (then also cached on tx), else it checks the
// signature and the chain rules of types.Transaction.Verify and remembers
// the sender on success.
func (v *Verifier) Verify(tx *types.Transaction) (common.Address, error) {
	if tx == nil {
		return common.Address{}, ErrNilTx
	}
	if a, ok := v.known(tx); ok {
		return a, nil
	}
	return v.check(tx)
}

// VerifyBatch verifies txs as Verify does and returns one error per tx,
// in order, nil for the valid ones (whose senders are then cached on
// them: tx.Sender). The txs not known yet are checked on up to Workers
// goroutines; the calling goroutine is one of them. If ctx ends first, the
// txs not checked yet fail with ErrNotVerified.
func (v *Verifier) VerifyBatch(ctx context.Context, txs []*types.Transaction) []error {
	errs := make([]error, len(txs))
	var todo []int
	for i, tx := range txs {
		if tx == nil {
			errs[i] = ErrNilTx
			continue
		}
		if _, ok := v.known(tx); !ok {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return errs
	}
	done := make([]bool, len(todo))
	var cursor atomic.Int64
	work := func() {
		select {
		case v.tokens <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-v.tokens }()
		for ctx.Err() == nil {
			start := int(cursor.Add(chunk)) - chunk
			if start >= len(todo) {
				return
			}
			for k := start; k < min(start+chunk, len(todo)); k++ {
				i := todo[k]
				_, errs[i] = v.check(txs[i])
				done[k] = true
			}
		}
	}
	var wg sync.WaitGroup
	for range min(v.workers, (len(todo)+chunk-1)/chunk) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	for k, i := range todo {
		if !done[k] {
			errs[i] = fmt.Errorf("%w: %w", ErrNotVerified, context.Cause(ctx))
		}
	}
	return errs
}

// known returns tx's sender without checking its signature, when it is
// cached on tx or remembered for tx's hash.
func (v *Verifier) known(tx *types.Transaction) (common.Address, bool) {
	if a, ok := tx.CachedSender(); ok {
		return a, true
	}
	a, ok := v.cache.get(tx.Hash())
	if ok {
		tx.SetSender(a)
		v.hits.Add(1)
	}
	return a, ok
}

// check verifies tx and remembers its sender on success. A check of the
// same hash already running elsewhere is waited for instead of repeated:
// equal hashes are equal bytes, so its result is tx's result.
func (v *Verifier) check(tx *types.Transaction) (common.Address, error) {
	h := tx.Hash()
	a, known, other, mine := v.cache.begin(h)
	switch {
	case known:
		tx.SetSender(a)
		v.hits.Add(1)
		return a, nil
	case other != nil:
		<-other.done
		if other.err != nil {
			return common.Address{}, other.err
		}
		tx.SetSender(other.addr)
		v.hits.Add(1)
		return other.addr, nil
	}
	v.checks.Add(1)
	return v.checkOwned(tx, h, mine)
}

// checkOwned runs the check of flight f and ends it, also if Verify
// panics (then as a failure, which is not cached).
func (v *Verifier) checkOwned(tx *types.Transaction, h common.Hash, f *flight) (a common.Address, err error) {
	err = errCheckAborted
	defer func() { v.cache.finish(h, f, a, err) }()
	a, err = tx.Verify(v.suite, v.chainID, v.groupID)
	if err != nil {
		a = common.Address{}
	}
	return a, err
}
