// Package executor runs a group's transactions: go-ethereum's EVM
// (core/vm, through core.ApplyMessage) over the group's own state (package
// state), plus the native system contracts of executor/precompiled.
//
// Rules are those of the newest fork live on Ethereum mainnet in the
// go-ethereum version we build with: every fork through Osaka is active
// from block 0 (Amsterdam and later, unfinished there, are not).
//
// Gas is metered, never paid. Every transaction runs with gas price and
// fee caps of zero whatever it says, so accounts need no balance to
// transact; out of gas still fails a transaction and receipts report the
// gas used. Value transfers do need the balance. The per-transaction gas
// limit is the chain's tx_gas_limit in force (Config.TxGasLimit on a chain
// without governance state) instead of Ethereum's EIP-7825 cap.
//
// Block rules (rules.go) are read once per block from the parent's state:
// tx_count_limit, tx_gas_limit and the chain's compatibility version. A
// block over tx_count_limit is invalid; so is, from compatibility version
// 0.2.0, one holding a transaction over tx_gas_limit. A block of a
// compatibility version above Config.MaxCompatibility is refused with
// ErrUnsupportedVersion: the node stops rather than fork. A transaction fits in a block when the gas used
// by the transactions before it plus its own gas limit is within
// Config.BlockGasLimit (so a sealer that keeps the sum of gas limits within
// it never overfills a block); one that does not fit gets a failed receipt.
//
// A transaction that fails a pre-check (nonce, balance for its value, gas
// limit over the chain's before 0.2.0, intrinsic gas) gets a failed receipt with the
// reason in ErrorMessage and changes no state, not even its sender's
// nonce; the block stays valid. Ethereum-signed transactions must carry
// their sender's account nonce. Native transactions have no account nonce:
// they skip the nonce check, but like every executed transaction they
// advance the sender's state nonce (calls and creations alike, as
// go-ethereum does), and a native contract creation's address is
// CREATE(sender, state nonce before the transaction), exactly as an
// Ethereum creation's, so Ethereum tooling computes the same address from
// eth_getTransactionCount.
//
// Receipts: Output is the return data of a call, the revert data of a
// reverted transaction, and empty for a successful creation (its return
// data is the deployed code, readable with eth_getCode). ErrorMessage is
// "execution reverted: <reason>" when the revert data is a Solidity
// Error(string) or Panic(uint256), "execution reverted" for other revert
// data (custom errors: decode Output), or the EVM's or the pre-check's
// error otherwise ("out of gas", "nonce too low: ...").
//
// Parallel execution (Config.Workers, off by default): ExecuteBlock can
// run a block's transactions on several goroutines with optimistic
// concurrency after Block-STM (package executor/blockstm), with results
// bit for bit those of serial execution: the same receipts (gas, logs,
// cumulative gas), write set and state root. Nobody declares conflicts.
// Each incarnation of a transaction runs in go-ethereum's EVM on its own
// state.StateDB whose storage.Reader is a view (txView) over the
// multi-version memory: a read of an account record, code blob or storage
// slot (including those made by the system contracts) sees the last write
// of an earlier transaction in the block, or the block's starting state,
// and is recorded with that version; the transaction's writes are its
// StateDB's net changes (StateDB.Changes) relative to that view. Logs,
// refunds, access lists, transient storage, created and self-destructed
// contracts are per transaction in the StateDB, as serially. A read of an
// estimate (the writes of an aborted incarnation) cancels the EVM at once
// and parks the transaction until the writer has run again. At the end,
// the last write to every key, minus those that restore the starting
// value, is the block's write set (state.NetWriteSet), and the receipts
// are completed in block order.
//
// Gas is never paid, so no fee is credited to the sealer per transaction
// and the sealer's account is only read (go-ethereum adds a zero fee to
// it); a transaction that sends value to the sealer does conflict with
// every later one. The block gas limit check of serial execution (gas used
// before a transaction plus its gas limit) is replayed in order at the
// end. A block is executed serially instead, with the serial path's exact
// results and errors, when a signature to verify fails, when a
// transaction does not fit in the block gas limit, or when a transaction
// deletes an account that existed before it (EIP-161 cleanup of an
// existing empty account: it must enumerate the account's stored slots,
// which the view does not do).
//
// Speed, measured on the 2-core reference machine while it was shared
// with five other builds (load average 5 to 15), so wall-clock figures
// are noisy; cpu-ns/op (CPU time of all threads, GC included) is
// steadier. BenchmarkExecuteERC20, 1000 conflict-free token transfers:
// serial 10 to 17 ms per block (10 to 13 ms of CPU); 2 workers 11 to 44
// ms (19 to 23 ms of CPU), at best level with serial; with one core (-cpu
// 1) 2 workers take 15 to 19 ms of CPU. On such light transactions (about
// 10 microseconds of work each) the parallel path's bookkeeping
// (multi-version reads and writes, validation, decoding per transaction
// the accounts serial execution decodes once per block, more allocation
// and so more GC, and cache traffic between the cores) costs 1.5 to 1.8
// times the CPU of serial execution, so on 2 cores it does not reach the
// 1.7x target and is not faster than serial execution: it is off by
// default. BenchmarkExecuteCompute, 200 conflict-free transactions burning
// 500k gas each: serial 334 to 839 ms (345 to 390 ms of CPU), 2 workers
// 186 to 497 ms (359 to 396 ms of CPU), up to 2x faster for a few percent
// more CPU. Parallel execution pays off with heavy transactions or more
// cores.
//
// Call and EstimateGas serve eth_call and eth_estimateGas on a read-only
// view of the state; Genesis builds the first write set.
package executor
