// Package proctest runs gobcos processes for the tests that need real
// ones (tests/e2e, tests/crash): it builds the binary, collects a
// process's output while the test reads it, and starts a process and
// waits for the JSON-RPC URL it prints once it serves. It is imported by
// tests only.
package proctest
