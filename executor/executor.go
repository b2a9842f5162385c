package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/tracing"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// Config is the chain configuration the executor needs.
type Config struct {
	ChainID uint64
	// GroupID is checked when a native transaction must be verified here.
	GroupID string
	// TxGasLimit is the most gas one transaction may use; native
	// transactions that leave their gas limit at 0 get it.
	TxGasLimit uint64
	// BlockGasLimit bounds the gas a block's transactions reserve
	// together; it is also what the GASLIMIT opcode returns.
	BlockGasLimit uint64
	// SystemContracts are the native contracts; nil means
	// precompiled.Default().
	SystemContracts *precompiled.Registry
	// Workers is how many goroutines execute a block's transactions in
	// parallel (with the strategy Parallel names): 0 or 1 executes serially, the
	// default; a negative value uses GOMAXPROCS workers for blocks of at
	// least MinParallelTxs transactions when GOMAXPROCS is above 1. The
	// results are the same either way; only the speed differs.
	Workers int
	// Parallel chooses how more than one worker executes a block:
	// ParallelBlockSTM ("blockstm", parallel.go; also when "") or
	// ParallelChunks ("chunks", chunks.go: cheaper when transactions seldom
	// conflict). Ignored for serial execution.
	Parallel string
	// MaxCompatibility is the highest chain compatibility version this
	// node's binary supports ("" means precompiled.LatestCompatibility()):
	// a block of a higher version is refused with ErrUnsupportedVersion.
	MaxCompatibility string

	// Verifier checks the signatures of a block's transactions whose
	// senders are not cached on them, in parallel, and knows those it
	// checked before by hash (txverify.Verifier, shared with the node's
	// txpool and engine). nil verifies them here with
	// types.Transaction.Verify.
	Verifier SigVerifier
}

// SigVerifier checks transaction signatures and caches their senders on
// the transactions (txverify.Verifier).
type SigVerifier interface {
	// VerifyBatch returns one error per tx, in order; a tx without one
	// has its sender cached (tx.Sender).
	VerifyBatch(ctx context.Context, txs []*types.Transaction) []error
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case c.ChainID == 0:
		return fmt.Errorf("%w: chain id must not be 0", ErrInvalidConfig)
	case c.TxGasLimit < params.TxGas:
		return fmt.Errorf("%w: per-transaction gas limit %d is below the %d a plain transfer needs", ErrInvalidConfig, c.TxGasLimit, params.TxGas)
	case c.BlockGasLimit < c.TxGasLimit:
		return fmt.Errorf("%w: block gas limit %d is below the per-transaction gas limit %d", ErrInvalidConfig, c.BlockGasLimit, c.TxGasLimit)
	case c.Parallel != "" && c.Parallel != ParallelBlockSTM && c.Parallel != ParallelChunks:
		return fmt.Errorf("%w: parallel execution strategy %q is neither %q nor %q", ErrInvalidConfig, c.Parallel, ParallelBlockSTM, ParallelChunks)
	case c.MaxCompatibility != "" && !precompiled.KnownCompatibility(c.MaxCompatibility):
		return fmt.Errorf("%w: compatibility version %q is not one this code implements (the latest is %s)", ErrInvalidConfig, c.MaxCompatibility, precompiled.LatestCompatibility())
	}
	return nil
}

// BlockEnv is the block a batch of transactions runs in.
type BlockEnv struct {
	Number    uint64
	Timestamp uint64
	// Sealer is the proposer, seen by contracts as block.coinbase.
	Sealer common.Address
	// GetHash returns the hash of an earlier block for BLOCKHASH (the EVM
	// asks only for the 256 blocks before Number). nil answers zero.
	GetHash func(number uint64) common.Hash

	// Rules, when set, are the block's rules as RulesAt reads them from
	// the state ExecuteBlock is given, by a caller that read them already
	// (a node reads them once per block for its txpool and engine); nil
	// makes ExecuteBlock read them.
	Rules *Rules

	// rules are set by ExecuteBlock from the parent state.
	rules Rules
}

// BlockResult is the outcome of executing a block's transactions.
type BlockResult struct {
	Receipts  []*types.Receipt
	Senders   []common.Address
	Writes    *state.WriteSet // labelled with the block's number
	StateRoot common.Hash
	GasUsed   uint64
	Bloom     ethtypes.Bloom
}

// Executor executes transactions. It holds no per-block state and is safe
// for concurrent use.
type Executor struct {
	cfg   Config
	suite crypto.Suite
	log   *slog.Logger
	chain *params.ChainConfig
	sys   *precompiled.Registry
	// maxCompat is the highest compatibility version blocks may run under.
	maxCompat string
	// parallelBlocks and serialFallbacks count the blocks executed in
	// parallel and those the parallel path handed back to serial execution.
	parallelBlocks, serialFallbacks atomic.Int64
	// reexecutedChunks counts the chunks that chunked execution executed
	// again after a conflict.
	reexecutedChunks atomic.Int64
	// chunksConflicted tells whether the last block executed in chunks
	// executed one again: then the next does not build its write set
	// before its chunks are checked (executeChunks).
	chunksConflicted atomic.Bool
	// stolenChunks counts the chunks a worker took from another's;
	// chunkStealMin, when above 0, replaces defaultStealMin (tests).
	stolenChunks  atomic.Int64
	chunkStealMin int
	// scratch keeps the parallel workers' caches (*workerScratch) from
	// block to block, with the memory they grew to.
	scratch sync.Pool
	// chunkScratch keeps the chunk workers' StateDBs and maps
	// (*chunkScratch) from block to block.
	chunkScratch sync.Pool
	// serialScratch keeps serial execution's StateDBs (*state.StateDB)
	// from block to block, with their maps' memory.
	serialScratch sync.Pool
	// blooms keeps serial execution's bloom caches.
	blooms types.BloomCaches
	// alwaysTraced runs every transaction with the tracing hooks, and
	// runCounts, when set, counts the runs without them (runMessage):
	// tests compare and count the two ways; nil, nothing on the hot path
	// writes memory the workers share.
	alwaysTraced bool
	runCounts    *runCounts
	// calls remembers which contract codes could make a call
	// (runMessage).
	calls callScans
}

// New returns an executor for a chain. logger may be nil.
func New(cfg Config, suite crypto.Suite, logger *slog.Logger) (*Executor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if suite == nil {
		return nil, fmt.Errorf("%w: no crypto suite", ErrInvalidConfig)
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	chain := chainConfig(cfg.ChainID)
	if err := chain.CheckConfigForkOrder(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	sys := cfg.SystemContracts
	if sys == nil {
		sys = precompiled.Default()
	}
	maxCompat := cfg.MaxCompatibility
	if maxCompat == "" {
		maxCompat = precompiled.LatestCompatibility()
	}
	return &Executor{cfg: cfg, suite: suite, log: logger, chain: chain, sys: sys, maxCompat: maxCompat}, nil
}

// chainConfig activates every fork through Osaka at genesis.
func chainConfig(chainID uint64) *params.ChainConfig {
	zero := uint64(0)
	return &params.ChainConfig{
		ChainID:                 new(big.Int).SetUint64(chainID),
		HomesteadBlock:          big.NewInt(0),
		EIP150Block:             big.NewInt(0),
		EIP155Block:             big.NewInt(0),
		EIP158Block:             big.NewInt(0),
		ByzantiumBlock:          big.NewInt(0),
		ConstantinopleBlock:     big.NewInt(0),
		PetersburgBlock:         big.NewInt(0),
		IstanbulBlock:           big.NewInt(0),
		MuirGlacierBlock:        big.NewInt(0),
		BerlinBlock:             big.NewInt(0),
		LondonBlock:             big.NewInt(0),
		ArrowGlacierBlock:       big.NewInt(0),
		GrayGlacierBlock:        big.NewInt(0),
		MergeNetsplitBlock:      big.NewInt(0),
		TerminalTotalDifficulty: big.NewInt(0),
		ShanghaiTime:            &zero,
		CancunTime:              &zero,
		PragueTime:              &zero,
		OsakaTime:               &zero,
		BlobScheduleConfig: &params.BlobScheduleConfig{
			Cancun: params.DefaultCancunBlobConfig,
			Prague: params.DefaultPragueBlobConfig,
		},
	}
}

// ChainConfig returns the go-ethereum chain configuration in use.
func (e *Executor) ChainConfig() *params.ChainConfig { return e.chain }

// SystemContracts returns the system contract registry in use.
func (e *Executor) SystemContracts() *precompiled.Registry { return e.sys }

// newEVM builds an EVM for one block (or one call) over sdb, with the
// system contracts' session bound to it.
func (e *Executor) newEVM(env BlockEnv, sdb vm.StateDB) (*vm.EVM, *precompiled.Session) {
	getHash := env.GetHash
	if getHash == nil {
		getHash = func(uint64) common.Hash { return common.Hash{} }
	}
	var random common.Hash // PREVRANDAO is zero: there is no beacon randomness here
	bctx := vm.BlockContext{
		CanTransfer: core.CanTransfer,
		Transfer:    core.Transfer,
		GetHash:     getHash,
		Coinbase:    env.Sealer,
		GasLimit:    e.cfg.BlockGasLimit,
		BlockNumber: new(big.Int).SetUint64(env.Number),
		Time:        env.Timestamp,
		Difficulty:  new(big.Int),
		BaseFee:     new(big.Int),
		BlobBaseFee: new(big.Int),
		Random:      &random,
	}
	sess := e.sys.NewSession(sdb, precompiled.BlockInfo{ChainID: e.cfg.ChainID, Number: env.Number, Timestamp: env.Timestamp, Compat: env.rules.Compatibility, Permission: env.rules.permission})
	evm := vm.NewEVM(bctx, sdb, e.chain, vm.Config{Tracer: sess.Hooks()})
	evm.SetPrecompiles(sess.Precompiles(vm.ActivePrecompiledContracts(evm.GetRules())))
	return evm, sess
}

// stateRoot is the state root of a block with write set ws, whose parent
// has root parent, under compatibility version compat: hashed in parts on
// up to the given number of goroutines from 0.5.0 (state.WriteSet.Root),
// in one pass before (state.WriteSet.FlatRoot).
func (e *Executor) stateRoot(ws *state.WriteSet, parent common.Hash, compat string, goroutines int) common.Hash {
	if precompiled.PartsRoot(compat) {
		return ws.ParallelRoot(parent, e.suite, goroutines)
	}
	return ws.FlatRoot(parent, e.suite)
}

// txMessage is an EVM message with its amounts and recipient, in one
// place that the transactions an EVM runs one after the other share: the
// EVM keeps no part of a message once it has run it.
type txMessage struct {
	msg                          core.Message
	value, price, feeCap, tipCap uint256.Int
	to                           common.Address
}

// message turns a transaction into an EVM message executed at gas price
// 0, in m; txGasLimit is the per-transaction limit in force.
func (e *Executor) message(m *txMessage, tx *types.Transaction, from common.Address, txGasLimit uint64) (*core.Message, error) {
	gas := tx.Gas()
	if !tx.IsEthereum() && gas == 0 {
		gas = txGasLimit
	}
	if gas > txGasLimit {
		return nil, fmt.Errorf("%w: tx asks for %d, limit is %d", ErrGasLimitTooHigh, gas, txGasLimit)
	}
	*m = txMessage{} // gas is free here: the prices are zero
	if tx.ValueU256(&m.value) {
		return nil, ErrValueTooLarge
	}
	var to *common.Address
	if a, ok := tx.ToAddress(); ok {
		m.to, to = a, &m.to
	}
	msg := &m.msg
	*msg = core.Message{
		From:      from,
		To:        to,
		Nonce:     tx.Nonce(),
		Value:     &m.value,
		GasLimit:  gas,
		GasPrice:  &m.price,
		GasFeeCap: &m.feeCap,
		GasTipCap: &m.tipCap,
		Data:      tx.Data(),
	}
	if eth := tx.Eth(); eth != nil {
		msg.AccessList = eth.AccessList()
	} else {
		msg.SkipNonceCheck()
	}
	msg.SkipGasLimitCapCheck()
	return msg, nil
}

// ExecuteBlock executes txs in order on the state in st (which it only
// reads, and which must not change meanwhile: pass a storage snapshot when
// the store is being written) and returns the receipts, the write set and the state root
// chained to parentRoot. Transactions should have been verified before
// (their sender cached); those that were not are verified here (through
// Config.Verifier when set, in parallel and by hash once per node), and
// one that fails makes the whole block invalid (ErrInvalidTx). Failed
// transactions do not: they get failed receipts. With Config.Workers
// allowing it, the transactions run in parallel, with the same results.
//
// The block's rules are read first from st (RulesAt): a block of a
// compatibility version this node does not support fails with
// ErrUnsupportedVersion; one holding more transactions than
// tx_count_limit (ErrTooManyTxs) or, from compatibility version 0.2.0, a
// transaction asking for more gas than tx_gas_limit (ErrInvalidTx) is
// invalid (before 0.2.0 that transaction gets a failed receipt).
func (e *Executor) ExecuteBlock(ctx context.Context, env BlockEnv, parentRoot common.Hash, txs []*types.Transaction, st storage.Reader) (*BlockResult, error) {
	var rules Rules
	if env.Rules != nil {
		rules = *env.Rules
	} else {
		var err error
		if rules, err = e.RulesAt(st, env.Number); err != nil {
			return nil, err
		}
	}
	if err := rules.CheckBlock(env.Number, txs); err != nil {
		return nil, err
	}
	env.rules = rules
	if e.cfg.Verifier != nil {
		for i, err := range e.cfg.Verifier.VerifyBatch(ctx, txs) {
			if err != nil {
				if cerr := ctx.Err(); cerr != nil {
					return nil, cerr
				}
				if txs[i] == nil {
					return nil, fmt.Errorf("%w: tx %d: %w", ErrInvalidTx, i, err)
				}
				return nil, fmt.Errorf("%w: tx %d (%v): %w", ErrInvalidTx, i, txs[i].Hash(), err)
			}
		}
	}
	if w := e.workers(len(txs)); w > 1 {
		var res *BlockResult
		var err error
		if e.cfg.Parallel == ParallelChunks {
			res, err = e.executeChunks(ctx, env, parentRoot, txs, st, w)
		} else {
			res, err = e.executeParallel(ctx, env, parentRoot, txs, st, w)
		}
		if !errors.Is(err, errNeedSerial) {
			if err == nil {
				e.parallelBlocks.Add(1)
			}
			return res, err
		}
		e.serialFallbacks.Add(1)
		e.log.Debug("block executed serially instead", "number", env.Number, "reason", err)
	}
	return e.executeSerial(ctx, env, parentRoot, txs, st)
}

// executeSerial is ExecuteBlock running one transaction after the other.
func (e *Executor) executeSerial(ctx context.Context, env BlockEnv, parentRoot common.Hash, txs []*types.Transaction, st storage.Reader) (*BlockResult, error) {
	start := time.Now()
	sdb, _ := e.serialScratch.Get().(*state.StateDB)
	if sdb == nil {
		sdb = state.New(st)
	} else {
		sdb.Reset(st)
	}
	// The StateDB is emptied when the next block takes it (Reset above),
	// not at the end of this one: until then it holds this block's state.
	defer e.serialScratch.Put(sdb)
	evm, sess := e.newEVM(env, sdb)
	defer evm.Release()
	stop := context.AfterFunc(ctx, evm.Cancel)
	defer stop()
	rules := evm.GetRules()
	gp := core.NewGasPool(e.cfg.BlockGasLimit)
	msg := new(txMessage)

	res := &BlockResult{
		Receipts: make([]*types.Receipt, len(txs)),
		Senders:  make([]common.Address, len(txs)),
	}
	for i, tx := range txs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		from, err := tx.Verify(e.suite, e.cfg.ChainID, e.cfg.GroupID)
		if err != nil {
			return nil, fmt.Errorf("%w: tx %d (%v): %w", ErrInvalidTx, i, tx.Hash(), err)
		}
		res.Senders[i] = from
		sdb.SetTxContext(tx.Hash(), i, 0)
		r := e.applyTx(evm, sess, msg, sdb, gp, tx, from, env.rules.TxGasLimit)
		sdb.Finalise(rules)
		if err := sdb.Error(); err != nil {
			return nil, fmt.Errorf("%w: tx %d: %w", ErrState, i, err)
		}
		if err := ctx.Err(); err != nil { // a cancelled EVM stops as if successful
			return nil, err
		}
		res.GasUsed += r.GasUsed
		r.TxHash, r.TxIndex, r.BlockNumber = tx.Hash(), uint64(i), env.Number
		r.CumulativeGasUsed, r.From, r.To = res.GasUsed, from, tx.To()
		res.Receipts[i] = r
	}
	ws, err := sdb.WriteSet()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrState, err)
	}
	res.Writes = ws.ForBlock(env.Number) // numbered for the state history
	res.StateRoot = e.stateRoot(ws, parentRoot, env.rules.Compatibility, 1)
	res.Bloom = e.receiptsBloom(res.Receipts)
	e.log.Debug("executed block", "number", env.Number, "txs", len(txs), "gasUsed", res.GasUsed,
		"writes", ws.Len(), "stateRoot", res.StateRoot, "elapsed", time.Since(start))
	return res, nil
}

// applyTx executes one transaction and returns its receipt. A transaction
// rejected before execution leaves the state and the gas pool untouched.
func (e *Executor) applyTx(evm *vm.EVM, sess *precompiled.Session, m *txMessage, sdb *state.StateDB, gp *core.GasPool, tx *types.Transaction, from common.Address, txGasLimit uint64) *types.Receipt {
	r := &types.Receipt{Status: types.ReceiptFailed}
	msg, err := e.message(m, tx, from, txGasLimit)
	if err != nil {
		r.ErrorMessage = err.Error()
		return r
	}
	if err := sess.CheckTx(from, msg.To, msg.Data); err != nil {
		r.ErrorMessage = err.Error() // governance refusal: frozen sender, deploy not allowed
		return r
	}
	nonce := sdb.GetNonce(from)
	snap, pool := sdb.Snapshot(), gp.Snapshot()
	out, err := e.runMessage(evm, sess, sdb, msg, gp)
	if err != nil {
		sdb.RevertToSnapshot(snap)
		gp.Set(pool)
		r.ErrorMessage = err.Error()
		return r
	}
	r.GasUsed = out.UsedGas
	if msg.To == nil {
		r.ContractAddress = ethcrypto.CreateAddress(from, nonce)
	}
	if refused := sess.Refused(); refused != nil {
		// A contract's call or creation broke a permission rule: the
		// transaction fails as if it had reverted, keeping only what a
		// failed transaction keeps (the sender's nonce moves on, the gas is
		// used).
		after := sdb.GetNonce(from)
		sdb.RevertToSnapshot(snap)
		sdb.SetNonce(from, after, tracing.NonceChangeUnspecified)
		r.ErrorMessage = refused.Error()
		return r
	}
	r.Logs = sdb.TxLogs()
	if out.Err != nil {
		r.Output = out.Revert()
		r.ErrorMessage = vmErrorMessage(out.Err, out.ReturnData)
		return r
	}
	r.Status = types.ReceiptSuccess
	if msg.To != nil {
		r.Output = out.Return()
	}
	return r
}

// ParallelStats counts what the parallel paths did since the executor
// started.
type ParallelStats struct {
	// Blocks executed in parallel, and blocks handed back to serial
	// execution (a signature to verify failed, a transaction did not fit
	// in the block gas limit, or one did what the path does not model).
	Blocks, SerialFallbacks uint64
	// ReexecutedChunks and TakenChunks: chunked execution's chunks executed
	// again after a conflict, and chunks a worker took from another's.
	ReexecutedChunks, TakenChunks uint64
}

// ParallelStats returns the parallel paths' counters; safe from any
// goroutine.
func (e *Executor) ParallelStats() ParallelStats {
	return ParallelStats{
		Blocks: uint64(e.parallelBlocks.Load()), SerialFallbacks: uint64(e.serialFallbacks.Load()),
		ReexecutedChunks: uint64(e.reexecutedChunks.Load()), TakenChunks: uint64(e.stolenChunks.Load()),
	}
}
