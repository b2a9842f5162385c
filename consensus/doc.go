// Package consensus defines what every consensus engine of a gobcos group
// provides (the Engine interface and its Status), what engines exchange
// with the executor (BlockEnv and Result), and commit certificates: the
// sealers' signatures over a header hash that let any node, observer or
// other group verify a committed block without re-running consensus.
//
// The engines live in sub-packages: solo (one sealer, for development and
// single-organisation chains), pbft (byzantine fault tolerant) and raft
// (crash fault tolerant, on etcd raft), each with its driver. Each engine reaches
// the txpool, the executor and the ledger only through small interfaces
// defined here (TxPool, Executor, Ledger, SealerLedger: deps.go; the
// PBFT driver's TxPool and Ledger embed them and add what serving tx
// fetches needs), so it can be tested with fakes, and runs its goroutine through a Runner
// (started once, stopped once: runner.go), which a Lifecycle pairs with
// the Status the engine publishes and the mutex guarding both
// (lifecycle.go: Solo and Raft answer Start, Stop and Status with one);
// the PBFT and Raft drivers
// share DriverConfig (driverconfig.go). Each takes the
// governance parameters in force at a height (tx_count_limit,
// tx_gas_limit, the consensus timeout and minimum seal interval) through
// one small interface, RulesSource (rules.go).
package consensus
