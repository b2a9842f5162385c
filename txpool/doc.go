// Package txpool admits transactions into a group's pool of pending
// transactions and hands executable batches to the sealer.
//
// Admission runs in two steps. Signatures are checked first, in parallel on
// a bounded number of worker goroutines and in batches, without holding
// any lock, by the node's txverify.Verifier (Config.Verifier): it caches
// the sender on the tx and by tx hash, so a tx is verified once per node,
// not again when a block carrying it is validated or executed.
// Then, under the pool's lock, each tx meets the admission rules: not
// already known or committed, the chain's replay protection (account
// nonces for Ethereum-signed txs, block limit and unused random nonce for
// native txs), gas and size limits, and the pool's capacity by count, by
// bytes and per sender.
//
// Ethereum txs whose nonce is ahead of the account's next nonce are kept
// queued (up to Config.MaxNonceGap ahead) and become executable in order
// once the gap fills. Pending returns executable txs interleaved by arrival
// order, deterministically. OnCommitted is called after every committed
// block: it removes the block's txs, promotes queued txs, and drops native
// txs whose block limit has passed and Ethereum txs whose nonce is stale.
// A native tx does not carry its sender's account nonce but, once executed,
// advances it: after a block, the pool re-reads the account nonce of every
// sender in it (Ethereum or native) it holds Ethereum txs of.
//
// The pool reaches the chain only through the small Chain interface, so it
// is tested without a ledger. A Chain may also implement FrozenAccounts
// (the pool refuses frozen senders) and TxGasLimits (the pool refuses txs
// over the tx_gas_limit in force and drops those a lowered limit leaves
// above it).
//
// Journal (journal.go) keeps transactions on disk for a node to admit
// again after a restart: appended record by record (length, CRC-32C,
// encoding) as clients send them, and rewritten from time to time to what
// the pool holds. Reading stops at the first record cut short or failing
// its checksum, and the file is truncated there, so a node killed while
// appending loses only that record.
package txpool
