// Package precompiled holds gobcos's system contracts: native Go contracts
// at fixed addresses from 0x0000000000000000000000000000000000001000 up,
// which Solidity contracts and transactions call like any contract. They
// are how governance, permissions and chain configuration will be run on
// chain; later work only adds entries to the Registry.
//
// go-ethereum runs precompiles through vm.PrecompiledContract, which sees
// nothing but its input. A Session adapts a Registry to one EVM: it gives
// the EVM one adapter per system contract (merged with Ethereum's own
// precompiles through evm.SetPrecompiles) and a tracing.Hooks that follows
// the call frames, so each call of a system contract gets an Env with the
// live, journaled StateDB, its caller, the value sent, the block, and
// whether it may write: only a plain CALL outside any STATICCALL may, so a
// system contract cannot break the EVM's static-call guarantee. Writes go
// through the same journal as the EVM's, so they are reverted with the
// calling frame.
//
// System contract addresses are not pre-warmed like Ethereum's precompiles:
// the first access in a transaction costs the cold-account gas (EIP-2929).
//
// Setting a tracer makes go-ethereum use its table-driven interpreter loop
// instead of the generated one, which ran a call-free loop 2.5 to 2.7 times
// faster here (BenchmarkExecuteUntracedPaired). So the executor runs a
// transaction without the hooks when they cannot change its result
// (Session.BeginUntraced): when the permission rules for contracts' own
// calls apply (ChecksInnerCalls), only code that holds no call or creation
// instruction; otherwise any, but a system contract called by a contract
// then fails the run (its caller is unknown), and the executor runs the
// transaction again, from the state before it, with the hooks. A Session
// over an empty Registry installs no tracer.
//
// The system contracts, each with its Solidity interface (*.sol) and JSON
// ABI (abi/*.json):
//
//   - SystemInfo (0x...1000, read-only): chain id and block number.
//   - Committee (0x...1001): governors with weights propose and vote;
//     a proposal reaching the participation and approval thresholds is
//     executed in the transaction of the deciding vote.
//   - SystemConfig (0x...1002): the system configuration.
//   - ConsensusNodes (0x...1003): sealers with weights and observers.
//   - Permission (0x...1004): roles, the deploy allow-list, account and
//     contract freezing.
//   - CNS (0x...1005): contract names and versions, with gray routing.
//
// The governance contracts keep their state in "system tables" in their
// own account storage (store.go), so it is in the state root and the
// state history. Changes take effect from the block after the one that
// made them; from compatibility version 0.4.0, system config (including
// the version) and node list changes from the second block after it
// (GovernanceDelay), so that the rules of block X are fixed by block X-2
// and PBFT can order X while X-1 executes. GovernanceReader reads that state from committed state for
// the node, the RPC server and the transaction pool; Registry.CheckTx
// is the check of a transaction's sender (frozen account, deploy
// allow-list, method access). A Session (one block) makes the same check
// for the executor (Session.CheckTx) and for calls and creations made by
// contracts, reading the block-wide permission_check switch once when it
// starts, and stands in for frozen and abolished contracts so that every
// call to them reverts. docs/governance.md is
// the user's guide.
package precompiled
