package txpool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// Chain is what the pool reads of the group's committed state.
type Chain interface {
	// Height is the number of the latest committed block.
	Height() uint64
	// AccountNonce is addr's nonce in committed state: the nonce its next
	// Ethereum tx must carry.
	AccountNonce(addr common.Address) (uint64, error)
	// NativeNonceUsed reports whether a committed native tx carries nonce
	// within the current block-limit window.
	NativeNonceUsed(nonce *big.Int) (bool, error)
	// TxCommitted reports whether a tx with this hash is committed.
	TxCommitted(hash common.Hash) (bool, error)
}

// verifyBatch is how many txs a verification worker takes at a time.
const verifyBatch = 32

// Pool holds the group's pending transactions. It is safe for concurrent use.
type Pool struct {
	cfg     Config
	suite   crypto.Suite
	chainID uint64
	groupID string
	chain   Chain
	log     *slog.Logger

	// verifyTokens bounds the goroutines verifying signatures across all
	// concurrent Add calls to cfg.Workers.
	verifyTokens chan struct{}
	notify       chan struct{}

	mu           sync.RWMutex
	all          map[common.Hash]*entry
	order        arrivals
	seq          uint64
	bytes        int
	accounts     map[common.Address]*account
	perSender    map[common.Address]int
	nativeNonces map[string]*entry
	expiry       expiryHeap
	gasLimit     uint64 // the tx_gas_limit last seen (TxGasLimits); 0 before
}

// New makes an empty pool for the group groupID of chain chainID, whose
// crypto suite is suite.
func New(cfg Config, suite crypto.Suite, chainID uint64, groupID string, chain Chain, logger *slog.Logger) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if suite == nil {
		return nil, errors.New("txpool: nil crypto suite")
	}
	if chain == nil {
		return nil, errors.New("txpool: nil chain")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Pool{
		cfg:          cfg,
		suite:        suite,
		chainID:      chainID,
		groupID:      groupID,
		chain:        chain,
		log:          logger.With("module", "txpool"),
		verifyTokens: make(chan struct{}, cfg.workers()),
		notify:       make(chan struct{}, 1),
		all:          make(map[common.Hash]*entry),
		accounts:     make(map[common.Address]*account),
		perSender:    make(map[common.Address]int),
		nativeNonces: make(map[string]*entry),
	}, nil
}

// Add admits txs and returns one error per tx, nil for those accepted.
// Signatures are verified in parallel before any lock is taken; if ctx ends
// first, the txs not yet verified fail with ctx's error.
func (p *Pool) Add(ctx context.Context, txs []*types.Transaction) []error {
	errs := make([]error, len(txs))
	todo := make([]int, 0, len(txs))
	p.mu.RLock()
	for i, tx := range txs {
		if err := p.precheck(tx); err != nil {
			errs[i] = err
			continue
		}
		if _, ok := p.all[tx.Hash()]; ok {
			errs[i] = fmt.Errorf("%w: %s", ErrAlreadyKnown, tx.Hash())
			continue
		}
		todo = append(todo, i)
	}
	p.mu.RUnlock()
	if len(todo) == 0 {
		return errs
	}

	p.verifyAll(ctx, txs, todo, errs)

	executable := false
	p.mu.Lock()
	height := p.chain.Height()
	for _, i := range todo {
		if errs[i] != nil {
			continue
		}
		exec, err := p.admit(txs[i], height)
		errs[i] = err
		executable = executable || exec
	}
	p.mu.Unlock()
	if executable {
		p.signal()
	}
	return errs
}

// precheck applies the rules that need neither the signature nor the pool.
func (p *Pool) precheck(tx *types.Transaction) error {
	if tx == nil {
		return ErrNilTx
	}
	if tx.Size() > p.cfg.MaxTxSize {
		return fmt.Errorf("%w: %d bytes, the limit is %d; send less input data", ErrTxTooLarge, tx.Size(), p.cfg.MaxTxSize)
	}
	if tx.Gas() > p.cfg.TxGasLimit {
		return fmt.Errorf("%w: the tx asks for %d, the limit is %d; lower the tx's gas limit", ErrGasLimitTooHigh, tx.Gas(), p.cfg.TxGasLimit)
	}
	if tx.IsEthereum() && p.suite.Name() != crypto.NameECDSA {
		return ErrEthTxNotAllowed
	}
	return nil
}

// verifyAll verifies the signatures of txs[i] for i in todo, setting
// errs[i] on failure. Work is split in batches taken by up to cfg.Workers
// goroutines; the calling goroutine is one of them.
func (p *Pool) verifyAll(ctx context.Context, txs []*types.Transaction, todo []int, errs []error) {
	done := make([]bool, len(todo))
	var cursor atomic.Int64
	work := func() {
		select {
		case p.verifyTokens <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-p.verifyTokens }()
		for ctx.Err() == nil {
			start := int(cursor.Add(verifyBatch)) - verifyBatch
			if start >= len(todo) {
				return
			}
			end := min(start+verifyBatch, len(todo))
			for k := start; k < end; k++ {
				i := todo[k]
				if _, err := txs[i].Verify(p.suite, p.chainID, p.groupID); err != nil {
					errs[i] = err
				}
				done[k] = true
			}
		}
	}

	n := min(p.cfg.workers(), (len(todo)+verifyBatch-1)/verifyBatch)
	var wg sync.WaitGroup
	for range n - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()

	for k, i := range todo {
		if !done[k] && errs[i] == nil {
			errs[i] = fmt.Errorf("signature not verified: %w", context.Cause(ctx))
		}
	}
}

// signal wakes a waiter on Notify without blocking; signals coalesce.
func (p *Pool) signal() {
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

// Notify returns a channel that receives a value (coalesced) whenever
// executable transactions may have appeared.
func (p *Pool) Notify() <-chan struct{} { return p.notify }

func nonceKey(n *big.Int) string {
	if n == nil {
		return ""
	}
	return string(n.Bytes())
}
