// Package rpc is the JSON-RPC 2.0 server of a gobcos group: one HTTP
// handler that answers POST requests (single and batch) and upgrades
// WebSocket connections on the same port.
//
// It serves the Ethereum methods that mean something on a consortium chain
// (eth_*, net_*, web3_*) in the shapes of the Ethereum execution-apis
// OpenRPC document, so ethers.js, web3.js and go-ethereum's ethclient work
// unchanged, plus the bcos_* methods for chain information, system
// configuration, Merkle proofs and native transactions. Methods without a
// meaning here answer "method not found" (-32601), never an invented value.
//
// The server reaches the rest of the node only through the Backend
// interface (backend.go), which the node package implements over the
// ledger, the txpool and the executor; tests use a fake. It imports no
// gobcos package but types and crypto.
//
// Filters (eth_newFilter, eth_newBlockFilter, ...) are polled by block
// number against the ledger, so they never lose a committed block; WebSocket
// subscriptions (eth_subscribe newHeads, logs, newPendingTransactions) are
// fed by the backend's commit stream. State queries and calls take any
// committed block (number, tag, hash or EIP-1898 object): the server
// resolves it to a block number at most the head and the backend reads the
// state as of that block; a block above the head gets a clear error.
package rpc
