// Package node assembles one gobcos node: it reads the node's TOML
// configuration and the chain's genesis file, opens storage, builds the
// group's ledger, executor, txpool and consensus engine, serves JSON-RPC,
// and starts and stops them in order.
//
// A solo chain runs the Solo engine and no P2P network. A PBFT chain
// (genesis consensus "pbft") also builds, from the [network] section, a
// network.Host (mutual TLS; admission by the configured CAs, CRLs,
// allow/deny lists and the group's node list: the governance node list
// in force for the next block, members.go) and registers the group's
// modules on it. The group's messages are exchanged only with the peers
// that admission admits now (p2p.go): others, though still connected
// until the next recheck, have theirs dropped before these modules see
// them, and the host's cached decisions are renewed after every
// committed block.
//
//   - consensus: messages from a sealer (its node id is its public key)
//     go to the PBFT driver (consensus/pbft/engine) with the sender's
//     index in the running sealer set; messages from other nodes are
//     ignored. Every node runs the driver; it follows the governance
//     sealer set height by height (epochs.go) and idles while this node is
//     not a sealer. Block sync checks a PBFT block's certificate against
//     the sealers in force at its height. On a Raft chain (genesis consensus "raft", same
//     network) every node runs the Raft driver (consensus/raft/engine),
//     which takes messages with the sender's node id and checks it against
//     the raft id the message claims; nodes outside the raft configuration
//     stay idle and follow by block sync, which checks Raft blocks by their
//     leader's signature.
//   - sync: the block syncer (package blocksync) of every node, sealer or
//     observer; blocks it commits are reported to the txpool.
//   - tx gossip (gossip.go, package txgossip): a tx accepted through RPC
//     is queued and sent to the connected peers in batches (one message
//     per peer per flush, flushes at most every 10 ms); a gossiped tx is
//     added to the pool and not forwarded at once, so there are no gossip
//     storms; txs that wait in the pool are gossiped again every 3 s,
//     never back to the peer they came from, at most 2000 a round, each
//     in turn; a peer that has just connected (one back from a restart has
//     lost its pool) is handed the pool's oldest 20,000 txs at once.
//   - tx journal (journal.go, txpool.Journal; [txpool] journal): txs
//     accepted through RPC are appended to data_dir/txpool.journal before
//     the answer, and the file is rewritten to the pool's txs every 5 s
//     and at Stop; Start admits the journal's txs to the pool again.
//
// Start order: storage, ledger (in New), network, syncer, engine, tx
// journal, RPC; Stop runs in reverse, but rewrites the journal last, once
// the engine has stopped committing.
package node
