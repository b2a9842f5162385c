// Package drivertest holds the test helpers that the consensus engines'
// driver tests share (consensus/pbft/engine and consensus/raft/engine):
// test nodes with a real ledger, executor and transaction pool over a
// memory store (Node), adapters from them to the drivers' Ledger and
// Executor interfaces, and a Chain of such nodes with one user who signs
// native transactions, submits them to pools and waits for every node to
// commit them and to hold the same blocks. CountingSuite counts the
// signature checks of the user's transactions, for tests that each node
// verifies a transaction once. It is imported by tests only; the engines'
// transports, configurations and clusters stay in their own tests.
package drivertest
