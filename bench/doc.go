// Package bench is gobcos' load generator and the measure of its physical
// ceiling.
//
// Run pre-signs every transaction of a workload (value transfers, ERC-20
// transfers, key-value writes or a mix, with a chosen share of txs touching
// one hot account or slot), sends them over several connections at a set
// rate (one tx per request, or with Config.Batch the txs due on a
// connection together as a standard JSON-RPC 2.0 batch; over ws:// URLs
// on WebSocket connections), follows new blocks through an
// eth_subscribe("newHeads") subscription, fetches each block's receipts
// once, and reports committed TPS, latency percentiles and errors by kind
// (per tx, also in a batch). During the timed phase a probe times
// Keccak-256 hashes every half second in its thread's CPU time (Speed):
// on a shared or virtual machine the cores' speed varies with what else
// the host runs, and the probe tells runs on slowed cores apart. Given
// the nodes' Prometheus addresses (Config.Metrics), it also reports the
// CPU time the nodes used during the timed phase, per committed tx
// (NodeCPU), and each node's memory after it. Over
// http:// URLs the requests of the timed phase are encoded before it
// starts, posted on connections the bench writes and reads itself (no
// handovers between goroutines per request), and the answers read
// selectively (of a receipt, only its tx hash and status), so that the
// bench takes little CPU from a node on the same machine. For Ethereum-format txs it
// speaks only standard Ethereum JSON-RPC, so it runs unchanged against any
// Ethereum-compatible node; on SM chains it sends native txs with
// bcos_sendTransaction.
//
// Before the timed phase, the setup funds the accounts with what their
// txs spend: the funding account gives up to 48 intermediate accounts
// (fresh keys, never senders of the workload) their shares, and these
// fund the accounts in parallel, each within the nodes' bound on a
// sender's pending txs, so that the funding takes two or three rounds of
// blocks whatever the account count. Setup txs are followed to their
// receipts through the same blocks the timed phase follows. Nodes price
// gas differently, so the gas limits of the deployments, the token mints
// and the workload's contract calls are the node's eth_estimateGas with a
// quarter of headroom (never below fixed limits, which a node without
// eth_estimateGas gets), and a mint funds as many accounts as keep it
// within the node's per-tx gas and fee caps; the setup therefore deploys
// and mints before it funds the accounts.
//
// Ceiling measures how many tx signatures a core verifies per second with
// the code path the txpool uses (types.Transaction.Verify), per crypto
// suite, with every core verifying at once (one worker a core), as every
// core of a loaded cluster works, timed in slices with the garbage
// collector run between them (the checks' cost, not the collector's) and
// with a spare P, so that the Go runtime does not hand a P on while an
// ECDSA check is in libsecp256k1 (the checks' cost, not the runtime's); it
// also gives one core's rate with the others idle, which is higher on a
// machine whose cores slow each other down or differ. Every node verifies every tx once, so a cluster of n
// nodes on c cores cannot commit more than c / (n x verify cost) txs per
// second, the verify cost being the all-cores one; every result is also
// reported as a fraction of that ceiling.
package bench
