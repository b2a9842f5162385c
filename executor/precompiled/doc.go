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
// instead of the generated one; see the executor's benchmarks for the cost.
// A Session over an empty Registry installs no tracer.
//
// The first system contract is SystemInfo (0x...1000, read-only): see
// SystemInfo.sol for its Solidity interface.
package precompiled
