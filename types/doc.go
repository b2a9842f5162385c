// Package types holds the data of a gobcos ledger: transactions (Ethereum
// signed and native), block headers, blocks, receipts and logs, their
// canonical encodings, and the binary Merkle trees whose roots headers carry
// and whose proofs clients verify.
//
// types imports nothing else of gobcos: hashing and signature checks go
// through the small Scheme interface, which a crypto.Suite satisfies.
package types
