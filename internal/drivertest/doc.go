// Package drivertest holds the test helpers that the consensus engines'
// driver tests share (consensus/pbft/engine and consensus/raft/engine):
// test nodes with a real ledger, executor and transaction pool over a
// memory store (Node, whose execution a test can hold), adapters from
// them to the drivers' Ledger and Executor interfaces, and a Chain of
// such nodes with one user who signs native transactions, submits them
// to pools and waits for every node to commit them and to hold the same
// blocks (drivertest.go), and the drivers' consensus.DriverConfig on that
// chain (DriverConfig). A Cluster (cluster.go) makes those nodes
// sealers running an engine's drivers: it builds (BuildAll), starts, stops and
// restarts them, and is the in-memory network their test transports
// deliver through (Peer), with nodes that can be cut off.
// Chain.CheckVerifiedOnce checks (with cryptotest.CountingSuite) that
// each node verifies a transaction's signature once. It is imported by
// tests only; each engine's driver parameters and transports (the PBFT
// tests' tx fetch transport with lost or corrupted answers) stay in its
// own tests.
package drivertest
