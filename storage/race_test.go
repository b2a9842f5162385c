//go:build race

package storage

// raceDetector: this test binary runs under the race detector.
const raceDetector = true
