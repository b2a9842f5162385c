// Package node assembles one gobcos node: it reads the node's TOML
// configuration and the chain's genesis file, opens storage, builds the
// group's ledger, executor, txpool and consensus engine, serves JSON-RPC,
// and starts and stops them in order.
package node
