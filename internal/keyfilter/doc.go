// Package keyfilter is an in-memory Bloom filter over a growing set of
// keys, for stores that must answer "is this key absent?" without a
// storage read: the ledger's committed tx hashes and native nonces, the
// state's existing accounts and slots. Its user adds a key before the key
// can be read from storage and adds every key already stored when it
// starts, so that a key in storage is always in the filter and a "no" is
// exact; a key added for a write that then fails only costs a storage
// read later.
package keyfilter
