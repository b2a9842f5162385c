package solo

import (
	"context"
	"log/slog"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/types"
)

// sealed is a block executed and signed, not yet committed.
type sealed struct {
	block   *types.Block
	hash    common.Hash
	res     *consensus.Result
	roots   *types.BlockRoots // what the header commits to of the txs and receipts
	senders []common.Address
	// For the tracer: when sealing started, and the time spent taking the
	// txs and executing them.
	start      time.Time
	seal, exec time.Duration
}

// inflight is a block whose commit runs in its own goroutine. Nothing is
// told of it (txpool, status, tracer, log) before settle has seen the
// commit succeed: a block is announced only once it is durable.
type inflight struct {
	*sealed
	state     any
	committed time.Time // when the commit started
	took      time.Duration
	done      chan error // the commit's result, sent once
	result    error      // set once received
	received  bool
	// What the next block must leave out: the txs of this block, the
	// native nonces it uses, and the (sender, nonce) of its Ethereum txs.
	hashes map[common.Hash]bool
	nonces map[string]bool
	eth    map[ethNonce]bool
}

type ethNonce struct {
	from  common.Address
	nonce uint64
}

// startCommit commits s in a new goroutine.
func (e *Engine) startCommit(s *sealed) *inflight {
	fl := &inflight{
		sealed: s, state: s.res.State, committed: time.Now(), done: make(chan error, 1),
		hashes: make(map[common.Hash]bool, len(s.block.Txs)),
		nonces: make(map[string]bool), eth: make(map[ethNonce]bool, len(s.block.Txs)),
	}
	for i, tx := range s.block.Txs {
		fl.hashes[tx.Hash()] = true
		if n := tx.Native(); n != nil && n.Nonce != nil {
			fl.nonces[nativeKey(n.Nonce)] = true
		}
		if tx.IsEthereum() {
			fl.eth[ethNonce{s.senders[i], tx.Nonce()}] = true
		}
	}
	go func() {
		err := e.ledger.Commit(s.block, s.res.Receipts, s.senders, s.res.State, s.roots)
		fl.took = time.Since(fl.committed)
		fl.done <- err
	}()
	return fl
}

// settle waits for fl's commit (even if ctx ended: a commit under way
// completes) and, when it succeeded, tells the txpool, the status, the
// tracer and the log, in block order since blocks are settled in order.
func (e *Engine) settle(ctx context.Context, fl *inflight) error {
	if !fl.received {
		fl.result, fl.received = <-fl.done, true
	}
	header := fl.block.Header
	if fl.result != nil {
		return fl.result
	}
	if e.tracer != nil {
		e.tracer.BlockTraced(consensus.BlockTrace{
			Number: header.Number, Hash: fl.hash, Txs: len(fl.block.Txs), Proposer: true,
			Phases:  []consensus.PhaseTime{{Name: consensus.PhaseSeal, Took: fl.seal}},
			Execute: fl.exec, Commit: fl.took, Total: fl.committed.Add(fl.took).Sub(fl.start),
		})
	}
	e.txs.OnCommitted(fl.block)

	e.life.Lock()
	e.life.Status.Height = header.Number
	e.life.Status.BlockHash = fl.hash
	e.life.Status.LastBlockTime = time.Now()
	e.life.Unlock()
	level := slog.LevelInfo
	if e.tracer != nil {
		level = slog.LevelDebug // the tracer logs the block's flow line
	}
	e.log.Log(ctx, level, "block committed", "number", header.Number, "hash", fl.hash, "txs", len(fl.block.Txs),
		"gasUsed", header.GasUsed, "elapsed", time.Since(fl.start))
	return nil
}

// nextTxs returns the txs of the block after fl (or after the head): at
// most rules.MaxTxs sealable pending txs, leaving out, while fl is not
// committed (the txpool still holds its txs), fl's txs and those it makes
// stale: a native nonce fl uses, an Ethereum (sender, nonce) fl uses, a
// native block limit fl's height reaches. The txpool drops those once
// told of fl's commit.
func (e *Engine) nextTxs(rules consensus.Rules, fl *inflight) []*types.Transaction {
	if fl == nil {
		return sealable(e.txs.Pending(rules.MaxTxs), rules)
	}
	parent := fl.block.Header.Number
	all := e.txs.Pending(rules.MaxTxs + len(fl.block.Txs))
	out := all[:0:0]
	for _, tx := range all {
		if len(out) == rules.MaxTxs {
			break
		}
		if fl.hashes[tx.Hash()] {
			continue
		}
		if n := tx.Native(); n != nil && ((n.Nonce != nil && fl.nonces[nativeKey(n.Nonce)]) || n.BlockLimit <= parent) {
			continue
		}
		if tx.IsEthereum() {
			if from, ok := tx.CachedSender(); ok && fl.eth[ethNonce{from, tx.Nonce()}] {
				continue
			}
		}
		out = append(out, tx)
	}
	return sealable(out, rules)
}

func nativeKey(n *big.Int) string { return string(n.Bytes()) + "/" + n.String() }
