// Package contracttest loads the compiled test contracts of the
// repository's testdata/contracts (name.abi and name.bin, written by its
// compile.sh) for the tests of any package: Load finds the directory
// above the test's working directory, so in-process node tests and
// end-to-end tests read the same files the same way. It is imported by
// tests only.
package contracttest
