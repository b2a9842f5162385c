// Package cryptotest holds crypto helpers for tests: CountingSuite, a
// crypto.Suite that counts the signature checks made through it (all of
// them, or those of one public key), for tests that a transaction's
// signature is checked once; and Key, a fresh key pair of a suite. It is
// imported by tests only.
package cryptotest
