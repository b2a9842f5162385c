// Package ledger is a group's block store: headers, transactions, receipts
// and their indexes (tx hash -> position, block hash -> number, native
// nonce -> block), the chain head, Merkle proofs of transactions and
// receipts, log queries, and notifications of new blocks.
//
// A block is committed together with its receipts, its state writes
// (produced by package state) and the new head in one storage batch synced
// to disk, so after a crash the ledger holds either all of a block or
// none of it. The ledger writes only keys under the prefix "l/" of the
// group's storage.KV; package state owns "s/".
//
// Every committed tx hash and native nonce is also held in an in-memory
// Bloom filter (about 1.25 to 2.5 bytes per key), so that TxCommitted and
// NativeNonceUsed answer for a tx never committed, what a node asks for
// almost every tx it receives and again at every commit, without reading
// storage. Open starts loading the filters from the indexes on a goroutine
// (about 0.5 s per million txs here); until they are loaded, lookups read
// storage.
//
// A Ledger is safe for concurrent use: RPC reads run while the consensus
// engine commits.
package ledger
