// Package sdk is the Go client of gobcos nodes.
//
// A Client talks JSON-RPC to one node over HTTP or WebSocket (go-ethereum's
// rpc client): it learns the chain's crypto suite, chain id, group id and
// block-limit window from bcos_getChainInfo, builds and signs native
// transactions with keys of either suite (or Ethereum transactions on
// ECDSA chains), waits for receipts, deploys and calls contracts through
// go-ethereum's ABI package, decodes revert reasons and custom errors,
// subscribes to logs (eth_subscribe over WebSocket, a polling filter over
// HTTP) and verifies transaction and receipt Merkle proofs.
//
// Block limits. A native transaction is valid only while the chain height
// is below its block limit, and the limit may be at most the height plus
// the chain's window. The Client caches the height: over WebSocket a
// newHeads subscription keeps it current; otherwise it is re-read with
// eth_blockNumber when older than the maximum age (WithHeightMaxAge). The
// methods that sign for the caller (SendNative, SendNativeWait, Deploy,
// Contract.Transact) also re-read the height and re-sign once when the
// node still rejects the block limit, so a long-running client never fails because its view of
// the height went stale. SendTransaction sends a transaction already
// signed, so it cannot re-sign: it returns an error wrapping
// ErrBlockLimit and the caller builds a new transaction.
//
// Proofs. VerifyTxProof and VerifyReceiptProof check that a transaction
// (receipt) is a leaf of the Merkle root in the header of its block, as the
// node serves that header. They prove inclusion relative to that header;
// trusting the header itself means comparing its hash with other nodes'
// or checking its commit signatures.
//
// Function selectors and event topics are Keccak-256 on both suites, as
// solc computes them.
package sdk
