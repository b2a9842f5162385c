// Package solo is the single-sealer consensus engine: one node orders,
// executes and commits every block of its group alone. It suits
// development chains and groups run by a single organisation; it
// tolerates no faults.
//
// The engine seals no empty blocks. It waits on the txpool's
// notification, takes at most Config.MaxTxsPerBlock executable txs (and
// no more declared gas than Config.BlockGasLimit), executes them on the
// head's state, builds the header, signs its hash as sealer 0 (the
// block's commit certificate), commits the block to the ledger and then
// tells the txpool. Between two blocks it waits Config.MinSealInterval
// (then the chain's rules) from the last commit, unless the pool holds a
// full block: the interval spaces the blocks of a light load and does not
// slow a heavy one.
// A failed execution or commit is logged and retried after a back-off;
// it never panics.
//
// Overlap (pipeline.go): when the Executor implements
// consensus.PendingExecutor and Config.Serial is unset, a block's commit
// (and its fsync) runs in its own goroutine while the next block, made of
// pending txs other than those of the block being committed (and of txs
// that block makes stale), executes on top of it. At most one block is
// being committed: the next one's commit starts only once the previous
// one's returned success, and the txpool, the engine's status, the tracer
// and the log hear of a block only once its commit returned, in block
// order. When the commit fails, the block executed on top of it is
// discarded (its txs stay in the pool) and sealing resumes from the
// committed head after the back-off; when the next block cannot run on the
// pending one (the executor refuses, e.g. because the pending block
// changes governance state below compatibility version 0.4.0), or when
// the rules of the next block cannot be read before the pending block is
// committed (Params.Rules answers consensus.ErrRulesPending: the node's
// does below 0.4.0, where a block's governance changes apply from the
// next one), the engine waits for the commit and seals on the new head. With a minimum seal interval, blocks do not overlap. A
// node runs Solo serially unless its config sets [solo] overlap_commit:
// on a 2-core machine at full load the overlap gave fewer TPS (smaller
// blocks, more CPU per tx) and lower tail latency (BENCHMARKS.md).
package solo
