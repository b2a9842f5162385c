// Package storage is the small key-value interface every gobcos ledger is
// stored through, with its implementations: Pebble (the embedded default)
// and an in-memory store for tests. Each implementation passes the
// conformance suite in package storage/storagetest.
package storage
