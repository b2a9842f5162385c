package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"

	"github.com/gobcos/gobcos/executor/blockstm"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// MinParallelTxs is the smallest block that a negative Config.Workers
// executes in parallel; smaller blocks do not repay starting the workers.
const MinParallelTxs = 16

// errNeedSerial: a transaction did something the parallel path does not
// model (iterating an account's stored slots, which only happens when an
// account that existed before the transaction is deleted); the block is
// executed serially instead.
var errNeedSerial = errors.New("executor: transaction needs serial execution")

// workers is the number of workers for a block of n transactions; 1 means
// serial execution.
func (e *Executor) workers(n int) int {
	switch w := e.cfg.Workers; {
	case w == 0 || w == 1 || n < 2:
		return 1
	case w > 1:
		return min(w, n)
	case n < MinParallelTxs:
		return 1
	default:
		return min(runtime.GOMAXPROCS(0), n)
	}
}

// txOutput is what one transaction's last incarnation produced.
type txOutput struct {
	receipt *types.Receipt
	bloom   ethtypes.Bloom // of the receipt's logs
	err     error          // state failure of the transaction itself (sdb.Error)
	wsErr   error          // failure while collecting its writes
}

// parallelBlock is one block under parallel execution.
type parallelBlock struct {
	e       *Executor
	ctx     context.Context
	env     BlockEnv
	txs     []*types.Transaction
	senders []common.Address
	mv      *blockstm.MVMemory
	parent  storage.Reader // the parent state, which EVM set-up reads
	out     []txOutput
	workers []*worker        // by worker index
	scratch []*workerScratch // by worker index
	// accounts holds the account records decoded by the block's
	// transactions, by the stored value they were decoded from (see
	// txView.CachedAccount).
	accounts sync.Map // *byte -> decodedAccount
}

// decodedAccount is an account record decoded from a value of n bytes.
type decodedAccount struct {
	n int
	a *state.Account
}

// executeParallel runs txs with the given number of workers. It returns
// errNeedSerial when the block must run serially instead (a signature to
// verify fails, a transaction does not fit in the block's gas limit, or
// one needs what the parallel path does not model); ExecuteBlock then does
// so, which also gives the serial path's exact errors.
func (e *Executor) executeParallel(ctx context.Context, env BlockEnv, parentRoot common.Hash, txs []*types.Transaction, st storage.Reader, workers int) (*BlockResult, error) {
	start := time.Now()
	senders, err := e.verifyAll(txs, workers)
	if err != nil {
		return nil, err
	}
	env.GetHash = lockedGetHash(env.GetHash)
	p := &parallelBlock{e: e, ctx: ctx, env: env, txs: txs, senders: senders, parent: st,
		mv: blockstm.NewMVMemory(len(txs), baseReader(st)), out: make([]txOutput, len(txs)),
		workers: make([]*worker, workers), scratch: make([]*workerScratch, workers)}
	for w := range p.scratch {
		p.scratch[w] = e.getScratch(p.mv)
	}
	defer func() {
		for _, s := range p.scratch {
			s.cells.Reset(nil) // keeps nothing of this block alive
			clear(s.changes[:cap(s.changes)])
			clear(s.writes[:cap(s.writes)])
			e.scratch.Put(s)
		}
	}()
	err = blockstm.Run(ctx, p.mv, len(txs), workers, func(w int, v blockstm.Version) blockstm.Result {
		return p.execute(w, v.Tx)
	})
	p.release()
	if err != nil {
		return nil, err
	}

	res := &BlockResult{Receipts: make([]*types.Receipt, len(txs)), Senders: senders}
	for i, o := range p.out {
		// Serial execution lets a transaction in only when the gas used
		// before it plus its gas limit fits in the block, and rejects it
		// otherwise; here every transaction ran as if it fitted. Up to the
		// first one that does not, the results are serial execution's.
		if gas, ok := e.gasLimit(txs[i], env.rules.TxGasLimit); ok && res.GasUsed+gas > e.cfg.BlockGasLimit {
			return nil, errNeedSerial
		}
		if errors.Is(o.err, errNeedSerial) || errors.Is(o.wsErr, errNeedSerial) {
			return nil, errNeedSerial
		}
		if o.err != nil {
			return nil, fmt.Errorf("%w: tx %d: %w", ErrState, i, o.err)
		}
		r := o.receipt
		res.GasUsed += r.GasUsed
		r.TxHash, r.TxIndex, r.BlockNumber = txs[i].Hash(), uint64(i), env.Number
		r.CumulativeGasUsed, r.From, r.To = res.GasUsed, senders[i], txs[i].To()
		res.Receipts[i] = r
		for j := range res.Bloom { // the block's bloom is the union of the receipts'
			res.Bloom[j] |= o.bloom[j]
		}
	}
	for _, o := range p.out {
		if o.wsErr != nil {
			return nil, fmt.Errorf("%w: %w", ErrState, o.wsErr)
		}
	}
	// A key written by one transaction differs from its starting value: a
	// transaction's writes are its changes over what it read, and it read
	// the starting value. Keys written by several may have been restored.
	final := p.mv.Snapshot()
	changed := make([]state.Write, 0, len(final))
	var maybe []state.Write
	for _, f := range final {
		w := state.Write{Key: f.Key, Value: f.Value, Delete: f.Value == nil}
		if f.Writers == 1 {
			changed = append(changed, w)
		} else {
			maybe = append(maybe, w)
		}
	}
	// The write set is sorted by key; sorting most of it here on two
	// goroutines leaves NetWriteSet a sorted list to check.
	changed = sortWrites(changed)
	ws, err := state.NetWriteSet(st, changed, maybe)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrState, err)
	}
	res.Writes = ws.ForBlock(env.Number)
	res.StateRoot = e.stateRoot(ws, parentRoot, env.rules.Compatibility, workers)
	e.log.Debug("executed block in parallel", "number", env.Number, "txs", len(txs), "workers", workers,
		"gasUsed", res.GasUsed, "writes", ws.Len(), "stateRoot", res.StateRoot, "elapsed", time.Since(start))
	return res, nil
}

// workerScratch is what one worker keeps for the transactions it runs in
// a block: its index of the multi-version memory's keys and its bloom
// hashes.
type workerScratch struct {
	cells  *blockstm.Cache
	blooms *types.BloomCache
	// The lists of a transaction's writes, reused from one to the next
	// (Run keeps the keys and values, not the lists).
	changes []state.Write
	writes  []blockstm.Write
}

// getScratch returns a worker's scratch for a block over mv, reusing the
// memory of an earlier block's.
func (e *Executor) getScratch(mv *blockstm.MVMemory) *workerScratch {
	s, _ := e.scratch.Get().(*workerScratch)
	if s == nil {
		return &workerScratch{cells: mv.NewCache(), blooms: types.NewBloomCache()}
	}
	s.cells.Reset(mv)
	s.blooms.Trim()
	return s
}

// sortWrites returns ws sorted by key, sorting its halves on two
// goroutines and merging them. Keys are distinct.
func sortWrites(ws []state.Write) []state.Write {
	const minParallelSort = 512
	if len(ws) < minParallelSort {
		slices.SortFunc(ws, compareWrites)
		return ws
	}
	a, b := ws[:len(ws)/2], ws[len(ws)/2:]
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(a, compareWrites) })
	slices.SortFunc(b, compareWrites)
	wg.Wait()
	out := make([]state.Write, 0, len(ws))
	for len(a) > 0 && len(b) > 0 {
		if compareWrites(a[0], b[0]) < 0 {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

func compareWrites(a, b state.Write) int { return bytes.Compare(a.Key, b.Key) }

// lockedGetHash lets the workers share a BlockEnv.GetHash that need not
// be safe for concurrent use, answering each number once.
func lockedGetHash(f func(uint64) common.Hash) func(uint64) common.Hash {
	if f == nil {
		return nil
	}
	var (
		mu    sync.Mutex
		known = make(map[uint64]common.Hash)
	)
	return func(n uint64) common.Hash {
		mu.Lock()
		defer mu.Unlock()
		h, ok := known[n]
		if !ok {
			h = f(n)
			known[n] = h
		}
		return h
	}
}

// gasLimit is the gas a transaction reserves in the block, as message
// computes it; ok is false when message rejects it for its gas limit.
func (e *Executor) gasLimit(tx *types.Transaction, txGasLimit uint64) (gas uint64, ok bool) {
	gas = tx.Gas()
	if !tx.IsEthereum() && gas == 0 {
		gas = txGasLimit
	}
	return gas, gas <= txGasLimit
}

// verifyAll returns the senders of txs, verifying the signatures not
// verified before on all workers. Any failure gives errNeedSerial: the
// serial path reports it exactly.
func (e *Executor) verifyAll(txs []*types.Transaction, workers int) ([]common.Address, error) {
	senders := make([]common.Address, len(txs))
	var todo []int
	for i, tx := range txs {
		if a, ok := tx.CachedSender(); ok {
			senders[i] = a
		} else {
			todo = append(todo, i)
		}
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed bool
	)
	for w := range min(workers, len(todo)) {
		wg.Go(func() {
			for j := w; j < len(todo); j += workers {
				i := todo[j]
				a, err := txs[i].Verify(e.suite, e.cfg.ChainID, e.cfg.GroupID)
				if err != nil {
					mu.Lock()
					failed = true
					mu.Unlock()
					return
				}
				senders[i] = a
			}
		})
	}
	wg.Wait()
	if failed {
		return nil, errNeedSerial
	}
	return senders, nil
}

// worker is one worker's EVM, reused for the transactions it runs as
// serial execution reuses one EVM for a block. db is the StateDB the
// system contracts see; it and evm.StateDB are pointed at each
// transaction's own StateDB in turn.
type worker struct {
	evm  *vm.EVM
	sess *precompiled.Session
	msg  txMessage // each transaction's message in turn
	db   *swapDB
	sdb  *state.StateDB // reset for each transaction
	stop func() bool
}

// swapDB forwards to the StateDB of the transaction being run.
type swapDB struct{ vm.StateDB }

func (p *parallelBlock) worker(w int) *worker {
	wk := p.workers[w]
	if wk != nil && !wk.evm.Cancelled() {
		return wk
	}
	if wk != nil { // cancelled after reading an estimate
		wk.stop()
		wk.evm.Release()
	}
	// Setting up the EVM reads the system contracts' block-wide state (the
	// contracts frozen at this block), which no transaction of the block
	// can change: serial execution reads it before the first transaction,
	// so each worker reads it from the parent state.
	db := &swapDB{StateDB: state.New(p.parent)}
	evm, sess := p.e.newEVM(p.env, db)
	wk = &worker{evm: evm, sess: sess, db: db, sdb: state.New(nil), stop: context.AfterFunc(p.ctx, evm.Cancel)}
	p.workers[w] = wk
	return wk
}

func (p *parallelBlock) release() {
	for _, wk := range p.workers {
		if wk != nil {
			wk.stop()
			wk.evm.Release()
		}
	}
}

// execute runs one incarnation of transaction i on worker w, on the
// worker's StateDB reset to read through the multi-version memory.
func (p *parallelBlock) execute(w, i int) (res blockstm.Result) {
	wk := p.worker(w)
	cache := p.scratch[w].cells
	view := &txView{p: p, cache: cache, tx: i, blockedBy: -1, abort: wk.evm.Cancel, reads: make([]blockstm.Read, 0, 8)}
	sdb := wk.sdb
	sdb.Reset(view)
	wk.db.StateDB, wk.evm.StateDB = sdb, sdb
	defer func() {
		if r := recover(); r != nil {
			// Only a run on an inconsistent view can get here, unless
			// serial execution would panic too: keep it as the
			// transaction's failure, void unless the run validates.
			res = blockstm.Result{BlockedBy: view.blockedBy, Reads: view.reads}
			p.out[i] = txOutput{err: fmt.Errorf("executor: panic: %v", r)}
			wk.evm.Cancel() // do not reuse an EVM left mid-call
		}
	}()
	tx := p.txs[i]
	sdb.SetTxContext(tx.Hash(), i, 0)
	r := p.e.applyTx(wk.evm, wk.sess, &wk.msg, sdb, core.NewGasPool(p.e.cfg.BlockGasLimit), tx, p.senders[i], p.env.rules.TxGasLimit)
	sdb.Finalise(wk.evm.GetRules())
	o := txOutput{receipt: r, err: sdb.Error()}
	if len(r.Logs) > 0 {
		o.bloom = p.scratch[w].blooms.ReceiptBloom(r)
	}
	scratch := p.scratch[w]
	writes, err := sdb.AppendChanges(scratch.changes[:0])
	if err == nil {
		scratch.changes = writes
	}
	if view.blockedBy >= 0 {
		return blockstm.Result{BlockedBy: view.blockedBy}
	}
	if o.err == nil && err != nil {
		o.wsErr = err
	}
	p.out[i] = o
	res.BlockedBy = -1
	res.Reads = view.reads
	if err == nil {
		res.Writes = scratch.writes[:0]
		for _, x := range writes {
			res.Writes = append(res.Writes, cache.Write(x.Key, x.Value))
		}
		scratch.writes = res.Writes
	}
	return res
}

// txView is the storage one transaction's StateDB reads: the writes of the
// transactions before it in the multi-version memory, then the block's
// starting state. It records what it read, with versions, for validation.
type txView struct {
	p         *parallelBlock
	cache     *blockstm.Cache // the worker's
	tx        int
	reads     []blockstm.Read
	blockedBy int    // an earlier transaction whose estimate was read, or -1
	abort     func() // stops the EVM once blocked
}

func (v *txView) get(key []byte) ([]byte, error) {
	if v.blockedBy >= 0 {
		return nil, storage.ErrNotFound
	}
	r, read := v.cache.Read(key, v.tx)
	switch {
	case r.BlockedBy >= 0:
		v.blockedBy = r.BlockedBy
		if v.abort != nil {
			v.abort()
		}
		return nil, storage.ErrNotFound
	case r.Err != nil:
		return nil, r.Err // the StateDB records it; the block fails if this run validates
	}
	v.reads = append(v.reads, read)
	if r.Value == nil {
		return nil, storage.ErrNotFound
	}
	return r.Value, nil
}

// CachedAccount implements state.AccountCache: the transactions of a
// block share the account records decoded from each value of the
// multi-version memory (the block's starting values and the transactions'
// writes), as serial execution decodes an account once per block. A value
// is known by the address of its bytes: the values are never modified, and
// the cache's pointer to them keeps their memory from being reused.
func (v *txView) CachedAccount(b []byte) *state.Account {
	if len(b) == 0 {
		return nil
	}
	if d, ok := v.p.accounts.Load(unsafe.SliceData(b)); ok {
		if d := d.(*decodedAccount); d.n == len(b) {
			return d.a
		}
	}
	return nil
}

// CacheAccount implements state.AccountCache.
func (v *txView) CacheAccount(b []byte, a *state.Account) {
	if len(b) > 0 {
		v.p.accounts.Store(unsafe.SliceData(b), &decodedAccount{n: len(b), a: a})
	}
}

// Get implements storage.Reader.
func (v *txView) Get(key []byte) ([]byte, error) { return v.get(key) }

// Has implements storage.Reader.
func (v *txView) Has(key []byte) (bool, error) {
	_, err := v.get(key)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// NewIterator implements storage.Reader. The StateDB iterates only to
// delete the stored slots of an account that existed before the
// transaction; that is left to serial execution.
func (v *txView) NewIterator(_, _ []byte) storage.Iterator { return failedIterator{} }

type failedIterator struct{}

func (failedIterator) Next() bool    { return false }
func (failedIterator) Key() []byte   { return nil }
func (failedIterator) Value() []byte { return nil }
func (failedIterator) Error() error  { return errNeedSerial }
func (failedIterator) Release()      {}

// baseReader reads the block's starting state for the multi-version
// memory, which keeps what it read.
func baseReader(st storage.Reader) blockstm.BaseFunc {
	return func(key []byte) ([]byte, error) {
		v, err := st.Get(key)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nil
		}
		return v, err
	}
}
