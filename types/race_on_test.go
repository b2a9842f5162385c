//go:build race

package types

// raceEnabled: the race detector drops a share of sync.Pool's items on
// purpose, so allocation counts are not what a normal build makes.
const raceEnabled = true
