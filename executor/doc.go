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
// limit comes from the chain's configuration (Config.TxGasLimit) instead of
// Ethereum's EIP-7825 cap. A transaction fits in a block when the gas used
// by the transactions before it plus its own gas limit is within
// Config.BlockGasLimit (so a sealer that keeps the sum of gas limits within
// it never overfills a block); one that does not fit gets a failed receipt.
//
// A transaction that fails a pre-check (nonce, balance for its value, gas
// limit over the chain's, intrinsic gas) gets a failed receipt with the
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
// Call and EstimateGas serve eth_call and eth_estimateGas on a read-only
// view of the state; Genesis builds the first write set.
package executor
