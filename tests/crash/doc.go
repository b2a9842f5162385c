// Package crash holds the crash test: a gobcos node runs as a real process
// under transaction load, is killed with SIGKILL and restarted, and must
// have lost nothing it confirmed.
package crash
