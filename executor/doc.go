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
// Parallel execution (Config.Workers, off by default; Config.Parallel
// chooses between the two strategies below, Block-STM unless set):
// ExecuteBlock can run a block's transactions on several goroutines with
// optimistic concurrency after Block-STM (package executor/blockstm), with
// results bit for bit those of serial execution: the same receipts (gas, logs,
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
// Chunked optimistic execution (Config.Parallel "chunks", chunks.go) is
// the cheaper strategy when transactions seldom conflict. The block is
// split into one chunk of consecutive transactions per worker (the first a
// sixteenth longer: it records nothing). Each worker executes its chunk as
// executeSerial executes a block, one StateDB and one EVM for the whole
// chunk, on the block's starting state, through a reader that records, for
// each key the chunk reads, the first transaction that read it. A StateDB
// reads a key (account record, code blob, stored slot; also for the system
// contracts) once, at its first touch and before any change to it, and
// keeps it: so a chunk's transactions see what they would see serially
// unless one of them read a key that the transactions before the chunk
// changed. After the workers the chunks are checked in block order against
// the net writes, against the starting state, of everything before them. A
// chunk that read none of those keys is valid as it ran, and its net
// writes, which its worker collected and sorted, join them. One that read
// one of them is executed again, whole, on the starting state overlaid
// with them (state.Overlay): exactly the state serial execution runs it
// on. Its writes then join the others, less the keys they write back to
// their starting value, so a later chunk that reads such a key is valid;
// a key that one chunk changes and restores itself is never among its net
// writes. Two valid chunks write no common key but code blobs (content
// addressed: the same value), so the block's write set is the merge of the
// chunks' sorted writes. A worker done with its chunk takes the second
// half of the transactions another worker has not started, as a new
// chunk, when they should take 0.25 ms or more at that chunk's pace. Each
// chunk builds its EVM on the starting state, as serial execution does
// before the first transaction. Receipts are completed in block order as
// serially, with the block gas limit replayed; a block runs serially
// instead when a signature to verify fails, a transaction does not fit in
// the block gas limit, or a chunk kept as it ran deleted an account that
// existed before the block (its stored slots would have to be enumerated,
// which the recording reader does not record). The sealer's account is
// read by every transaction (the zero fee), so value sent to the sealer
// makes every later chunk run again. With conflicts, a conflicting chunk
// costs its run twice, serially the second time: at a conflict rate of
// 0.5 both strategies are slower than serial execution on 2 cores.
//
// Speed (go test ./executor -run '^$' -bench ExecuteERC20 -benchtime 30x
// -count 3, on the shared 2-core reference machine with a load average of
// about 2; cpu-ns/op is the CPU time of all threads, GC included, and
// steadier than wall time). BenchmarkExecuteERC20, 1000 conflict-free token
// transfers: serial 10.8 to 11.1 ms per block (13.2 to 13.5 ms of CPU,
// about 11 on one core); Block-STM on 2 workers 9.6 to 10.3 ms (17.6 to
// 18.7 ms of CPU; 13.4 to 14 ms on one core), 1.07 to 1.15 times serial
// speed. The parallel
// path keeps its bookkeeping small: the transactions share the account
// records decoded from each stored value (state.AccountCache), keys that no
// transaction wrote (the called contract's account and code, the system
// contracts' state) are read from the multi-version memory without locks
// and found through each worker's own index, a key new to the block comes
// with its starting value, the memory's cells are allocated in each
// worker's own chunks and the per-transaction records padded to a cache
// line, each worker computes the blooms of its receipts (hashing each
// contract address and event signature once), and after the workers the
// write set is sorted on two goroutines. On such light transactions (about
// 11 microseconds each) that still costs 1.25 times the CPU of serial
// execution on one core, and running on both cores adds a quarter to a
// third (cache lines of the shared multi-version index moving between the
// cores, GC mark workers on the second core; two serial runs in separate
// processes at once do not slow each other): 1.7x would need at most 12.8
// ms of CPU per block with both cores busy throughout, less than even one
// core spends. BenchmarkExecuteCompute, 200 conflict-free transactions
// burning 500k gas each: serial 292 ms (325 ms of CPU), Block-STM on 2
// workers 172 to 175 ms (330 ms of CPU), 1.67 to 1.7x. Chunked execution
// (BENCHMARKS.md, "Chunked optimistic execution"; another session, with
// the machine slower: serial 15.7 to 17 ms per block, 18.7 to 20.4 ms of
// CPU, Block-STM on 2 workers 13.7 to 15.2 ms) takes 9 to 10.4 ms on 2
// workers (16.9 to 18.9 ms of CPU, no more than serial execution's), 1.66
// times serial speed (medians; 1.60 and 1.66 in two more sessions): on one
// core it costs what serial execution costs, and the workers share nothing
// but the starting state. After them, about 0.5 ms (the state root, the
// merge of the chunks' writes) runs on one core. On heavy transactions
// (BenchmarkExecuteCompute, same session) both strategies reach 1.9 to 2.1
// times serial speed.
// Since serial execution and the chunk workers keep their StateDBs, with
// the storage maps of the contracts a block used, from block to block
// (2026-12-07), serial execution runs a quarter faster and the chunks 6 to
// 13%: 1.37 to 1.45 times serial speed in three alternated sets that day
// (BENCHMARKS.md, "Serial execution keeps its state from block to block").
// Later that day a chunked block's write set is built and hashed while its
// chunks are checked, and BenchmarkExecuteERC20Cached reads the state
// through a full state cache of a node's bounds, as a node does: 1.36 to
// 1.47 times serial speed in both benchmarks, 1.73 to 1.79 with the
// collector quiet (GOGC=800). The benchmark's heap is small, so the
// collector runs every other block or so, on the core serial execution
// leaves idle and the workers do not (BENCHMARKS.md, "The state cache off
// the collector's books").
// The state root's parts are hashed on the workers (state.WriteSet's
// ParallelRoot), which halves the largest part of the tail after them;
// BenchmarkExecuteERC20Paired, pairing serial and chunked blocks in one
// process, then measured 1.67 to 1.75 times serial speed through the full
// state cache and 1.49 to 1.72 from the test store (BENCHMARKS.md, "The
// state root hashed in parts").
// With half the transfers sent to one account (BenchmarkExecuteERC20Conflict)
// it takes 15.6 to 17 ms against serial 14 to 14.6 and Block-STM 17.1 to
// 20.5: the second chunk runs twice. Parallel execution is off by default;
// chunks suit light transactions that seldom conflict.
//
// Call and EstimateGas serve eth_call and eth_estimateGas on a read-only
// view of the state; Genesis builds the first write set.
package executor
