// Package e2e holds end-to-end tests of multi-node PBFT and Raft chains run
// as real gobcos processes on loopback: nodes killed, stopped, wiped and
// restarted under transaction load (on Raft: the leader killed, a majority
// killed, the leader frozen with SIGSTOP and resumed), a node from
// another chain refused admission, the PBFT sealer set changed by
// governance votes (a node added with `chain add-node` voted in as an
// observer, promoted to sealer, a genesis sealer voted out), and a chain of
// old and new binaries (built with a lower supported compatibility
// version) through an upgrade.
//
// The tests build cmd/gobcos once, lay chains out with `gobcos chain build`
// on free ports and start each node with `gobcos node --config`. They are
// skipped under -short. A failing test logs every node's output.
package e2e
