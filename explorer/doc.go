// Package explorer is gobcos's block explorer: a web UI (overview of the
// group's nodes, latest blocks, tx totals and a txs-per-block chart; block,
// transaction, address and pending pages; governance pages and the audit
// trail of the governance contracts' events; search by height, hash or
// address) served over HTTP with every asset embedded, so it works offline.
//
// Pages refresh when a block arrives: the server keeps a newHeads
// subscription to the node (heads.go) and pushes each head to the
// browsers over Server-Sent Events (GET /api/events). The governance
// views (governance.go, govscan.go) read the system contracts with
// eth_call and their event logs with eth_getLogs.
//
// It reaches the chain only through JSON-RPC: the browser's calls go to a
// /rpc endpoint that forwards them to the node, and the server's own
// views (node survey, tx totals, ABI decoding) call the same RPC. The
// explorer a node serves and the standalone `gobcos explorer --rpc URL`
// are therefore the same code.
//
// Survey (group.go) asks a set of RPC endpoints for the group's node list
// and each node's status; `gobcos status` prints it.
package explorer
