// Package txverify checks transaction signatures once per node.
//
// A Verifier is owned by a node (one per group: it is bound to the
// group's crypto suite, chain id and group id) and shared by everything in
// that node that needs a transaction's sender: the txpool at admission
// (client and gossip txs), the consensus engines when they validate a
// proposal or a block, the executor, and block sync through the executor.
// A transaction decoded again from a proposal or a block is a new object
// without the sender that types.Transaction.Verify caches on the object,
// so the Verifier also remembers the senders it established in a bounded
// cache keyed by transaction hash: a transaction admitted to the pool is
// not verified again when a proposal carrying it is validated, executed
// or synced.
//
// Why the key is sound: a transaction's hash is computed locally from its
// whole canonical encoding, signature included (Keccak-256 of the
// Ethereum encoding with v, r, s; the suite's hash of the native encoding
// with its public key and signature), never taken from a peer. Equal
// hashes therefore mean equal bytes, and the outcome of
// types.Transaction.Verify depends only on those bytes and on the suite,
// chain id and group id the Verifier is bound to; no height or state is
// involved. Only successes are cached, so the cache can make a valid
// transaction cheaper, never an invalid one valid: a tampered transaction
// has another hash and is verified in full.
//
// VerifyBatch spreads the transactions not yet known over a bounded set of
// worker goroutines (GOMAXPROCS by default, shared by all concurrent
// calls) and returns one result per transaction, in order.
package txverify
