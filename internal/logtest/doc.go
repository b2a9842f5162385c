// Package logtest holds log helpers for tests: a slog.Handler that counts
// the records it receives by level and message.
package logtest
