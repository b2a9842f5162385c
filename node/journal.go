package node

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/gobcos/gobcos/txpool"
	"github.com/gobcos/gobcos/types"
)

// The tx journal ([txpool] journal): the txs clients send the node are
// appended to data_dir/txpool.journal once the pool accepted them, before
// the node answers; every journalInterval the file is rewritten to what
// the pool holds then (its gossiped txs included, and without the txs
// committed since). A node killed with txs it had accepted and not yet
// committed, or not yet gossiped, offers them again when it restarts:
// Start admits the journal's txs to the pool before it serves clients.

const (
	journalFile     = "txpool.journal"
	journalInterval = 5 * time.Second
	// journalRestoreChunk is how many journal txs one pool admission
	// takes while restoring (their signatures are checked together).
	journalRestoreChunk = 1000
)

// txSourceJournal labels the pool admissions of a restored journal.
const txSourceJournal = "journal"

// openJournal opens the node's journal and admits the txs it holds to the
// pool (those already committed are skipped without a signature check),
// then rewrites it to what the pool holds. A journal that cannot be used
// is logged and the node runs without one: the txs it held were already
// accepted, and refusing to start would not bring them back.
func (n *Node) openJournal(ctx context.Context) {
	path := filepath.Join(n.cfg.Path(n.cfg.DataDir), journalFile)
	log := n.logger.With("module", "txpool", "journal", path)
	j, got, err := txpool.OpenJournal(path, n.suite)
	if err != nil {
		log.Error("running without a tx journal: txs accepted now are lost if the node is killed before they are committed", "err", err)
		return
	}
	if got.MovedAside != "" {
		log.Warn("the tx journal was not a journal; moved it aside and began a new one", "moved_to", got.MovedAside)
	}
	if got.TornBytes > 0 {
		log.Warn("dropped the end of the tx journal: a record cut short (the node stopped while writing it) or damaged",
			"torn_bytes", got.TornBytes)
	}
	if got.Undecodable > 0 {
		log.Warn("skipped tx journal records that are not txs", "records", got.Undecodable)
	}
	if len(got.Txs) > 0 {
		n.restoreJournal(ctx, got.Txs, log)
	}
	pooled := n.pool.Content()
	if err := j.Rotate(pooled); err != nil {
		log.Error("rewriting the tx journal", "err", err)
	}
	n.journal = j
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.journalLoop(ctx, len(pooled))
	}()
}

// restoreJournal admits txs, read from the journal, to the pool and
// queues the accepted ones for gossip.
func (n *Node) restoreJournal(ctx context.Context, txs []*types.Transaction, log *slog.Logger) {
	start := time.Now()
	log.Info("restoring txs from the tx journal", "txs", len(txs))
	todo := txs[:0:0]
	committed := 0
	for _, tx := range txs {
		if ok, err := n.ledger.TxCommitted(tx.Hash()); err == nil && ok {
			committed++
			continue
		}
		todo = append(todo, tx)
	}
	accepted, refused := 0, 0
	logged := time.Now()
	for i := 0; i < len(todo); i += journalRestoreChunk {
		if time.Since(logged) >= 5*time.Second {
			log.Info("restoring txs from the tx journal", "done", i, "of", len(todo))
			logged = time.Now()
		}
		chunk := todo[i:min(i+journalRestoreChunk, len(todo))]
		for k, err := range n.addTxs(ctx, chunk, txSourceJournal) {
			if err != nil {
				refused++ // already pooled, stale, expired: the pool said why in its metrics
				continue
			}
			accepted++
			n.gossipTx(chunk[k])
		}
	}
	log.Info("restored txs from the tx journal", "pooled", accepted, "already_committed", committed, "refused", refused,
		"took", time.Since(start).Round(time.Millisecond))
}

// journalLoop rewrites the journal to the pool's txs every
// journalInterval while txs were appended or the last rewrite kept some
// (kept is how many the first one kept); closeJournal makes the last
// rewrite, once the engine has stopped committing.
func (n *Node) journalLoop(ctx context.Context, kept int) {
	t := time.NewTicker(journalInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n.journal.Appended() == 0 && kept == 0 {
			continue
		}
		pooled := n.pool.Content()
		kept = len(pooled)
		if err := n.journal.Rotate(pooled); err != nil {
			n.logger.Error("rewriting the tx journal", "module", "txpool", "err", err)
		}
	}
}

// journalAccepted appends txs a client sent, which the pool accepted, to
// the journal.
func (n *Node) journalAccepted(txs []*types.Transaction) {
	if n.journal == nil || len(txs) == 0 {
		return
	}
	if err := n.journal.Append(txs); err != nil {
		// At most one line per journalInterval: a full disk fails every
		// append, and the log may share that disk.
		now, last := time.Now().UnixNano(), n.journalFailedAt.Load()
		if now-last >= int64(journalInterval) && n.journalFailedAt.CompareAndSwap(last, now) {
			n.logger.Error("appending to the tx journal: txs accepted now are lost if the node is killed before they are committed",
				"module", "txpool", "txs", len(txs), "err", err)
		}
	}
}

// closeJournal rewrites the journal a last time, to what the pool holds
// once the engine stopped, and closes it.
func (n *Node) closeJournal() error {
	if n.journal == nil {
		return nil
	}
	if err := n.journal.Rotate(n.pool.Content()); err != nil {
		n.logger.Error("rewriting the tx journal", "module", "txpool", "err", err)
	}
	return n.journal.Close()
}
