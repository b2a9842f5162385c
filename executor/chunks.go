package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"golang.org/x/sys/cpu"

	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// The parallel execution strategies (Config.Parallel).
const (
	// ParallelBlockSTM runs each transaction on its own StateDB over a
	// multi-version memory (package executor/blockstm): it re-executes
	// only the transactions that read a key an earlier one wrote, at the
	// price of bookkeeping on every read and write.
	ParallelBlockSTM = "blockstm"
	// ParallelChunks splits a block into one run of consecutive
	// transactions per worker, each executed as serial execution does and
	// then checked in block order against the writes of the runs before
	// it (chunked optimistic execution, chunks.go): cheaper when
	// transactions seldom conflict, a serial re-run of each conflicting
	// run when they do.
	ParallelChunks = "chunks"
)

// chunkBlock is one block under chunked optimistic execution.
//
// The block's transactions are split into one chunk of consecutive
// transactions per worker. Each worker executes its chunk exactly as
// executeSerial executes a block (one StateDB and one EVM for the whole
// chunk), on the block's starting state, through a recordingReader that
// keeps, for every key the chunk read, the first transaction that read
// it. A StateDB reads every key once, at its first touch (an account's
// record before any change to it, a slot's stored value before it is
// written), and keeps it: so a chunk's transactions see what they would
// see serially unless one of them read a key that the transactions of the
// earlier chunks changed. After the workers, the chunks are checked in
// block order against the net writes of everything before them: a chunk
// whose recorded reads miss those writes is valid as it ran, and its net
// writes join them; a chunk that read one of them is executed again, as a
// whole, on the block's starting state overlaid with those writes. A
// worker done with its chunk takes the second half of what another has
// not started as a new chunk (steal), so chunks are added while the
// workers run.
type chunkBlock struct {
	e       *Executor
	ctx     context.Context
	env     BlockEnv
	txs     []*types.Transaction
	senders []common.Address
	st      storage.Reader
	// stealMin, when above 0, is the fewest transactions a worker takes
	// from another's chunk; when 0, it takes them when they should last at
	// least stealTime.
	stealMin int

	mu     sync.Mutex // guards chunks while the workers run
	chunks []*chunkRun
}

// chunkRun is one chunk's execution.
//
// Its worker writes mu, next and bloom for every transaction, and the
// chunkRuns of a block are allocated one after the other: padding at both
// ends keeps another chunk's fields, which another worker reads and
// writes as often, off its cache lines.
type chunkRun struct {
	_     cpu.CacheLinePad
	start int // its transactions are txs[start:end]
	// mu guards next and end while the chunk runs: another worker may
	// take the transactions it has not started (steal), lowering end.
	mu        sync.Mutex
	next, end int       // next is the first transaction not started
	began     time.Time // when the chunk started
	receipts  []*types.Receipt
	bloom     ethtypes.Bloom // of the receipts' logs
	// reads maps every key the chunk read from the block's starting state
	// to the first of its transactions that read it (nil for the first
	// chunk, which nothing can invalidate).
	reads *readSet
	// failAt is the first transaction whose state failed (a storage read
	// failure, a panic), with failure; end when none did.
	failAt  int
	failure error
	// writes are the chunk's net changes to the state it ran on, sorted
	// by key; wsErr is the failure to collect them.
	writes []state.Write
	wsErr  error
	scr    *chunkScratch
	_      cpu.CacheLinePad
}

// chunkScratch is what a worker keeps from block to block.
type chunkScratch struct {
	sdb    *state.StateDB
	reads  *readSet
	blooms *types.BloomCache
}

// maxChunkReads bounds the reads map a kept chunkScratch keeps.
const maxChunkReads = 1 << 16

func (e *Executor) getChunkScratch() *chunkScratch {
	s, _ := e.chunkScratch.Get().(*chunkScratch)
	if s == nil {
		return &chunkScratch{sdb: state.New(nil), reads: newReadSet(), blooms: types.NewBloomCache()}
	}
	s.blooms.Trim()
	return s
}

// putChunkScratch keeps s for the next block. Its StateDB and its reads
// are emptied when a chunk uses them again (run), by the worker running
// that chunk, rather than here, at the end of the block; until then they
// hold the last block's state.
func (e *Executor) putChunkScratch(s *chunkScratch) {
	e.chunkScratch.Put(s)
}

// executeChunks runs txs as chunks on the given number of workers. Like
// executeParallel, it returns errNeedSerial when the block must run
// serially instead: a signature to verify fails, a transaction does not
// fit in the block's gas limit, or a chunk that ran valid deleted an
// account that existed before the block (collecting its writes would
// enumerate the account's stored slots, which the recording reader does
// not record).
func (e *Executor) executeChunks(ctx context.Context, env BlockEnv, parentRoot common.Hash, txs []*types.Transaction, st storage.Reader, workers int) (*BlockResult, error) {
	start := time.Now()
	senders, err := e.verifyAll(txs, workers)
	if err != nil {
		return nil, err
	}
	env.GetHash = lockedGetHash(env.GetHash)
	b := &chunkBlock{e: e, ctx: ctx, env: env, txs: txs, senders: senders, st: st, stealMin: e.chunkStealMin}
	bounds := chunkBounds(len(txs), workers)
	initial := make([]*chunkRun, workers)
	for c := range initial {
		initial[c] = &chunkRun{start: bounds[c], next: bounds[c], end: bounds[c+1]}
	}
	b.chunks = slices.Clone(initial) // the workers add the chunks they take
	defer func() {
		for _, ch := range b.chunks {
			if ch.scr != nil {
				e.putChunkScratch(ch.scr)
			}
		}
	}()
	res := &BlockResult{Receipts: make([]*types.Receipt, len(txs)), Senders: senders}
	var wg sync.WaitGroup
	for c := 1; c < workers; c++ {
		wg.Go(func() { b.work(initial[c]) })
	}
	// The first chunk is valid as it ran: its results are completed before
	// this worker helps the others.
	first := initial[0]
	b.run(first)
	var firstErr error
	if ctx.Err() == nil {
		firstErr = b.complete(first, res)
	}
	b.work(nil)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	slices.SortFunc(b.chunks, func(x, y *chunkRun) int { return x.start - y.start })

	// Unless a chunk must run again, the block's write set is the chunks'
	// writes as they ran: this goroutine, running already, builds and
	// hashes it while another checks the chunks and completes their
	// receipts (a goroutine started now waits for the idle core to wake,
	// and the check is the shorter task). After a block that had a chunk
	// run again (a workload with conflicts, for which that work would
	// mostly be void), the chunks are checked first.
	var (
		layers     [][]state.Write
		reexecuted int
		built      builtWrites
	)
	if !e.chunksConflicted.Load() && ranAll(b.chunks) {
		all := make([][]state.Write, len(b.chunks))
		for i, ch := range b.chunks {
			all[i] = ch.writes
		}
		var checkErr error
		checked := make(chan struct{})
		go func() {
			defer close(checked)
			if layers, reexecuted, checkErr = b.check(first); checkErr == nil {
				checkErr = b.completeRest(res)
			}
		}()
		built = e.buildWrites(all, parentRoot, env.rules.Compatibility, workers)
		<-checked
		if checkErr != nil {
			return nil, checkErr
		}
		if reexecuted > 0 {
			built = e.buildWrites(layers, parentRoot, env.rules.Compatibility, workers)
		}
	} else {
		var err error
		if layers, reexecuted, err = b.check(first); err != nil {
			return nil, err
		}
		// The receipts are completed in block order while the write set
		// is built.
		var completeErr error
		completed := make(chan struct{})
		go func() {
			defer close(completed)
			completeErr = b.completeRest(res)
		}()
		built = e.buildWrites(layers, parentRoot, env.rules.Compatibility, workers)
		<-completed
		if completeErr != nil {
			return nil, completeErr
		}
	}
	e.chunksConflicted.Store(reexecuted > 0)
	ws, root, err := built.ws, built.root, built.err
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrState, err)
	}
	res.Writes, res.StateRoot = ws.ForBlock(env.Number), root
	e.log.Debug("executed block in chunks", "number", env.Number, "txs", len(txs), "workers", workers,
		"chunks", len(b.chunks), "reexecuted", reexecuted, "gasUsed", res.GasUsed, "writes", ws.Len(), "stateRoot", res.StateRoot,
		"elapsed", time.Since(start))
	return res, nil
}

// check checks the chunks after first, in block order, against the net
// writes of the chunks before them, and executes again each that read one
// of those (see chunkBlock). It returns the layers: the net changes
// (against the block's starting state) of the chunks up to the first that
// failed, or of all, each sorted, oldest first. They share no key but code
// blobs, which are content addressed: a chunk that writes a key has read
// it first, so it would not have been valid.
func (b *chunkBlock) check(first *chunkRun) (layers [][]state.Write, reexecuted int, err error) {
	layers = [][]state.Write{first.writes}
	for _, ch := range b.chunks[1:] {
		if at := firstConflict(ch, layers); at < ch.end && at <= ch.failAt {
			merged, err := state.SortedWriteSet(mergeLayers(layers))
			if err != nil {
				return nil, 0, fmt.Errorf("%w: %w", ErrState, err)
			}
			b.reexecute(ch, merged)
			reexecuted++
			b.e.reexecutedChunks.Add(1)
			if err := b.ctx.Err(); err != nil {
				return nil, 0, err
			}
			if ch.failAt == ch.end && ch.wsErr == nil {
				// The chunk's writes are relative to the overlaid state:
				// with them the layers become one again, keeping only
				// the keys whose final value differs from the start.
				net, err := netOver(b.st, merged.Writes(), ch.writes)
				if err != nil {
					return nil, 0, fmt.Errorf("%w: %w", ErrState, err)
				}
				layers, ch.writes = nil, net
			}
		}
		if ch.failAt < ch.end || ch.wsErr != nil {
			break // completeRest reports it: the chunks after it do not count
		}
		layers = append(layers, ch.writes)
	}
	return layers, reexecuted, nil
}

// completeRest completes, in block order, the results of the chunks after
// the first (see complete), once they are checked.
func (b *chunkBlock) completeRest(res *BlockResult) error {
	for _, ch := range b.chunks[1:] {
		if err := b.complete(ch, res); err != nil {
			return err
		}
	}
	return nil
}

// builtWrites is a block's write set and its state root, or the failure
// to build them.
type builtWrites struct {
	ws   *state.WriteSet
	root common.Hash
	err  error
}

// buildWrites merges layers (see mergeLayers) into the block's write set
// and hashes its state root under compatibility version compat on up to
// the given number of goroutines.
func (e *Executor) buildWrites(layers [][]state.Write, parentRoot common.Hash, compat string, goroutines int) builtWrites {
	ws, err := state.SortedWriteSet(mergeLayers(layers))
	if err != nil {
		return builtWrites{err: err}
	}
	return builtWrites{ws: ws, root: e.stateRoot(ws, parentRoot, compat, goroutines)}
}

// ranAll reports whether every chunk ran to its end and collected its
// writes.
func ranAll(chunks []*chunkRun) bool {
	for _, ch := range chunks {
		if ch.failAt < ch.end || ch.wsErr != nil {
			return false
		}
	}
	return true
}

// chunkBounds splits n transactions into chunks for the given number of
// workers: chunk c is [bounds[c], bounds[c+1]). The first chunk, which
// records nothing, gets a sixteenth more than the others, for which
// recording their reads costs about that much more per transaction.
func chunkBounds(n, workers int) []int {
	bounds := make([]int, workers+1)
	const extra = 16 // the first chunk weighs 1 + 1/extra
	total := workers*extra + 1
	for c := 1; c <= workers; c++ {
		bounds[c] = n * (c*extra + 1) / total
	}
	bounds[workers] = n
	return bounds
}

// firstConflict is the first transaction of ch that read a key the
// layers changed, or ch.end. It looks the layers' keys up in the chunk's
// reads or, for a chunk that read few keys (one taken from another late in
// the block), the other way round.
func firstConflict(ch *chunkRun, layers [][]state.Write) int {
	first := ch.end
	if ch.reads == nil || ch.reads.len() == 0 {
		return first
	}
	written := 0
	for _, l := range layers {
		written += len(l)
	}
	const searchCost = 8 // a binary search in a layer against a map lookup
	if ch.reads.len()*len(layers)*searchCost < written {
		ch.reads.each(func(key []byte, tx int) {
			if tx >= first {
				return
			}
			for _, l := range layers {
				if _, found := slices.BinarySearchFunc(l, key, func(w state.Write, k []byte) int { return bytes.Compare(w.Key, k) }); found {
					first = tx
					return
				}
			}
		})
		return first
	}
	for _, l := range layers {
		for i := range l {
			if t, ok := ch.reads.get(l[i].Key); ok && t < first {
				first = t
			}
		}
	}
	return first
}

// complete checks ch's results in block order and adds them to res, as
// executeSerial would have produced them.
func (b *chunkBlock) complete(ch *chunkRun, res *BlockResult) error {
	rules := b.env.rules
	for i := ch.start; i < ch.end; i++ {
		// As in executeParallel: a chunk's gas pool did not hold the gas
		// of the chunks before it. Up to the first transaction that does
		// not fit in the block, the results are serial execution's.
		tx := b.txs[i]
		if gas, ok := b.e.gasLimit(tx, rules.TxGasLimit); ok && res.GasUsed+gas > b.e.cfg.BlockGasLimit {
			return errNeedSerial
		}
		if i == ch.failAt {
			if errors.Is(ch.failure, errNeedSerial) {
				return errNeedSerial
			}
			return fmt.Errorf("%w: tx %d: %w", ErrState, i, ch.failure)
		}
		r := ch.receipts[i-ch.start]
		res.GasUsed += r.GasUsed
		r.TxHash, r.TxIndex, r.BlockNumber = tx.Hash(), uint64(i), b.env.Number
		r.CumulativeGasUsed, r.From, r.To = res.GasUsed, b.senders[i], tx.To()
		res.Receipts[i] = r
	}
	for j := range res.Bloom { // the block's bloom is the union of the receipts'
		res.Bloom[j] |= ch.bloom[j]
	}
	if ch.wsErr != nil {
		if errors.Is(ch.wsErr, errNeedSerial) {
			return errNeedSerial
		}
		return fmt.Errorf("%w: %w", ErrState, ch.wsErr)
	}
	return nil
}

// work runs ch, when not nil, then the transactions it takes from the
// other workers' chunks until none is left to take.
func (b *chunkBlock) work(ch *chunkRun) {
	if ch != nil {
		b.run(ch)
	}
	for b.ctx.Err() == nil {
		if ch = b.steal(); ch == nil {
			return
		}
		b.run(ch)
	}
}

// stealTime is how long the transactions a worker takes from another's
// chunk should last at the pace that chunk has run so far, at least: a
// new chunk costs some 0.1 ms (its EVM, the shared state read again, its
// validation against the chunks before it after the workers).
const stealTime = 250 * time.Microsecond

// steal takes the second half of the transactions not yet started in the
// chunk with the most of them, as a new chunk, or returns nil when there
// are too few (see stealTime and stealMin).
func (b *chunkBlock) steal() *chunkRun {
	b.mu.Lock()
	defer b.mu.Unlock()
	var victim *chunkRun
	most := 0
	for _, ch := range b.chunks {
		ch.mu.Lock()
		if left := ch.end - ch.next; left > most {
			victim, most = ch, left
		}
		ch.mu.Unlock()
	}
	if victim == nil {
		return nil
	}
	victim.mu.Lock()
	defer victim.mu.Unlock()
	left, done := victim.end-victim.next, victim.next-victim.start
	switch {
	case left < 2:
		return nil
	case b.stealMin > 0:
		if left < 2*b.stealMin {
			return nil
		}
	case done < 1 || time.Since(victim.began)*time.Duration(left) < 2*stealTime*time.Duration(done):
		return nil
	}
	mid := victim.next + left/2
	ch := &chunkRun{start: mid, next: mid, end: victim.end}
	victim.end = mid
	b.chunks = append(b.chunks, ch)
	b.e.stolenChunks.Add(1)
	return ch
}

// run executes ch on the block's starting state, on the calling
// goroutine. A chunk other than the first records its reads.
func (b *chunkBlock) run(ch *chunkRun) {
	ch.scr = b.e.getChunkScratch()
	var r storage.Reader = b.st
	if ch.start > 0 {
		ch.reads = ch.scr.reads
		ch.reads.reset()
		r = &recordingReader{r: b.st, reads: ch.reads, tx: -1}
	}
	sdb := ch.scr.sdb
	sdb.Reset(r)
	b.execute(ch, sdb, r)
}

// reexecute executes ch again, on the calling goroutine, on the block's
// starting state overlaid with the net writes of the transactions before
// it: exactly the state serial execution runs it on.
func (b *chunkBlock) reexecute(ch *chunkRun, before *state.WriteSet) {
	ch.reads = nil
	o := state.NewOverlay(b.st, before)
	b.execute(ch, state.New(o), o)
}

// execute runs ch's transactions on sdb, whose reader is r, as
// executeSerial does, and collects the chunk's receipts and net writes.
func (b *chunkBlock) execute(ch *chunkRun, sdb *state.StateDB, r storage.Reader) {
	ch.mu.Lock()
	n := ch.end - ch.start
	ch.next, ch.began = ch.start, time.Now()
	ch.mu.Unlock()
	ch.receipts, ch.bloom = make([]*types.Receipt, n), ethtypes.Bloom{}
	ch.failAt, ch.failure, ch.writes, ch.wsErr = -1, nil, nil, nil
	rec, _ := r.(*recordingReader)
	// Setting up the EVM reads the system contracts' block-wide state,
	// which serial execution reads before the first transaction: read it
	// from the starting state, outside what the chunk records.
	db := &swapDB{StateDB: state.New(b.st)}
	evm, sess := b.e.newEVM(b.env, db)
	db.StateDB, evm.StateDB = sdb, sdb
	stop := context.AfterFunc(b.ctx, evm.Cancel)
	defer stop()
	i := ch.start
	defer func() {
		// Until here the chunk's end could be lowered by another worker.
		ch.mu.Lock()
		ch.next = ch.end
		ch.mu.Unlock()
		if ch.failAt < 0 {
			ch.failAt = ch.end
		}
		if p := recover(); p != nil {
			// Only a run on a state the transactions before it did not
			// leave can get here, unless serial execution panics too: the
			// transaction's failure, void unless the chunk proves valid.
			ch.failAt, ch.failure = i, fmt.Errorf("executor: panic: %v", p)
			return // the EVM was left mid-call: not released for reuse
		}
		evm.Release()
	}()
	rules := evm.GetRules()
	gp := core.NewGasPool(b.e.cfg.BlockGasLimit)
	msg := new(txMessage)
	for ; ; i++ {
		if b.ctx.Err() != nil {
			return
		}
		ch.mu.Lock()
		if i >= ch.end {
			ch.mu.Unlock()
			break
		}
		ch.next = i + 1
		ch.mu.Unlock()
		if rec != nil {
			rec.tx = i
		}
		tx := b.txs[i]
		sdb.SetTxContext(tx.Hash(), i, 0)
		rc := b.e.applyTx(evm, sess, msg, sdb, gp, tx, b.senders[i], b.env.rules.TxGasLimit)
		sdb.Finalise(rules)
		if err := sdb.Error(); err != nil {
			ch.failAt, ch.failure = i, err
			return
		}
		ch.receipts[i-ch.start] = rc
		if len(rc.Logs) > 0 {
			bl := ch.scr.blooms.ReceiptBloom(rc)
			for j := range ch.bloom {
				ch.bloom[j] |= bl[j]
			}
		}
	}
	if rec != nil {
		// Collecting the writes reads only what the chunk read already, or
		// asks whether a code blob it wrote is stored: code is content
		// addressed, so an earlier chunk storing the same blob changes
		// nothing.
		rec.tx = -1
	}
	writes, err := sdb.Changes()
	if err != nil {
		ch.wsErr = err
		return
	}
	slices.SortFunc(writes, compareWrites)
	ch.writes = writes
}

// recordingReader reads the block's starting state for a chunk and
// records, for every key read, the first transaction that read it.
type recordingReader struct {
	r     storage.Reader
	reads *readSet
	tx    int // the transaction running; -1 records nothing
}

func (v *recordingReader) record(key []byte) {
	if v.tx >= 0 {
		v.reads.add(key, v.tx)
	}
}

// readSet maps keys to the first transaction that read them. State keys
// (at most 56 bytes: a storage slot's) are kept in fixed-size map keys,
// which cost no allocation; longer keys, which the state does not have,
// in a map of strings.
type readSet struct {
	short map[readKey]int
	long  map[string]int
}

type readKey struct {
	n uint8
	b [56]byte
}

func newReadSet() *readSet { return &readSet{short: make(map[readKey]int)} }

func (s *readSet) add(key []byte, tx int) {
	if len(key) > len(readKey{}.b) {
		if s.long == nil {
			s.long = make(map[string]int)
		}
		if _, ok := s.long[string(key)]; !ok {
			s.long[string(key)] = tx
		}
		return
	}
	k := readKey{n: uint8(len(key))}
	copy(k.b[:], key)
	if _, ok := s.short[k]; !ok {
		s.short[k] = tx
	}
}

func (s *readSet) get(key []byte) (int, bool) {
	if len(key) > len(readKey{}.b) {
		tx, ok := s.long[string(key)]
		return tx, ok
	}
	k := readKey{n: uint8(len(key))}
	copy(k.b[:], key)
	tx, ok := s.short[k]
	return tx, ok
}

func (s *readSet) len() int { return len(s.short) + len(s.long) }

// each calls f with every key and the first transaction that read it.
func (s *readSet) each(f func(key []byte, tx int)) {
	for k, tx := range s.short {
		f(k.b[:k.n], tx)
	}
	for k, tx := range s.long {
		f([]byte(k), tx)
	}
}

// reset empties s, keeping the memory of a map of a usual size.
func (s *readSet) reset() {
	if len(s.short) > maxChunkReads {
		s.short = make(map[readKey]int)
	} else {
		clear(s.short)
	}
	s.long = nil
}

// Get implements storage.Reader.
func (v *recordingReader) Get(key []byte) ([]byte, error) {
	v.record(key)
	return v.r.Get(key)
}

// Has implements storage.Reader.
func (v *recordingReader) Has(key []byte) (bool, error) {
	v.record(key)
	return v.r.Has(key)
}

// NewIterator implements storage.Reader. The StateDB iterates only to
// delete the stored slots of an account that existed before the block,
// when it collects the chunk's writes; which slots those are depends on
// the writes of the earlier chunks. A chunk that proves valid with such a
// deletion makes the block run serially.
func (v *recordingReader) NewIterator(_, _ []byte) storage.Iterator { return failedIterator{} }

// mergeLayers merges sorted write lists, oldest first, into one sorted
// list with one write per key, the newest.
func mergeLayers(layers [][]state.Write) []state.Write {
	switch len(layers) {
	case 0:
		return nil
	case 1:
		return layers[0]
	}
	out := layers[0]
	for _, l := range layers[1:] {
		out = mergeWrites(out, l)
	}
	return out
}

// mergeWrites merges two sorted lists; b's write wins on a key in both.
func mergeWrites(a, b []state.Write) []state.Write {
	out := make([]state.Write, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		switch c := bytes.Compare(a[0].Key, b[0].Key); {
		case c < 0:
			out, a = append(out, a[0]), a[1:]
		case c > 0:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, b[0]), a[1:], b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// netOver returns the net changes against the block's starting state st
// of before (net changes against st, sorted) followed by after (changes
// against st overlaid with before, sorted), sorted: after's write wins on
// a key in both, and a key that after writes back to its starting value
// is dropped, as serial execution drops it.
func netOver(st storage.Reader, before, after []state.Write) ([]state.Write, error) {
	out := make([]state.Write, 0, len(before)+len(after))
	for len(before) > 0 || len(after) > 0 {
		if len(after) == 0 || (len(before) > 0 && bytes.Compare(before[0].Key, after[0].Key) < 0) {
			out, before = append(out, before[0]), before[1:]
			continue
		}
		if len(before) > 0 && bytes.Equal(before[0].Key, after[0].Key) {
			before = before[1:]
		}
		w := after[0]
		after = after[1:]
		same, err := state.Unchanged(st, w)
		if err != nil {
			return nil, err
		}
		if !same {
			out = append(out, w)
		}
	}
	return out, nil
}
