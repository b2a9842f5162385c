// Package blockstm runs the transactions of a block in parallel with
// optimistic concurrency, after Block-STM (Gelashvili et al., "Block-STM:
// Scaling Blockchain Execution by Turning Ordering Curse to a Performance
// Blessing", 2022), and keeps the result equal to running them one after
// the other in block order.
//
// The package knows nothing of the EVM. Its caller executes one
// incarnation of one transaction at a time (an ExecFunc): it reads every
// key through MVMemory.Read (or its worker's Cache, which finds the keys
// shared between transactions without the memory's locks) and returns the
// reads (each with the version it saw) and the keys it wrote.
//
//   - MVMemory is the multi-version memory: for every key, its value in
//     the block's starting state (read once, through a BaseFunc) and the
//     value written by each transaction's latest incarnation. A read by
//     transaction i sees the write of the highest transaction below i, or
//     the starting value. When a transaction is aborted its writes become
//     estimate markers; a later transaction reading one stops and waits
//     for the writer (a dependency) instead of running on a value that is
//     probably about to change.
//   - The scheduler hands out execution and validation tasks in
//     transaction order (lowest index first) to a fixed set of workers.
//     After a transaction executes, it and every later transaction are
//     validated: a validation re-reads the transaction's read set and
//     fails when any read would now see another version. A failed
//     validation aborts the incarnation, marks its writes as estimates and
//     schedules the next incarnation. The run ends when every transaction
//     has executed and passed validation with no task left.
//
// When Run returns without error, every transaction's last incarnation ran
// on exactly the values serial execution would have given it, so its
// outputs (and MVMemory.Snapshot, the last write to each key) are those of
// serial execution.
package blockstm
