// Package chainbuild generates the files of a multi-node chain: a chain CA
// (or the operator's own), one certificate per organisation, per node a
// consensus key and a TLS certificate binding it, the genesis and a
// config.toml per node. It backs `gobcos chain build` and `gobcos chain
// add-node`; docs/chain-build.md describes the output tree file by file.
//
// Build writes everything into a staging directory next to the output and
// moves it into place only when complete, so a failure leaves no partial
// chain. The output directory records what was built in chain.json (the
// Manifest), which AddNode reads to find the organisations, the nodes and
// their addresses.
//
// Port layout: node i runs on host i (127.0.0.1 when no hosts are given);
// the k-th node on one host gets the base P2P and RPC ports plus k. So a
// loopback chain uses ports base+0..base+n-1 and a chain spread over n
// machines uses the base ports everywhere.
package chainbuild
