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
// tells the txpool. Between two blocks it waits Config.MinSealInterval.
// A failed execution or commit is logged and retried after a back-off;
// it never panics.
package solo
