// Package txtest signs transactions for tests: SignEth an Ethereum tx
// with an ECDSA key, SignNative a native tx with a key of any suite. It is
// imported by tests only.
package txtest
