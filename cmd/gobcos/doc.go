// Command gobcos runs and manages gobcos consortium blockchain nodes.
//
// Subcommands (each has --help; docs/ describes them in full):
//
//	gobcos up         build (on first use) and supervise a local chain: 4 PBFT
//	                  nodes by default, --nodes 1 for a single-node dev chain
//	gobcos node       run one node from its config.toml
//	gobcos chain      build a chain (CA, organisation and node certificates,
//	                  genesis, configs) and add nodes to it
//	gobcos account    manage password-encrypted account keys
//	gobcos console    an interactive or scripted console on one node: chain
//	                  data, contracts, governance
//	gobcos status     every node of a group: role, height, view, peers, pool
//	gobcos explorer   the block explorer web UI over a node's JSON-RPC
//	gobcos bench      a load generator and the signature-verification ceiling
//
// Each subcommand is built in its own file (up.go with supervise.go,
// nodecmd.go, chain.go, account.go, console.go, status.go, explorer.go,
// bench.go); the packages they drive hold the logic.
package main
