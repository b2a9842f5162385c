// Package state is the world state of one group: accounts (nonce, balance,
// code hash), contract code by hash and storage slots, kept as a flat key
// space in the group's storage.KV under the "s/" prefix (the ledger uses
// other prefixes).
//
// StateDB implements go-ethereum's vm.StateDB over a storage.Reader holding
// the committed state. It reads lazily, buffers every change in memory and
// never writes to storage itself: after a block the caller takes the block's
// net changes with WriteSet, a sorted, deterministic list of puts and
// deletes, applies them with WriteSet.ApplyTo inside the ledger's commit
// batch, and commits to them with WriteSet.Root, which hashes the write set
// chained to the parent block's root (in parts of 256 writes, which
// WriteSet.ParallelRoot hashes on several goroutines; FlatRoot is the one
// pass of chains below compatibility version 0.5.0). Committing therefore
// costs O(changes), not O(state), and the same transactions on the same
// state always give a bit-identical write set and root.
//
// Semantics follow Ethereum from Cancun on: a journal makes every change
// revertible to a Snapshot; transient storage (EIP-1153) and access lists
// (EIP-2929/2930) are per transaction; SELFDESTRUCT deletes an account only
// when it was created in the same transaction (EIP-6780); accounts that end a
// transaction touched and empty are deleted (EIP-161). Code hashes are always
// Keccak-256, as EXTCODEHASH requires, whatever the chain's crypto suite.
//
// ApplyTo also keeps the state's history, an index outside the root: for
// every account and slot a block writes, an entry keyed by the block number,
// so AtBlock can answer reads as of the end of any earlier block (archive
// reads for eth_call and the state queries at a past block). History is
// kept for every block and never pruned.
//
// Reader gives read-only access to the committed state for RPC; over
// AtBlock's view it reads the state of a past block.
//
// Overlay reads the state of blocks executed but not yet committed: their
// write sets layered over the committed store, so that a block can execute
// while its parent's commit is under way.
//
// Cache keeps committed accounts, code and slots in memory for readers of
// the latest state (or a snapshot of it): every commit goes through it, and
// it serves a reader only values that hold at the reader's state. Its
// filter of the keys that exist answers reads of keys that never existed
// without a store read.
package state
