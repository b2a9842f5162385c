package enginetest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/types"
)

// Errors of the fake application.
var (
	ErrBadTx     = errors.New("transaction does not decode")
	ErrDupTx     = errors.New("transaction already committed or pending")
	ErrBadAppend = errors.New("block does not extend the ledger")
)

// Block is a committed block as a fake ledger keeps it.
type Block struct {
	Header *types.Header
	Txs    [][]byte
}

// txMagic starts every fake transaction.
const txMagic = "gtx1"

// MakeTx encodes the fake transaction with the given id: a magic prefix,
// the id and a checksum, so that random bytes do not decode.
func MakeTx(h types.Hasher, id uint64) []byte {
	b := make([]byte, 0, 16)
	b = append(b, txMagic...)
	b = binary.BigEndian.AppendUint64(b, id)
	sum := h.Hash(b)
	return append(b, sum[:4]...)
}

// DecodeTx returns the id of a fake transaction.
func DecodeTx(h types.Hasher, b []byte) (uint64, error) {
	if len(b) != 16 || string(b[:4]) != txMagic {
		return 0, ErrBadTx
	}
	sum := h.Hash(b[:12])
	if string(sum[:4]) != string(b[12:]) {
		return 0, ErrBadTx
	}
	return binary.BigEndian.Uint64(b[4:12]), nil
}

// Genesis is the genesis header of every simulated chain.
func Genesis(h types.Hasher) *types.Header {
	return &types.Header{Number: 0, Timestamp: 0, StateRoot: h.Hash([]byte("enginetest genesis")), GasLimit: 1 << 30}
}

// Execute is the deterministic fake executor: it builds the header of txs
// executed on parent. The state root chains the parent's root and the txs.
func Execute(h types.Hasher, parent *types.Header, timestamp uint64, sealer common.Address, txs [][]byte) *types.Header {
	parts := [][]byte{parent.StateRoot[:]}
	parts = append(parts, txs...)
	txParts := append([][]byte{[]byte("txs")}, txs...)
	state := h.Hash(parts...)
	return &types.Header{
		ParentHash:  parent.Hash(h),
		Number:      parent.Number + 1,
		Timestamp:   timestamp,
		TxRoot:      h.Hash(txParts...),
		ReceiptRoot: h.Hash([]byte("receipts"), state[:]),
		StateRoot:   state,
		GasUsed:     uint64(len(txs)) * 21000,
		GasLimit:    parent.GasLimit,
		Sealer:      sealer,
	}
}

// Ledger is a replica's durable chain; it survives crashes.
type Ledger struct {
	hasher types.Hasher
	blocks []*Block // by number; blocks[0] holds the genesis header
	txAt   map[uint64]uint64
	// durable is the number of blocks a crash keeps: blocks appended by
	// AppendUnsynced after them are lost by a crash unless a Sync (or a
	// synced Append) came first.
	durable int
}

// NewLedger starts a ledger at the genesis header.
func NewLedger(h types.Hasher, genesis *types.Header) *Ledger {
	return &Ledger{hasher: h, blocks: []*Block{{Header: genesis}}, txAt: make(map[uint64]uint64), durable: 1}
}

// Head is the latest committed header.
func (l *Ledger) Head() *types.Header { return l.blocks[len(l.blocks)-1].Header }

// Height is the number of the latest committed block.
func (l *Ledger) Height() uint64 { return uint64(len(l.blocks) - 1) }

// Block returns block number n, or nil.
func (l *Ledger) Block(n uint64) *Block {
	if n >= uint64(len(l.blocks)) {
		return nil
	}
	return l.blocks[n]
}

// Committed reports whether the fake tx with id is in the chain.
func (l *Ledger) Committed(id uint64) bool { _, ok := l.txAt[id]; return ok }

// Append commits b on top of the head, durably: it and every block
// before it survive crashes. It checks the link and that no transaction
// repeats, and never half-applies a block.
func (l *Ledger) Append(b *Block) error {
	if err := l.AppendUnsynced(b); err != nil {
		return err
	}
	l.Sync()
	return nil
}

// AppendUnsynced is Append without sync: a crash loses b unless a Sync
// or a synced Append follows it, as a store's log written in order
// would.
func (l *Ledger) AppendUnsynced(b *Block) error {
	head := l.Head()
	if b.Header.Number != head.Number+1 || b.Header.ParentHash != head.Hash(l.hasher) {
		return fmt.Errorf("%w: block %d on head %d", ErrBadAppend, b.Header.Number, head.Number)
	}
	ids := make(map[uint64]bool, len(b.Txs))
	for i, tx := range b.Txs {
		id, err := DecodeTx(l.hasher, tx)
		if err != nil {
			return fmt.Errorf("block %d tx %d: %w", b.Header.Number, i, err)
		}
		if ids[id] || l.Committed(id) {
			return fmt.Errorf("%w: block %d repeats tx %d", ErrDupTx, b.Header.Number, id)
		}
		ids[id] = true
	}
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		l.txAt[id] = b.Header.Number
	}
	l.blocks = append(l.blocks, b)
	return nil
}

// Sync makes every block appended so far durable.
func (l *Ledger) Sync() { l.durable = len(l.blocks) }

// loseUnsynced drops the blocks a crash loses (those after the last
// Sync) and returns how many.
func (l *Ledger) loseUnsynced() int {
	lost := l.blocks[l.durable:]
	for _, b := range lost {
		for _, tx := range b.Txs {
			if id, err := DecodeTx(l.hasher, tx); err == nil {
				delete(l.txAt, id)
			}
		}
	}
	clear(lost)
	l.blocks = l.blocks[:l.durable]
	return len(lost)
}

// CheckTxs is the txpool's verdict on a proposal's transactions: each
// decodes, none repeats, none is committed or in pending.
func CheckTxs(h types.Hasher, l *Ledger, pending [][][]byte, txs [][]byte) error {
	inPending := make(map[uint64]bool)
	for _, p := range pending {
		for _, tx := range p {
			if id, err := DecodeTx(h, tx); err == nil {
				inPending[id] = true
			}
		}
	}
	seen := make(map[uint64]bool, len(txs))
	for i, tx := range txs {
		id, err := DecodeTx(h, tx)
		if err != nil {
			return fmt.Errorf("tx %d: %w", i, err)
		}
		if seen[id] || inPending[id] || l.Committed(id) {
			return fmt.Errorf("%w: tx %d (id %d)", ErrDupTx, i, id)
		}
		seen[id] = true
	}
	return nil
}

// Store is a replica's durable key-value store for consensus state; it
// survives crashes.
type Store struct{ m map[string][]byte }

// NewStore makes an empty store.
func NewStore() *Store { return &Store{m: make(map[string][]byte)} }

// Get returns a copy of the value of key, or nil.
func (s *Store) Get(key string) []byte { return slices.Clone(s.m[key]) }

// Put stores a copy of value under key (durably, in the simulation).
func (s *Store) Put(key string, value []byte) { s.m[key] = slices.Clone(value) }

// Delete removes key.
func (s *Store) Delete(key string) { delete(s.m, key) }

// Pool is the shared fake txpool: transactions are submitted once and
// become visible to each replica at its own tick (gossip delay).
type Pool struct {
	hasher types.Hasher
	txs    []poolTx
	byID   map[uint64]int
	cursor []int // per replica: txs before it are committed in its ledger
}

type poolTx struct {
	id   uint64
	data []byte
	at   []uint64 // tick at which each replica sees it
}

func newPool(h types.Hasher, n int) *Pool {
	return &Pool{hasher: h, byID: make(map[uint64]int), cursor: make([]int, n)}
}

func (p *Pool) submit(id uint64, at []uint64) {
	p.byID[id] = len(p.txs)
	p.txs = append(p.txs, poolTx{id: id, data: MakeTx(p.hasher, id), at: at})
}

// Submitted reports whether id was submitted.
func (p *Pool) Submitted(id uint64) bool { _, ok := p.byID[id]; return ok }

// Available returns up to max transactions replica sees at tick now that
// are neither committed in l nor in exclude, oldest first.
func (p *Pool) Available(replica int, now uint64, l *Ledger, exclude [][][]byte, max int) [][]byte {
	ex := make(map[uint64]bool)
	for _, e := range exclude {
		for _, tx := range e {
			if id, err := DecodeTx(p.hasher, tx); err == nil {
				ex[id] = true
			}
		}
	}
	for p.cursor[replica] < len(p.txs) && l.Committed(p.txs[p.cursor[replica]].id) {
		p.cursor[replica]++
	}
	var out [][]byte
	for _, tx := range p.txs[p.cursor[replica]:] {
		if len(out) >= max {
			break
		}
		if tx.at[replica] <= now && !ex[tx.id] && !l.Committed(tx.id) {
			out = append(out, tx.data)
		}
	}
	return out
}
