// Package nodetest starts in-process gobcos nodes for tests: a
// single-node (solo) development chain initialised in a temporary
// directory with its RPC on a free loopback port (DevConfig, with an
// optional change to its genesis first), a node run from a config
// until the test ends (Start), and an SDK client of a node's RPC (Dial).
// It is imported by tests only.
package nodetest
