// Package enginetest is a deterministic simulated network for testing
// consensus engines: n replicas exchange messages through an in-memory
// network driven by one seeded random source, which drops, delays,
// reorders and duplicates messages, partitions and heals the network,
// crashes replicas and restarts them from their durable store and ledger,
// and lets up to f replicas behave byzantine (the engine's adapter decides
// how; with Options.Weights, any replicas of total weight at most F). Transactions come from a shared fake pool, execution is a
// deterministic fake (state root = hash(parent root, txs)), and each
// replica commits to its own fake ledger.
//
// Invariants are checked as blocks are committed and at the end of a run:
// no two honest replicas commit different blocks at one height, every
// committed block passes the engine's own check (for PBFT its commit
// certificate), every committed transaction was submitted and appears at
// most once in a chain, and after the network heals every submitted
// transaction is committed by every honest replica within a bound in
// ticks. A run is a pure function of its Options (seed included), so a
// failing seed replays exactly.
//
// The package knows no engine: an engine plugs in through Factory and
// Replica. Engines that do not tolerate byzantine replicas (Raft) report
// it through Factory.Byzantine and run the crash-fault schedule only.
// Sweep (sweep.go) is an engine's safety test over many seeds of one
// cluster size, with the -seed replay of one seed and the command to
// replay a failing one.
package enginetest
