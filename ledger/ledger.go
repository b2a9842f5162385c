package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/gobcos/gobcos/internal/keyfilter"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// StateWrites is a block's state changes, produced by package state. The
// ledger applies them inside the block's commit batch, so state and blocks
// are committed together. It must only write keys outside Prefix.
type StateWrites interface {
	ApplyTo(w storage.Writer) error
}

// latestStateWrites is StateWrites that can also be applied without their
// history (state.WriteSet is), for Options.NoStateHistory.
type latestStateWrites interface {
	ApplyLatest(w storage.Writer) error
}

// Ledger is one group's block store over a storage.KV.
type Ledger struct {
	kv     storage.KV
	hasher types.Hasher
	logger *slog.Logger

	// latestOnly applies the state's write sets without their history
	// (Options.NoStateHistory).
	latestOnly bool

	commitMu sync.Mutex // serialises Commit
	head     atomic.Pointer[headState]

	// committedTxs and usedNonces hold every committed tx hash and native
	// nonce (see package keyfilter), so that lookups of absent ones, most of them,
	// read no storage. Open loads the stored ones in the background; until
	// filtersReady, lookups read storage.
	committedTxs, usedNonces *keyfilter.Filter
	filtersReady             atomic.Bool
	loadStop, loadDone       chan struct{}

	closed atomic.Bool

	subsMu sync.Mutex
	subs   map[*subscription]struct{}
}

type headState struct {
	header *types.Header
	hash   common.Hash
}

// Open opens the ledger stored in kv, loading its head if a genesis block
// was committed. h is the chain's hash function (crypto.Suite satisfies it).
// A nil logger discards messages. The ledger does not own kv: closing the
// ledger leaves kv open.
func Open(kv storage.KV, h types.Hasher, logger *slog.Logger) (*Ledger, error) {
	return OpenWith(kv, h, logger, Options{})
}

// Options are a ledger's choices that do not change what it commits.
type Options struct {
	// NoStateHistory commits each block's state writes without the
	// state's history (state.WriteSet.ApplyLatest): a node that answers
	// state queries only at the latest block, with about half the state
	// keys written per block. The blocks, receipts and roots are the same.
	NoStateHistory bool
}

// OpenWith is Open with options.
func OpenWith(kv storage.KV, h types.Hasher, logger *slog.Logger, opts Options) (*Ledger, error) {
	if kv == nil || h == nil {
		return nil, errors.New("ledger: Open needs a storage.KV and a hasher")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l := &Ledger{kv: kv, hasher: h, logger: logger.With("component", "ledger"), subs: make(map[*subscription]struct{}), latestOnly: opts.NoStateHistory,
		committedTxs: keyfilter.New(), usedNonces: keyfilter.New(), loadStop: make(chan struct{}), loadDone: make(chan struct{})}

	v, err := kv.Get(keyVersion)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("ledger: reading layout version: %w", err)
	case len(v) != 1 || v[0] != layoutVersion:
		return nil, fmt.Errorf("%w: found %x, this release reads %d", ErrUnsupportedVersion, v, layoutVersion)
	}

	raw, err := kv.Get(keyHead)
	if errors.Is(err, storage.ErrNotFound) {
		l.filtersReady.Store(true) // nothing committed: the empty filters are exact
		close(l.loadDone)
		l.logger.Info("opened empty ledger")
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: reading head: %w", err)
	}
	n, hash, err := decodeHead(raw)
	if err != nil {
		return nil, err
	}
	hdr, err := l.HeaderByNumber(n)
	if err != nil {
		return nil, fmt.Errorf("ledger: loading head block %d: %w", n, err)
	}
	if got := hdr.Hash(h); got != hash {
		return nil, fmt.Errorf("%w: head record names block %d as %s but its header hashes to %s (wrong crypto suite for this chain?)", ErrCorrupt, n, hash, got)
	}
	l.head.Store(&headState{header: hdr, hash: hash})
	l.startLoadingFilters()
	l.logger.Info("opened ledger", "head", n, "hash", hash)
	return l, nil
}

// Head is the latest committed header, nil before the genesis block is
// committed. Callers must not modify it.
func (l *Ledger) Head() *types.Header {
	if hs := l.head.Load(); hs != nil {
		return hs.header
	}
	return nil
}

// HeadHash is the hash of the latest committed block, zero before genesis.
func (l *Ledger) HeadHash() common.Hash {
	if hs := l.head.Load(); hs != nil {
		return hs.hash
	}
	return common.Hash{}
}

// Height is the number of the latest committed block; 0 both for the
// genesis block and before it (Head tells the two apart).
func (l *Ledger) Height() uint64 {
	if hs := l.head.Load(); hs != nil {
		return hs.header.Number
	}
	return 0
}

// Hasher is the chain's hash function the ledger was opened with.
func (l *Ledger) Hasher() types.Hasher { return l.hasher }

// Commit stores block b with its receipts (one per tx, in order), the
// senders of its txs (nil to use each tx's cached sender from Verify), and
// the state writes (nil for none), all in one durably synced batch, then
// makes b the head and notifies subscribers. It refuses a block that does
// not extend the head, whose tx root, receipt root or logs bloom do not
// match its contents, or that repeats a committed transaction. On error
// nothing is written.
//
// roots may be nil. When it matches b's header, txs and receipts
// (types.BlockRoots.Match: computed with the ledger's hasher from exactly
// these txs and receipts, the header carrying its roots), the roots are
// not computed again and the receipts are stored with its encodings;
// otherwise they are computed from the txs and receipts.
func (l *Ledger) Commit(b *types.Block, receipts []*types.Receipt, senders []common.Address, state StateWrites, roots *types.BlockRoots) error {
	return l.commit(b, receipts, senders, state, roots, true)
}

// CommitUnsynced is Commit without waiting for the disk: the batch is
// applied and b becomes the head, but it is durable only once a later
// synced write of the same store has been made (the store's log is
// written in order, so that write carries it). A crash before then may
// lose b and the blocks committed after it, never part of one, and the
// ledger reopens at the block below. It is for a caller that can commit
// b again after such a crash from records of its own that it writes with
// sync before b's commit, such as a PBFT sealer's commit votes
// (package node), and that makes a synced write before relying on b's
// durability for anything else.
func (l *Ledger) CommitUnsynced(b *types.Block, receipts []*types.Receipt, senders []common.Address, state StateWrites, roots *types.BlockRoots) error {
	return l.commit(b, receipts, senders, state, roots, false)
}

func (l *Ledger) commit(b *types.Block, receipts []*types.Receipt, senders []common.Address, state StateWrites, roots *types.BlockRoots, sync bool) error {
	if b == nil || b.Header == nil {
		return fmt.Errorf("%w: block or header is nil", ErrInconsistentBlock)
	}
	hdr := b.Header
	if len(receipts) != len(b.Txs) {
		return fmt.Errorf("%w: block %d has %d txs but %d receipts", ErrInconsistentBlock, hdr.Number, len(b.Txs), len(receipts))
	}
	for i, tx := range b.Txs {
		if tx == nil || receipts[i] == nil {
			return fmt.Errorf("%w: block %d has a nil tx or receipt at %d", ErrInconsistentBlock, hdr.Number, i)
		}
	}
	if senders == nil {
		senders = make([]common.Address, len(b.Txs))
		for i, tx := range b.Txs {
			a, ok := tx.CachedSender()
			if !ok {
				return fmt.Errorf("%w: block %d tx %d (%s) was never verified and no sender was given", ErrInconsistentBlock, hdr.Number, i, tx.Hash())
			}
			senders[i] = a
		}
	} else if len(senders) != len(b.Txs) {
		return fmt.Errorf("%w: block %d has %d txs but %d senders", ErrInconsistentBlock, hdr.Number, len(b.Txs), len(senders))
	}

	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	if l.closed.Load() {
		return ErrClosed
	}
	if err := l.checkExtendsHead(hdr); err != nil {
		return err
	}
	start := time.Now()
	hash := hdr.Hash(l.hasher)
	encReceipts, err := l.checkContents(b, receipts, senders, roots)
	if err != nil {
		return err
	}

	batch := l.kv.NewBatch()
	defer batch.Release()
	n := hdr.Number
	put := func(k, v []byte) {
		if err == nil {
			err = batch.Put(k, v)
		}
	}
	if n == 0 {
		put(keyVersion, []byte{layoutVersion})
	}
	put(headerKey(n), types.EncodeHeader(hdr))
	put(canonKey(n), hash[:])
	put(hashNumKey(hash), be64(n))

	// The batch holds the block's keys grouped by kind: Pebble inserts a
	// key next to the one before it cheaply, but one that lands elsewhere
	// in the memtable's skiplist takes a search from its top. Grouped, the
	// tx and receipt records (consecutive keys) cost one search per
	// block each, not one per tx; only the hash and nonce indexes are
	// spread out by nature (BENCHMARKS.md, "Ledger keys grouped").
	// The records and keys are built in two buffers used again for each
	// (the batch copies what it is given).
	w := rlp.NewEncoderBuffer(nil)
	defer w.Flush()
	var kbuf, vbuf []byte
	for i, tx := range b.Txs {
		w.Reset(nil)
		(&txRecord{Hash: tx.Hash(), Sender: senders[i], Tx: tx.Bytes()}).encode(w)
		kbuf, vbuf = appendPosKey(kbuf[:0], prefixTx, n, uint32(i)), w.AppendToBytes(vbuf[:0])
		put(kbuf, vbuf)
	}
	filled := make([]*types.Receipt, len(receipts))
	var cumGas, logIndex uint64
	for i, tx := range b.Txs {
		txHash := tx.Hash()
		r := receipts[i]
		cumGas += r.GasUsed
		rec := &receiptRecord{
			Receipt: encReceipts[i], TxHash: txHash, From: senders[i], To: tx.To(),
			CumulativeGasUsed: cumGas, FirstLogIndex: logIndex,
		}
		w.Reset(nil)
		rec.encode(w)
		kbuf, vbuf = appendPosKey(kbuf[:0], prefixReceipt, n, uint32(i)), w.AppendToBytes(vbuf[:0])
		put(kbuf, vbuf)
		filled[i] = fillReceipt(r, rec, n, hash, uint64(i))
		logIndex += uint64(len(r.Logs))
	}
	txKeys := make([][]byte, 0, len(b.Txs))
	var nonceKeys [][]byte
	for i, tx := range b.Txs {
		txHash := tx.Hash()
		kbuf, vbuf = appendTxIndexKey(kbuf[:0], txHash), appendPosKey(vbuf[:0], nil, n, uint32(i))
		put(kbuf, vbuf)
		txKeys = append(txKeys, txHash[:])
	}
	for _, tx := range b.Txs {
		if nat := tx.Native(); nat != nil && nat.Nonce != nil {
			put(nonceKey(nat.Nonce), be64(n))
			nonceKeys = append(nonceKeys, nat.Nonce.Bytes())
		}
	}
	if err != nil {
		return fmt.Errorf("ledger: preparing block %d: %w", n, err)
	}
	if state != nil {
		apply := state.ApplyTo
		if lw, ok := state.(latestStateWrites); ok && l.latestOnly {
			apply = lw.ApplyLatest
		}
		if err := apply(stateWriter{batch}); err != nil {
			return fmt.Errorf("ledger: applying state writes of block %d: %w", n, err)
		}
	}
	if err := batch.Put(keyHead, encodeHead(n, hash)); err != nil {
		return fmt.Errorf("ledger: preparing block %d: %w", n, err)
	}
	// Into the filters before storage: a key readable in storage must never
	// be missing from them (if the commit fails, the keys stay there
	// harmlessly).
	l.committedTxs.Add(txKeys...)
	l.usedNonces.Add(nonceKeys...)
	commit := batch.Commit
	if !sync {
		commit = batch.CommitNoSync
	}
	if err := commit(); err != nil {
		return fmt.Errorf("ledger: committing block %d: %w", n, err)
	}
	head := *hdr // the caller keeps b; a later change to it must not move our head
	l.head.Store(&headState{header: &head, hash: hash})
	l.logger.Debug("committed block", "number", n, "hash", hash, "txs", len(b.Txs), "synced", sync,
		"batch_bytes", batch.Size(), "took", time.Since(start))
	l.notify(&CommitEvent{Block: b, Hash: hash, Receipts: filled})
	return nil
}

func (l *Ledger) checkExtendsHead(hdr *types.Header) error {
	hs := l.head.Load()
	if hs == nil {
		if hdr.Number != 0 {
			return fmt.Errorf("%w: the ledger is empty, so the first block must be the genesis block 0, got %d", ErrNotNextBlock, hdr.Number)
		}
		return nil
	}
	if hdr.Number != hs.header.Number+1 {
		return fmt.Errorf("%w: head is %d, got block %d", ErrNotNextBlock, hs.header.Number, hdr.Number)
	}
	if hdr.ParentHash != hs.hash {
		return fmt.Errorf("%w: block %d names parent %s, head %d is %s", ErrWrongParent, hdr.Number, hdr.ParentHash, hs.header.Number, hs.hash)
	}
	return nil
}

// checkContents verifies the header commits to the txs and receipts given
// (through roots when it matches them) and that no tx is repeated; it
// returns the receipts' encodings.
func (l *Ledger) checkContents(b *types.Block, receipts []*types.Receipt, senders []common.Address, roots *types.BlockRoots) ([][]byte, error) {
	hdr := b.Header
	seen := make(map[common.Hash]struct{}, len(b.Txs))
	for i, tx := range b.Txs {
		h := tx.Hash()
		if _, dup := seen[h]; dup {
			return nil, fmt.Errorf("%w: tx %s appears twice in block %d", ErrDuplicateTx, h, hdr.Number)
		}
		seen[h] = struct{}{}
		if a, ok := tx.CachedSender(); ok && a != senders[i] {
			return nil, fmt.Errorf("%w: block %d tx %d was verified as sent by %s, but the sender given is %s", ErrInconsistentBlock, hdr.Number, i, a, senders[i])
		}
		ok, err := l.TxCommitted(h)
		if err != nil {
			return nil, err
		}
		if ok {
			return nil, fmt.Errorf("%w: tx %s in block %d", ErrDuplicateTx, h, hdr.Number)
		}
	}
	if roots.Match(l.hasher, hdr, b.Txs, receipts) {
		return roots.ReceiptEncodings(), nil
	}
	if root := types.TxRoot(l.hasher, b.Txs); root != hdr.TxRoot {
		return nil, fmt.Errorf("%w: block %d header tx root %s, txs give %s", ErrInconsistentBlock, hdr.Number, hdr.TxRoot, root)
	}
	enc := make([][]byte, len(receipts))
	leaves := make([]common.Hash, len(receipts))
	for i, r := range receipts {
		enc[i] = types.EncodeReceipt(r)
		leaves[i] = types.MerkleLeaf(l.hasher, enc[i])
	}
	if root := types.MerkleRoot(l.hasher, leaves); root != hdr.ReceiptRoot {
		return nil, fmt.Errorf("%w: block %d header receipt root %s, receipts give %s", ErrInconsistentBlock, hdr.Number, hdr.ReceiptRoot, root)
	}
	if bloom := types.LogsBloom(receipts); bloom != hdr.LogsBloom {
		return nil, fmt.Errorf("%w: block %d header logs bloom does not match its receipts' logs", ErrInconsistentBlock, hdr.Number)
	}
	return enc, nil
}

// fillReceipt returns a copy of r with the derived fields set.
func fillReceipt(r *types.Receipt, rec *receiptRecord, n uint64, blockHash common.Hash, index uint64) *types.Receipt {
	c := *r
	c.TxHash = rec.TxHash
	c.BlockNumber = n
	c.BlockHash = blockHash
	c.TxIndex = index
	c.CumulativeGasUsed = rec.CumulativeGasUsed
	c.From = rec.From
	c.To = nil
	if rec.To != nil {
		to := *rec.To
		c.To = &to
	}
	return &c
}

// stateWriter passes state writes into the commit batch, refusing any that
// would land in the ledger's key space.
type stateWriter struct{ b storage.Batch }

func (w stateWriter) Put(k, v []byte) error {
	if bytes.HasPrefix(k, []byte(Prefix)) {
		return fmt.Errorf("%w: key %q", ErrStateKeyInLedgerSpace, k)
	}
	return w.b.Put(k, v)
}

func (w stateWriter) Delete(k []byte) error {
	if bytes.HasPrefix(k, []byte(Prefix)) {
		return fmt.Errorf("%w: key %q", ErrStateKeyInLedgerSpace, k)
	}
	return w.b.Delete(k)
}

// Close ends every subscription and refuses further commits. Reads keep
// working until the KV is closed; the caller closes the KV.
func (l *Ledger) Close() error {
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	if l.closed.Swap(true) {
		return nil
	}
	close(l.loadStop)
	<-l.loadDone
	l.subsMu.Lock()
	for s := range l.subs {
		delete(l.subs, s)
		close(s.ch)
	}
	l.subsMu.Unlock()
	return nil
}
