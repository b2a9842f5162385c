package txpool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/txverify"
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

// SigVerifier checks transaction signatures for the group and caches
// their senders (txverify.Verifier). The node shares one with its
// consensus engine and executor, so a tx admitted here is not verified
// again when a block carrying it is validated or executed.
type SigVerifier interface {
	// Verify returns tx's sender, checking its signature unless known.
	Verify(tx *types.Transaction) (common.Address, error)
	// VerifyBatch verifies txs in parallel: one error per tx, in order.
	VerifyBatch(ctx context.Context, txs []*types.Transaction) []error
}

// Pool holds the group's pending transactions. It is safe for concurrent use.
type Pool struct {
	cfg     Config
	suite   crypto.Suite
	chainID uint64
	groupID string
	chain   Chain
	log     *slog.Logger
	sigs    SigVerifier

	notify chan struct{}

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
	sigs := cfg.Verifier
	if sigs == nil {
		v, err := txverify.New(suite, chainID, groupID, txverify.Config{Workers: cfg.workers()})
		if err != nil {
			return nil, err
		}
		sigs = v
	}
	return &Pool{
		cfg:          cfg,
		suite:        suite,
		chainID:      chainID,
		groupID:      groupID,
		chain:        chain,
		log:          logger.With("module", "txpool"),
		sigs:         sigs,
		notify:       make(chan struct{}, 1),
		all:          make(map[common.Hash]*entry),
		accounts:     make(map[common.Address]*account),
		perSender:    make(map[common.Address]int),
		nativeNonces: make(map[string]*entry),
	}, nil
}

// Add admits txs and returns one error per tx, nil for those accepted.
// Signatures are verified in parallel (Config.Verifier) before any lock is
// taken; if ctx ends first, the txs not yet verified fail with ctx's error.
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

	batch := make([]*types.Transaction, len(todo))
	for k, i := range todo {
		batch[k] = txs[i]
	}
	for k, err := range p.sigs.VerifyBatch(ctx, batch) {
		errs[todo[k]] = err
	}
	// A block committed between these checks and the lock below is the
	// same race as one committed right after the lock is released.
	height := p.chain.Height()
	var gas gasLimitRead
	for _, i := range todo {
		if errs[i] == nil {
			errs[i] = p.checkChain(txs[i], height, &gas)
		}
	}

	executable := false
	p.mu.Lock()
	height = p.chain.Height()
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
